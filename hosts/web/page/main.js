// The page: compiles the machine's module, starts its worker, boots the demo at
// once, and wires the terminal (both ways), the program menu, file open and drop,
// the controls, the framebuffer's canvas (both ways), the live kernel view and the
// timeline (docs/web.md).

import { makeTerminal } from './term.js';
import { KernelView, Timeline } from './view.js';
import { installApi } from './api.js';
import { Screen } from './screen.js';

const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();
const params = new URLSearchParams(location.search);

/** Programs the menu offers besides the built-ins: files served beside the page. */
const FILES = [
  { name: 'hello', file: 'programs/hello.wasm', what: 'hello: a Rust program using libsel4' },
  { name: 'conformance', file: 'programs/conformance.wasm', what: 'the conformance suite (139 tests of seL4 semantics)' },
  {
    name: 'gui', file: 'programs/gui.wasm', display: '640x480',
    what: 'gui: the GUI system of user/gui on a 640x480 canvas (paint, a game, a monitor; F10 ends it)',
  },
];
const BENCH = { name: 'bench', what: 'benchmarks: IPC round trips and compute, timed in this page' };

const state = {
  stats: null,
  page: { program: null, state: 'loading', exit: null, frames: 0 },
  console: () => term.transcript(),
};
let firstOutput = null;

const term = makeTerminal($('terminal'), (data) => {
  if (data === '\x04') return worker.postMessage({ type: 'closeInput' });
  worker.postMessage({ type: 'input', bytes: encoder.encode(data.replace(/\r/g, '\n')) });
});
const screen = new Screen($('screen'), (kind, code, x, y, buttons) => worker.postMessage({
  type: 'event', kind, code, x, y, buttons,
}));
const view = new KernelView($('view'));
const timeline = new Timeline($('timeline'));
let names = new Map();

let module;
try {
  module = await window.selvmStart.module;
} catch (err) {
  // No machine to run (selvm_web.wasm missing or not WebAssembly): say so in the page.
  const why = `selvm: the machine's module selvm_web.wasm could not be loaded (${err.message}); build the page with \`cargo xtask web\``;
  term.error(why);
  document.getElementById('status').textContent = why;
  await new Promise(() => {}); // the rest of the page needs the module: stop here, quietly
}
performance.mark('selvm-compiled');
const worker = window.selvmStart.worker;
let resolveReady;
const ready = new Promise((r) => { resolveReady = r; });
installApi(module, ready, state);

function setStatus(text) {
  $('status').textContent = text;
}

function counters(m) {
  return `${Math.round(m.instructions).toLocaleString()} instructions · ${Math.round(m.kernelEntries).toLocaleString()} kernel entries · ${(m.nowNs / 1e6).toFixed(1)} ms machine time`;
}

worker.onmessage = (e) => {
  const msg = e.data;
  switch (msg.type) {
    case 'ready': {
      performance.mark('selvm-worker-ready');
      const select = $('program');
      for (const b of msg.builtins.filter((x) => x.name === 'demo' || x.name === 'ipc-fastpath' || x.display)) {
        const what = b.name === 'demo' ? b.what : `${b.name}: ${b.what.replace('`rounds`', '100,000')}`;
        select.append(new Option(what, `builtin:${b.name}`));
      }
      for (const f of FILES) select.append(new Option(f.what, `file:${f.name}`));
      select.append(new Option(BENCH.what, 'bench'));
      resolveReady(msg);
      performance.mark('selvm-menu');
      const first = params.get('program') || 'demo';
      const value = [`builtin:${first}`, `file:${first}`, first].find((v) => [...select.options].some((o) => o.value === v));
      select.value = value || 'builtin:demo';
      start();
      break;
    }
    case 'booted':
      if (!performance.getEntriesByName('selvm-booted').length) performance.mark('selvm-booted');
      screen.show(msg.display);
      if (msg.status !== 0) {
        term.error(`selvm: ${msg.message}`);
        exited({ status: msg.status, name: msg.name, message: msg.message });
      }
      break;
    case 'console':
      if (firstOutput === null) {
        firstOutput = performance.now();
        performance.mark('selvm-first-output');
        window.selvmFirstOutputMs = firstOutput;
      }
      term.write(msg.bytes);
      break;
    case 'frame':
      screen.draw(msg.buffer);
      state.page.frames += 1;
      break;
    case 'state':
      state.page.state = msg.state;
      setStatus(`${msg.state} · ${counters(msg)}`);
      $('pause').textContent = msg.state === 'paused' ? 'Resume' : 'Pause';
      break;
    case 'stats':
      state.stats = JSON.parse(msg.json);
      names = new Map(state.stats.threads.map((t) => [t.tcb, t.name || t.tcb]));
      view.update(msg.json);
      timeline.draw(names);
      break;
    case 'trace':
      timeline.add(msg.lines);
      break;
    case 'exit':
      if (msg.message) term.error(`selvm: ${msg.message}`);
      exited(msg);
      break;
    case 'error':
      term.error(`selvm: ${msg.message}`);
      break;
    default:
      break;
  }
};

