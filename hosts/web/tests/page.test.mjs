// The browser tests of the page (docs/web.md): the built page, served by `selvm
// serve`, in Debian's headless chromium driven by playwright-core (tests/common.mjs):
// the terminal, the menu, files, the controls, window.selvm, the kernel view and its
// derivation tree's graph, the trace and the in-page benchmarks. The framebuffer's
// canvas and the GUI system are in screen.test.mjs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OUT, ROOT, TMP, useBrowser, open, screen, exited, instructions, selvm, assembled, graph } from './common.mjs';

const figures = {};
useBrowser();

after(() => {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'figures.json'), `${JSON.stringify(figures, null, 1)}\n`);
});

test('the demo boots on load and prints what `selvm demo` prints, with no console errors', async () => {
  const t0 = Date.now();
  const { page, errors } = await open();
  const exit = await exited(page, 15000);
  assert.deepEqual(exit, { status: 0, name: 'clean', message: '' });
  const cli = selvm('demo').stdout.split('\n').filter((l) => l.startsWith('root: ') || l.startsWith('seLVM demo'));
  assert.ok(cli.length >= 5, `selvm demo printed: ${cli}`);
  const shown = await page.evaluate(() => window.selvm.console());
  assert.deepEqual(shown.split('\n').filter((l) => l.length), cli);
  figures.firstOutputMs = await page.evaluate(() => window.selvmFirstOutputMs);
  figures.loadToDemoExitMs = Date.now() - t0;
  assert.ok(figures.firstOutputMs < 3000, `first output ${figures.firstOutputMs} ms after navigation`);
  // The live view: the demo's threads and its endpoint and notification.
  const view = await page.locator('#view').innerText();
  for (const want of ['rootserver', 'idle_thread', 'endpoint', 'notification', 'Root CNode', 'derivation tree']) {
    assert.ok(view.includes(want), `the live view lacks ${want}:\n${view}`);
  }
  const stats = await page.evaluate(() => window.selvm.stats());
  assert.equal(stats.threads.length, 3);
  assert.deepEqual(stats.endpoints.map((e) => e.kind ?? 'endpoint').length, 1);
  await page.screenshot({ path: join(OUT, 'page.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the conformance suite run from the menu passes in the page', async () => {
  const { page, errors } = await open();
  await exited(page);
  await page.selectOption('#program', 'file:conformance');
  await page.waitForFunction(() => window.selvm.page().program === 'conformance');
  const exit = await exited(page, 60000);
  const text = await page.evaluate(() => window.selvm.console());
  const m = text.match(/(\d+) passed, (\d+) failed/);
  assert.ok(m, `no summary line in:\n${text.slice(-2000)}`);
  assert.equal(m[2], '0', text.slice(-2000));
  assert.ok(Number(m[1]) >= 130, m[0]);
  figures.conformance = m[0];
  assert.equal(exit.status, 0, JSON.stringify(exit));
  // xterm draws on the next animation frame: wait for the line to be on screen.
  await page.waitForFunction(() => /\d+ passed, 0 failed/.test(
    (document.querySelector('#terminal .xterm-rows') || document.querySelector('#terminal pre')).innerText));
  // Its derivation tree is larger than the graph draws: the first caps, and a note.
  const stats = await page.evaluate(() => window.selvm.stats());
  const { nodes, edges, note } = await graph(page);
  assert.ok(stats.cdt.length > nodes.length, `${stats.cdt.length} caps, ${nodes.length} drawn`);
  assert.deepEqual(nodes, stats.cdt.slice(0, nodes.length).map((n) => ({ slot: n.slot, parent: n.parent })));
  assert.equal(edges.length, nodes.filter((n) => n.parent).length);
  assert.match(note, new RegExp(`${stats.cdt.length - nodes.length} more`));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bad file dropped on the terminal shows the command line\'s error, status 6', async () => {
  const { page, errors } = await open();
  await exited(page);
  writeFileSync(join(TMP, 'notes.txt'), 'hello world\n');
  const cli = selvm('run', 'notes.txt');
  assert.equal(cli.status, 6);
  // A drop as the browser delivers one: a DataTransfer holding the file.
  const dropped = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['hello world\n'], 'notes.txt', { type: 'text/plain' }));
    return dt;
  });
  await page.dispatchEvent('#terminal', 'drop', { dataTransfer: dropped });
  await page.waitForFunction(() => window.selvm.page().program === 'notes.txt');
  const exit = await exited(page);
  assert.equal(exit.status, 6);
  assert.equal(exit.name, 'bad-input');
  assert.equal(`selvm: ${exit.message}\n`, cli.stderr);
  const line = cli.stderr.trim();
  try {
    await page.waitForFunction((l) => (document.querySelector('#terminal .xterm-rows') || document.querySelector('#terminal pre'))
      .innerText.replace(/\n/g, '').includes(l), line, { timeout: 5000 });
  } catch {
    assert.fail(`the terminal does not show ${line}:\n${await screen(page)}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('a WebAssembly text file set on the file input runs through dx in the page', async () => {
  const { page, errors } = await open();
  await exited(page);
  await page.setInputFiles('#file', join(ROOT, 'user/examples/hello.wat'));
  await page.waitForFunction(() => window.selvm.page().program === 'hello.wat');
  const exit = await exited(page);
  assert.equal(exit.status, 0, JSON.stringify(exit));
  const want = readFileSync(join(ROOT, 'user/examples/hello.out'), 'utf8');
  assert.equal(await page.evaluate(() => window.selvm.console()), want);
  assert.deepEqual(errors, []);
  await page.close();
});

test('keys typed in the terminal reach the console interrupt and are echoed', async () => {
  const { page, errors } = await open();
  await exited(page);
  await page.setInputFiles('#file', assembled('echo'));
  await page.waitForFunction(() => /waiting for input/.test(document.querySelector('#status').textContent));
  await page.locator('#terminal').click();
  await page.keyboard.type('seL4 in a page');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.selvm.console().includes('seL4 in a page\n'), null, { timeout: 10000 });
  await page.click('#eof');
  const exit = await exited(page);
  assert.equal(exit.status, 0, JSON.stringify(exit));
  assert.equal(await page.evaluate(() => window.selvm.console()), 'seL4 in a page\n');
  assert.deepEqual(errors, []);
  await page.close();
});

test('pause holds the instruction count, step moves it, resume runs on', async () => {
  const { page, errors } = await open('?program=ipc-fastpath&rounds=1000000000');
  await page.waitForFunction(() => window.selvm.page().state === 'running');
  await page.click('#pause');
  await page.waitForFunction(() => window.selvm.page().state === 'paused');
  const paused = await instructions(page);
  await page.waitForTimeout(200);
  assert.equal(await instructions(page), paused, 'the count moved while paused');
  // A step is one slice, or interrupts delivered, or idle time moved on (no
  // instructions): step until the count moves, a few times at most.
  let stepped = paused;
  for (let i = 0; i < 20 && stepped === paused; i++) {
    await page.click('#step');
    await page.waitForTimeout(50);
    stepped = await instructions(page);
  }
  assert.ok(stepped > paused && stepped - paused <= 1 << 18, `${paused} -> ${stepped}`);
  assert.equal(await page.evaluate(() => window.selvm.page().state), 'paused');
  await page.click('#pause');
  await page.waitForFunction((n) => {
    const m = document.querySelector('#status').textContent.match(/([\d,]+) instructions/);
    return m && Number(m[1].replace(/,/g, '')) > n + 100000;
  }, stepped);
  assert.deepEqual(errors, []);
  await page.close();
});

test('window.selvm.run gives the CLI\'s status and message for garbage, a fault, a deadlock and an endless program', async () => {
  const { page, errors } = await open();
  const run = (bytes, o) => page.evaluate(([b, opts]) => window.selvm.run(new Uint8Array(b), opts).then(
    ({ status, name, message, console }) => ({ status, name, message, console })), [bytes, o]);
  const garbage = await run([1, 2, 3, 0, 255], { name: 'garbage.bin' });
  assert.equal(garbage.status, 6);
  assert.match(garbage.message, /^garbage\.bin: not a valid \.sbc module, nor WebAssembly/);
  const fault = await run([...readFileSync(assembled('fault'))], { name: 'fault.sbc' });
  const cliFault = selvm('run', '--deterministic', 'fault.sbc');
  assert.equal(fault.status, cliFault.status);
  assert.equal(fault.status, 3);
  assert.equal(fault.console, cliFault.stdout);
  assert.equal(`selvm: ${fault.message}\n`, cliFault.stderr);
  const deadlock = await run([...readFileSync(assembled('deadlock'))], { name: 'deadlock.sbc' });
  const cliDeadlock = selvm('run', '--deterministic', 'deadlock.sbc');
  assert.equal(deadlock.status, 4);
  assert.equal(deadlock.status, cliDeadlock.status);
  assert.equal(`selvm: ${deadlock.message}\n`, cliDeadlock.stderr);
  const spin = await run([...readFileSync(assembled('spin'))], { name: 'spin.sbc', maxInstructions: 1000000 });
  assert.equal(spin.status, 5);
  assert.equal(spin.name, 'limit');
  const hello = await run([...readFileSync(join(ROOT, 'user/examples/hello.wat'))], { name: 'hello.wat' });
  assert.equal(hello.status, 0);
  assert.equal(hello.console, readFileSync(join(ROOT, 'user/examples/hello.out'), 'utf8'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page\'s view of a deterministic run equals `selvm run --stats` of the same run', async () => {
  const { page, errors } = await open();
  const file = assembled('threads');
  const cli = selvm('run', '--deterministic', '--stats', 'threads.json', file);
  const want = JSON.parse(readFileSync(join(TMP, 'threads.json'), 'utf8'));
  const got = await page.evaluate((b) => window.selvm.run(new Uint8Array(b), { name: 'threads.sbc', stats: true })
    .then((r) => ({ status: r.status, console: r.console, stats: JSON.parse(r.stats) })), [...readFileSync(file)]);
  assert.equal(got.status, cli.status);
  assert.equal(got.console, cli.stdout);
  assert.ok(want.threads.length >= 2, JSON.stringify(want.threads));
  assert.deepEqual(got.stats.threads, want.threads);
  assert.deepEqual(got.stats.endpoints, want.endpoints);
  assert.deepEqual(got.stats.notifications, want.notifications);
  assert.deepEqual(got.stats, want);
  // The conformance suite leaves many threads, endpoints and notifications behind.
  const suite = await page.evaluate(async () => [...new Uint8Array(await (await fetch('programs/conformance.wasm')).arrayBuffer())]);
  writeFileSync(join(TMP, 'conformance.wasm'), Buffer.from(suite));
  const cliSuite = selvm('run', '--deterministic', '--stats', 'conformance.json', 'conformance.wasm');
  const wantSuite = JSON.parse(readFileSync(join(TMP, 'conformance.json'), 'utf8'));
  const gotSuite = await page.evaluate((b) => window.selvm.run(new Uint8Array(b), { name: 'conformance.wasm', stats: true })
    .then((r) => ({ status: r.status, stats: JSON.parse(r.stats) })), suite);
  assert.equal(gotSuite.status, cliSuite.status);
  assert.ok(wantSuite.threads.length > 10 && wantSuite.endpoints.length > 10, 'the suite left few objects');
  assert.deepEqual(gotSuite.stats.threads, wantSuite.threads);
  assert.deepEqual(gotSuite.stats.endpoints, wantSuite.endpoints);
  assert.deepEqual(gotSuite.stats.notifications, wantSuite.notifications);
  assert.ok(wantSuite.cdt.length > 500, `the suite's derivation tree: ${wantSuite.cdt.length} caps`);
  assert.deepEqual(gotSuite.stats.cdt, wantSuite.cdt);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the downloaded trace of a run in virtual time is the CLI\'s --trace file of the same run', async () => {
  const { page, errors } = await open('?virtual=1');
  await exited(page);
  await page.setInputFiles('#file', join(ROOT, 'user/examples/hello.wat'));
  await page.waitForFunction(() => window.selvm.page().program === 'hello.wat');
  assert.equal((await exited(page)).status, 0);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const got = readFileSync(await download.path(), 'utf8');
  const cli = selvm('run', '--deterministic', '--trace', 'hello.trace.json', join(ROOT, 'user/examples/hello.wat'));
  assert.equal(cli.status, 0);
  const want = readFileSync(join(TMP, 'hello.trace.json'), 'utf8');
  assert.ok(JSON.parse(got).traceEvents.length > 10);
  assert.equal(got, want);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the in-page benchmarks run and check their results', async () => {
  const { page, errors } = await open();
  const rows = await page.evaluate(() => window.selvm.bench({ cases: ['ipc-fastpath'], compute: ['fib'], rounds: [2000, 6000] }));
  assert.ok(Array.isArray(rows), JSON.stringify(rows));
  assert.deepEqual(rows.map((r) => r.name), ['ipc-fastpath', 'fib']);
  // fib checks its checksum in the machine (bench.rs) and ran instructions.
  assert.ok(rows[1].instructions > 1e6 && rows[1].ns > 0, JSON.stringify(rows[1]));
  assert.ok(Number.isFinite(rows[0].ns), JSON.stringify(rows[0]));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the derivation tree\'s graph shows the snapshot\'s tree, which is the CLI\'s --stats tree of the same run', async () => {
  const { page, errors } = await open('?virtual=1');
  await exited(page);
  const file = assembled('threads');
  await page.setInputFiles('#file', file);
  await page.waitForFunction(() => window.selvm.page().program === 'threads.sbc');
  assert.equal((await exited(page)).status, 0);
  const cli = selvm('run', '--deterministic', '--stats', 'threads-cdt.json', file);
  assert.equal(cli.status, 0, cli.stderr);
  const want = JSON.parse(readFileSync(join(TMP, 'threads-cdt.json'), 'utf8'));
  const stats = await page.evaluate(() => window.selvm.stats());
  assert.deepEqual(stats.cdt, want.cdt, 'the page\'s document of the run has the CLI\'s tree');
  // The graph is drawn from the last document: wait until it shows that one.
  await page.waitForFunction((n) => document.querySelectorAll('#view svg.cdt-graph g.cdt-node').length === n, want.cdt.length);
  const g = await graph(page);
  assert.ok(want.cdt.length > 20 && want.cdt.some((n) => n.parent), `a tree with edges: ${want.cdt.length} caps`);
  assert.deepEqual(g.nodes, want.cdt.map((n) => ({ slot: n.slot, parent: n.parent })));
  assert.deepEqual(g.edges, want.cdt.filter((n) => n.parent).map((n) => ({ from: n.parent, to: n.slot })));
  assert.deepEqual(g.roots, want.cdt.filter((n) => n.container === want.cspace.cnode).map((n) => n.slot));
  const badged = want.cdt.findIndex((n) => n.cap.badge && n.cap.badge !== '0x0');
  if (badged >= 0) assert.match(g.labels[badged], new RegExp(`badge ${want.cdt[badged].cap.badge}`));
  assert.ok(g.labels.every((l, i) => l.includes(want.cdt[i].cap.type)), g.labels.join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});
