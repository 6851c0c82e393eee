// What the browser tests share (docs/web.md, "Tests"): the environment `cargo xtask web
// --test` sets (SELVM_URL the page, SELVM_BIN the selvm binary for the command line's
// side of each comparison, SELVM_OUT where screenshots and figures go, SELVM_CHROMIUM
// the browser), one headless chromium per test file, and helpers to open the page,
// wait for its run, run the command line and compare pixels with its screenshots.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const URL = process.env.SELVM_URL;
const BIN = process.env.SELVM_BIN;
export const OUT = process.env.SELVM_OUT || tmpdir();
export const ROOT = new globalThis.URL('../../../', import.meta.url).pathname;
export const TMP = mkdtempSync(join(tmpdir(), 'selvm-web-test-'));
// The test file's scratch folder goes with its process, whatever the outcome.
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

let browser;
/** One page per test; `errors` collects console errors and uncaught exceptions. */
export async function open(query = '') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await page.goto(URL + query);
  await page.waitForFunction(() => window.selvm && window.selvm.builtins.length > 0);
  return { page, errors };
}

/** What the terminal shows (xterm's rows, or the fallback's text), lines unwrapped. */
export const screen = (page) => page.evaluate(() => {
  const rows = document.querySelector('#terminal .xterm-rows') || document.querySelector('#terminal pre');
  return rows.innerText;
});

/** Waits until the page's own run has exited; its {status, name, message}. */
export async function exited(page, timeout = 30000) {
  await page.waitForFunction(() => window.selvm.page().state === 'exited', null, { timeout });
  return page.evaluate(() => window.selvm.page().exit);
}

/** The instruction count the status line shows. */
export async function instructions(page) {
  const text = await page.locator('#status').innerText();
  const m = text.match(/([\d,]+) instructions/);
  assert.ok(m, `no instruction count in the status line: ${text}`);
  return Number(m[1].replace(/,/g, ''));
}

/** `selvm ARGS` in the temporary directory: {status, stdout, stderr}. */
export function selvm(...args) {
  const r = spawnSync(BIN, args, { cwd: TMP, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** user/asm/NAME.s assembled by the command line: its path in TMP. */
export function assembled(name) {
  const out = join(TMP, `${name}.sbc`);
  execFileSync(BIN, ['asm', join(ROOT, 'user/asm', `${name}.s`), '-o', out]);
  return out;
}

/** The derivation tree's graph in the live view: its nodes, edges and note. */
export const graph = (page) => page.evaluate(() => {
  const svg = document.querySelector('#view svg.cdt-graph');
  if (!svg) return { nodes: [], edges: [], roots: [], note: '' };
  const nodes = [...svg.querySelectorAll('g.cdt-node')];
  return {
    nodes: nodes.map((g) => ({ slot: g.dataset.slot, parent: g.dataset.parent || null })),
    roots: nodes.filter((g) => g.classList.contains('root')).map((g) => g.dataset.slot),
    edges: [...svg.querySelectorAll('path.cdt-edge')].map((p) => ({ from: p.dataset.from, to: p.dataset.to })),
    labels: nodes.map((g) => g.querySelector('text').textContent),
    note: svg.parentElement.querySelector('.note').textContent,
  };
});

/**
 * Compares, in the page, the pixels of the PNG `file` (decoded by the browser without
 * colour conversion) with the page's canvas (`run` absent) or with the screenshot of
 * `window.selvm.run(run.bytes, run.options)`; only the verdict crosses back:
 * {width, height, differ, first, at: (x, y) -> [r, g, b, a] of the page's pixels at
 * the points asked}, plus the run's {status, message, console}.
 */
export const comparePng = (page, file, { run, points = [] } = {}) => page.evaluate(async ([png, r, pts]) => {
  const bitmap = await createImageBitmap(new Blob([new Uint8Array(png)], { type: 'image/png' }),
    { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c = new OffscreenCanvas(bitmap.width, bitmap.height);
  c.getContext('2d').drawImage(bitmap, 0, 0);
  const want = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let got;
  let width;
  let height;
  const out = {};
  if (r) {
    const res = await window.selvm.run(new Uint8Array(r.bytes), { ...r.options, screenshot: true });
    Object.assign(out, { status: res.status, message: res.message, console: res.console });
    if (!res.screenshot) return { ...out, differ: -1 };
    ({ width, height, rgba: got } = res.screenshot);
  } else {
    const canvas = document.querySelector('#screen');
    ({ width, height } = canvas);
    got = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  }
  let differ = 0;
  let first = null;
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (got[i] !== want[i]) {
      differ += 1;
      if (first === null) first = { x: (i >> 2) % width, y: Math.floor((i >> 2) / width) };
    }
  }
  const at = pts.map(([x, y]) => [...got.slice((y * width + x) * 4, (y * width + x) * 4 + 4)]);
  return { ...out, width, height, pngWidth: c.width, pngHeight: c.height, differ, first, at };
}, [[...readFileSync(file)], run ? { bytes: [...run.bytes], options: run.options } : null, points]);

/** Starts the browser before the file's tests and closes it after them. */
export function useBrowser() {
  before(async () => {
    assert.ok(URL && BIN, 'SELVM_URL and SELVM_BIN must be set (cargo xtask web --test sets them)');
    browser = await chromium.launch({
      executablePath: process.env.SELVM_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  });
  after(async () => { await browser?.close(); });
}
