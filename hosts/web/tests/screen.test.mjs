// The browser tests of the framebuffer's canvas (docs/web.md, "The display"): real
// mouse and key events on the canvas reach the input device and leave the pixels of
// the command line's --screenshot of the same events as a script; window.selvm.run
// with a display; the GUI system of user/gui in the page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUT, ROOT, TMP, useBrowser, open, exited, selvm, assembled, comparePng } from './common.mjs';

useBrowser();

test('display.s on the canvas: the pointer and keys reach the input device, and the pixels are the CLI\'s --screenshot', async () => {
  const { page, errors } = await open('?program=display');
  await page.waitForFunction(() => window.selvm.page().program === 'display'
    && /waiting for input/.test(document.querySelector('#status').textContent));
  const [w, h] = await page.evaluate(() => [document.querySelector('#screen').width, document.querySelector('#screen').height]);
  assert.deepEqual([w, h], [320, 240]);
  const box = await page.locator('#screen').boundingBox();
  const at = (x, y) => [box.x + ((x + 0.5) * box.width) / w, box.y + ((y + 0.5) * box.height) / h];
  // A move, a press, a drag, a release and a key (which ends the program).
  await page.mouse.move(...at(10, 20));
  await page.mouse.down();
  await page.mouse.move(...at(50, 40));
  await page.mouse.up();
  await page.keyboard.press('KeyA');
  const exit = await exited(page, 15000);
  assert.equal(exit.status, 0, JSON.stringify(exit));
  // The same events as an input script, for the command line's screenshot.
  const script = 'at 0 pointer 10 20\nat 0 button down 0\nat 0 pointer 50 40\nat 0 button up 0\nat 0 key down 30\n';
  writeFileSync(join(TMP, 'canvas.script'), script);
  const cli = selvm('run', '--deterministic', '--display', `${w}x${h}`, '--input-script', 'canvas.script',
    '--screenshot', 'canvas.png', '--max-instructions', '100000000', assembled('display'));
  assert.equal(cli.status, 0, cli.stderr);
  const d = await comparePng(page, join(TMP, 'canvas.png'), { points: [[11, 21], [51, 41], [100, 100]] });
  assert.deepEqual([d.pngWidth, d.pngHeight], [w, h]);
  assert.deepEqual(d.at[0], [0, 0, 255, 255], 'the press\'s blue square');
  assert.deepEqual(d.at[1], [255, 0, 0, 255], 'the key\'s red square');
  assert.deepEqual(d.at[2], [(100 * 4) % 256, (100 * 4) % 256, 0x80, 255], 'the pattern');
  assert.equal(d.differ, 0, `${d.differ} bytes differ from the CLI's screenshot, the first at ${JSON.stringify(d.first)}`);
  await page.screenshot({ path: join(OUT, 'display.png') });
  // window.selvm.run with a display and the CLI display test's script: its screenshot too.
  const script2 = 'at 1000 pointer 10 20\nat 2000 pointer 30 8\nat 3000 button down 0\nat 5000 pointer 50 40\nat 100000000 key down 30\n';
  writeFileSync(join(TMP, 'run.script'), script2);
  const cli2 = selvm('run', '--deterministic', '--display', '64x48', '--input-script', 'run.script',
    '--screenshot', 'run.png', '--max-instructions', '100000000', 'display.sbc');
  assert.equal(cli2.status, 0, cli2.stderr);
  const got2 = await comparePng(page, join(TMP, 'run.png'), {
    run: { bytes: readFileSync(join(TMP, 'display.sbc')), options: { name: 'display.sbc', display: '64x48', inputScript: script2, maxInstructions: 1e8 } },
  });
  assert.equal(got2.status, 0, got2.message);
  assert.deepEqual([got2.width, got2.height, got2.pngWidth], [64, 48, 64]);
  assert.equal(got2.differ, 0, JSON.stringify(got2.first));
  const bad = await page.evaluate(([b]) => window.selvm.run(new Uint8Array(b), {
    name: 'display.sbc', display: '64x48', inputScript: 'at 5 pointer 1\n',
  }).then(({ status, message }) => ({ status, message })), [[...readFileSync(join(TMP, 'display.sbc'))]]);
  assert.equal(bad.status, 6);
  assert.match(bad.message, /^input script: line 1: /);
  // Sizes that are not sizes, or beyond the framebuffer, are refused before a run.
  const sizes = await page.evaluate(([b]) => Promise.all(['abc', '0x8', [5000, 5000], '4096x4096'].map((d) => window.selvm.run(
    new Uint8Array(b), { name: 'display.sbc', display: d }).then(({ status, message }) => ({ status, message })))),
  [[...readFileSync(join(TMP, 'display.sbc'))]]);
  assert.deepEqual(sizes.map((r) => r.status), [2, 2, 2, 2], JSON.stringify(sizes));
  assert.match(sizes[0].message, /^display: expected WIDTHxHEIGHT/);
  assert.match(sizes[1].message, /^display: expected WIDTHxHEIGHT/);
  assert.match(sizes[2].message, /^display 5000x5000: width and height must be 1 to 4096/);
  assert.match(sizes[3].message, /^display 4096x4096: .*8 MiB/);
  // With a display and no script nobody types: the program waits, the run deadlocks.
  const waits = await page.evaluate(([b]) => window.selvm.run(new Uint8Array(b), { name: 'display.sbc', display: [8, 8] })
    .then(({ status, message }) => ({ status, message })), [[...readFileSync(join(TMP, 'display.sbc'))]]);
  const cliWaits = selvm('run', '--deterministic', '--display', '8x8', 'display.sbc');
  assert.equal(waits.status, 4);
  assert.equal(`selvm: ${waits.message}\n`, cliWaits.stderr);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the GUI system (user/gui) in the page: a scripted session has the pixels of `selvm gui --screenshot`, and from the menu it runs on the canvas until F10', async () => {
  const { page, errors } = await open();
  await exited(page);
  const gui = Buffer.from(await page.evaluate(async () => [...new Uint8Array(await (await fetch('programs/gui.wasm')).arrayBuffer())]));
  assert.ok(gui.length < 200000, `programs/gui.wasm is ${gui.length} bytes: a release build is about 60 KB`);
  writeFileSync(join(TMP, 'gui.wasm'), gui);
  const scenario = join(ROOT, 'hosts/cli/tests/gui/scenario.txt');
  const cli = selvm('gui', '--program', 'gui.wasm', '--input-script', scenario, '--screenshot', 'gui.png');
  assert.equal(cli.status, 0, cli.stderr);
  const got = await comparePng(page, join(TMP, 'gui.png'), {
    run: { bytes: gui, options: { name: 'gui.wasm', display: '640x480', inputScript: readFileSync(scenario, 'utf8') } },
  });
  assert.equal(got.status, 0, got.message);
  assert.equal(got.console, cli.stdout);
  assert.deepEqual([got.width, got.height, got.pngWidth, got.pngHeight], [640, 480, 640, 480]);
  assert.equal(got.differ, 0, `${got.differ} bytes differ from the CLI's screenshot, the first at ${JSON.stringify(got.first)}`);
  // From the menu: the desktop on the canvas; F10 typed on the canvas shuts it down.
  await page.selectOption('#program', 'file:gui');
  await page.waitForFunction(() => window.selvm.page().program === 'gui' && window.selvm.page().state === 'running');
  await page.waitForFunction(() => {
    const c = document.querySelector('#screen');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < px.length; i += 4 * 97) if (px[i] || px[i + 1] || px[i + 2]) lit += 1;
    return c.width === 640 && lit > 1000;
  }, null, { timeout: 15000 });
  await page.locator('#screen').focus();
  await page.keyboard.press('F10');
  const exit = await exited(page, 15000);
  assert.equal(exit.status, 0, JSON.stringify(exit));
  await page.screenshot({ path: join(OUT, 'gui.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