function exited(msg) {
  state.page.state = 'exited';
  state.page.exit = { status: msg.status, name: msg.name, message: msg.message || '' };
  term.note(`[exit status ${msg.status} (${msg.name})]`);
  setStatus(`exited with status ${msg.status} (${msg.name})${msg.instructions !== undefined ? ` · ${counters(msg)}` : ''}`);
  timeline.draw(names);
}

let current = null;

/** Boots `program` ({builtin, rounds} or {name, bytes}) in the page's worker. */
function boot(program, label) {
  current = { program, label };
  term.clear();
  timeline.reset();
  state.page = { program: label, state: 'booting', exit: null, frames: 0 };
  term.note(`[booting ${label}${$('virtual').checked ? ' in virtual time' : ''}]`);
  worker.postMessage({
    type: 'boot', program,
    // The demo in 16 MiB, as `selvm demo` (booting 64 MiB takes longer).
    options: {
      realTime: !$('virtual').checked, trace: true, memoryMib: program.builtin === 'demo' ? 16 : 64,
      // A file may want a display: ?display=WxH (a built-in program brings its own).
      display: program.builtin === undefined ? program.display ?? params.get('display') : undefined,
    },
  });
  if (program.builtin === 'display' || program.display) $('screen').focus(); else term.focus();
}

async function start() {
  const v = $('program').value;
  if (v === 'bench') return runBench();
  if (v.startsWith('builtin:')) {
    const name = v.slice(8);
    return boot({ builtin: name, rounds: Number(params.get('rounds')) || 100000 }, name);
  }
  const f = FILES.find((x) => `file:${x.name}` === v);
  const r = await fetch(f.file);
  if (!r.ok) return term.error(`selvm: ${f.file}: ${r.status} ${r.statusText} (built by cargo xtask web)`);
  boot({ name: `${f.name}.wasm`, bytes: new Uint8Array(await r.arrayBuffer()), display: f.display }, f.name);
}

async function runBench() {
  term.clear();
  term.note('[benchmarks in this page: each figure the best of five; IPC from 100,000 and 300,000 round trips]');
  setStatus('benchmarking…');
  const rows = await window.selvm.bench();
  if (!Array.isArray(rows)) return term.error(`selvm: ${rows.message}`);
  for (const r of rows) {
    const figure = r.instructions
      ? `${(r.ns / 1e6).toFixed(2)} ms per run (${(r.ns / r.instructions).toFixed(2)} ns per VM instruction)`
      : `${r.ns.toFixed(1)} ns per operation`;
    term.write(encoder.encode(`${r.name.padEnd(14)} ${figure}\n`));
  }
  setStatus('benchmarks done');
}

async function openFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  boot({ name: file.name, bytes }, file.name);
}

$('program').addEventListener('change', start);
$('reset').addEventListener('click', () => (current && $('program').value !== 'bench' ? boot(current.program, current.label) : start()));
$('pause').addEventListener('click', () => worker.postMessage({ type: state.page.state === 'paused' ? 'resume' : 'pause' }));
$('step').addEventListener('click', () => worker.postMessage({ type: 'step' }));
$('eof').addEventListener('click', () => worker.postMessage({ type: 'closeInput' }));
$('open').addEventListener('click', () => $('file').click());
$('file').addEventListener('change', (e) => { if (e.target.files[0]) openFile(e.target.files[0]); });
$('download').addEventListener('click', () => {
  const blob = new Blob([timeline.document()], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `selvm-${(state.page.program || 'trace').replace(/[^\w.-]/g, '_')}.trace.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});
const drop = $('terminal');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('drop'); });
drop.addEventListener('dragleave', () => drop.classList.remove('drop'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('drop');
  if (e.dataTransfer.files[0]) openFile(e.dataTransfer.files[0]);
});
if (params.get('virtual') === '1') $('virtual').checked = true;
worker.postMessage({ type: 'init', module });
