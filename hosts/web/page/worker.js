// The Web Worker that owns a machine (docs/web.md, "The worker and the page"). The
// page's worker runs one program at a time in slices of about 12 ms, so it always
// hears pause, step, input and reset between them; a `run` request (window.selvm)
// gets a worker of its own and runs to the end without stopping.
//
// Page -> worker: init {module}, boot {program, options}, pause, resume, step,
// input {bytes}, closeInput, event {kind, code, x, y, buttons}, stats, run {program,
// options}, bench {cases, compute}.
// Worker -> page: ready {statuses, builtins}, booted {status, message, display},
// console {bytes}, frame {buffer} (transferred: Screen::frames' records), state
// {...counters, state}, stats {json}, trace {lines}, exit {status, message,
// ...counters}, result {...}, bench {rows}, error {message}.

import { instantiate, RUNNING, WAIT_INPUT, WAIT_TIME, EXITED } from './glue.js';

const SLICE_MS = 12;
const BUDGET = 1 << 18;
const STATS_MS = 250;
const TRACE_MS = 100;

let module = null;
let m = null;
let statuses = [];
let paused = false;
let exited = true;
let scheduled = false;
let lastStats = 0;
let lastTrace = 0;
let pendingTrace = '';
let wantInput = false;

const post = (msg, transfer) => postMessage(msg, transfer ?? []);
const channel = new MessageChannel();
channel.port1.onmessage = () => { scheduled = false; pump(); };

function schedule(ms) {
  if (scheduled) return;
  scheduled = true;
  if (ms > 0) setTimeout(() => { scheduled = false; pump(); }, ms);
  else channel.port2.postMessage(0);
}

function statusName(code) {
  return (statuses.find((s) => s.code === code) || { name: 'unknown' }).name;
}

/** A fresh instance if the last one trapped (a panic leaves it unusable). */
async function machine() {
  if (!m) m = await instantiate(module);
  return m;
}

/** The machine stopped on a bug (a Rust panic is a wasm trap): status 7. */
function crashed(err) {
  let message = err && err.message ? err.message : String(err);
  try {
    const panic = m && m.panicMessage();
    if (panic) message = panic;
  } catch (_) { /* the instance is gone; keep the trap's message */ }
  m = null;
  exited = true;
  return { status: 7, name: statusName(7), message: `the machine stopped on an internal error: ${message}` };
}

function boot(mach, p, o) {
  return p.builtin !== undefined
    ? mach.bootBuiltin(p.builtin, p.rounds ?? 0, o)
    : mach.bootFile(p.name, p.bytes, o);
}

function counters(state) {
  return m ? { type: 'state', state, ...m.counters() } : { type: 'state', state };
}

function flushConsole() {
  const bytes = m.console();
  if (bytes.length) post({ type: 'console', bytes }, [bytes.buffer]);
}

/** What the guest presented (or with `whole` the whole frame), to the page's canvas. */
function flushFrames(whole) {
  const bytes = m.frames(whole);
  if (bytes) post({ type: 'frame', buffer: bytes.buffer }, [bytes.buffer]);
}

function flushViews(force) {
  // Trace lines (at most TRACE_LIMIT a run, Session::trace) go out every
  // TRACE_MS, so a busy machine sends a few large messages, not one a slice.
  pendingTrace += m.trace();
  const now = performance.now();
  if (pendingTrace && (force || now - lastTrace >= TRACE_MS)) {
    lastTrace = now;
    post({ type: 'trace', lines: pendingTrace });
    pendingTrace = '';
  }
  if (force || now - lastStats >= STATS_MS) {
    lastStats = now;
    post({ type: 'stats', json: m.stats() });
  }
}

function finish() {
  exited = true;
  flushConsole();
  // As `selvm run --screenshot`: the frame at the end is the whole framebuffer.
  if (m.display()) flushFrames(true);
  flushViews(true);
  const status = m.exitStatus();
  post({ type: 'exit', status, name: statusName(status), message: m.exitMessage(), ...m.counters() });
}

/** Runs slices for about SLICE_MS, then yields to the page's messages. */
function pump() {
  if (!m || paused || exited) return;
  const t0 = performance.now();
  let code;
  try {
    for (;;) {
      code = m.run(BUDGET);
      flushConsole();
      if (code !== RUNNING || performance.now() - t0 > SLICE_MS) break;
    }
    if (code === EXITED) return finish();
    flushFrames(false);
    flushViews(false);
  } catch (err) {
    return post({ type: 'exit', ...crashed(err) });
  }
  wantInput = code === WAIT_INPUT;
  post(counters(wantInput ? 'waiting for input' : code === WAIT_TIME ? 'waiting for time' : 'running'));
  if (code === RUNNING) schedule(0);
  else if (code === WAIT_TIME) {
    const ms = (m.waitUntilNs() - m.counters().nowNs) / 1e6;
    schedule(Math.max(1, Math.min(ms, 50)));
  }
  // WAIT_INPUT: the next input message calls pump.
}

async function bootPage(p, o) {

  const mach = await machine();
  pendingTrace = '';
  const r = boot(mach, p, o);
  if (r.status === 0 && o.inputScript) {
    const err = mach.inputScript(o.inputScript);
    if (err) Object.assign(r, { status: 6, message: err });
  }
  exited = r.status !== 0;
  paused = !!o.paused;
  const display = r.status === 0 ? mach.display() : null;
  post({ type: 'booted', status: r.status, name: statusName(r.status), message: r.message, display });
  if (!exited) {
    lastStats = 0;
    // A running machine's first pump sends the view after its first output, so
    // drawing the view does not delay the console; a paused one shows it now.
    if (paused) flushViews(true);
    post(counters(paused ? 'paused' : 'running'));
    schedule(0);
  }
}

/** window.selvm.run: a fresh machine in virtual time, stdin given whole, run to the end. */
async function runToEnd(p, o) {
  const mach = await machine();
  const r = boot(mach, p, o);
  if (r.status !== 0) {
    return { status: r.status, name: statusName(r.status), message: r.message, console: '' };
  }
  if (o.inputScript) {
    const err = mach.inputScript(o.inputScript);
    if (err) return { status: 6, name: statusName(6), message: err, console: '' };
  }
  if (o.stdin && o.stdin.length) mach.input(o.stdin);
  mach.closeInput();
  mach.closeDisplayInput(); // nobody types to this run (a script still feeds it)
  const out = [];
  let code;
  do {
    code = mach.run(1 << 24);
    const bytes = mach.console();
    if (bytes.length) out.push(bytes);
  } while (code !== EXITED);
  const status = mach.exitStatus();
  const result = {
    status, name: statusName(status), message: mach.exitMessage(),
    console: new TextDecoder().decode(concat(out)), ...mach.counters(),
  };
  if (o.stats) result.stats = mach.stats();
  const display = mach.display();
  if (display && o.screenshot) {
    // The whole frame at the end, as --screenshot: one record, RGBA after 16 bytes.
    result.screenshot = { width: display[0], height: display[1], rgba: mach.frames(true).subarray(16) };
  }
  if (o.trace) result.trace = mach.trace();
  return result;
}

function concat(chunks) {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return all;
}

/** The in-page benchmarks (hosts/web/src/bench.rs): the same method as examples/bench.rs. */
async function bench(cases, compute, rounds) {
  const mach = await machine();
  const rows = [];
  const [r1, r2] = rounds;
  for (const name of cases) {
    let best = Infinity;
    for (let rep = 0; rep < 5; rep++) {
      const timed = (n) => {
        const r = mach.bootBuiltin(name, n, {});
        if (r.status) throw new Error(r.message);
        const t = performance.now();
        while (mach.run(1e15) === RUNNING) { /* to the end */ }
        const ms = performance.now() - t;
        if (mach.exitStatus() !== 0) throw new Error(`${name}: ${mach.exitMessage()}`);
        return ms;
      };
      const a = timed(r1);
      const b = timed(r2);
      best = Math.min(best, ((b - a) * 1e6) / (r2 - r1));
    }
    rows.push({ name, ns: best });
  }
  for (const { name, wasm } of compute) {
    const err = mach.computeLoad(name, wasm);
    if (err) throw new Error(err);
    let best = Infinity;
    let instructions = 0;
    for (let rep = 0; rep < 5; rep++) {
      const t = performance.now();
      instructions = mach.computeRun();
      best = Math.min(best, (performance.now() - t) * 1e6);
    }
    rows.push({ name, ns: best, instructions });
  }
  return rows;
}

onmessage = async (e) => {
  const msg = e.data;
  try {
    switch (msg.type) {
      case 'init': {
        module = msg.module;
        const mach = await machine();
        statuses = mach.statusTable();
        post({ type: 'ready', statuses, builtins: mach.builtins() });
        break;
      }
      case 'boot': await bootPage(msg.program, msg.options || {}); break;
      case 'pause':
        paused = true;
        if (m && !exited) post(counters('paused'));
        break;
      case 'resume':
        paused = false;
        if (m && !exited) { post(counters('running')); schedule(0); }
        break;
      case 'step':
        if (!m || exited) break;
        paused = true;
        try {
          const code = m.step();
          flushConsole();
          if (code === EXITED) finish();
          else { flushFrames(false); flushViews(true); post(counters('paused')); }
        } catch (err) { post({ type: 'exit', ...crashed(err) }); }
        break;
      case 'input':
        if (m && !exited) { m.input(msg.bytes); if (wantInput) schedule(0); }
        break;
      case 'event':
        if (m && !exited && m.event(msg.kind, msg.code, msg.x, msg.y, msg.buttons) && wantInput) schedule(0);
        break;
      case 'closeInput':
        if (m && !exited) { m.closeInput(); schedule(0); }
        break;
      case 'stats':
        if (m) post({ type: 'stats', json: m.stats() });
        break;
      case 'run': {
        let result;
        try { result = await runToEnd(msg.program, msg.options || {}); } catch (err) { result = { ...crashed(err), console: '' }; }
        post({ type: 'result', result });
        break;
      }
      case 'bench':
        post({ type: 'bench', rows: await bench(msg.cases, msg.compute, msg.rounds) });
        break;
      default:
        post({ type: 'error', message: `unknown request ${msg.type}` });
    }
  } catch (err) {
    post({ type: 'error', message: err && err.message ? err.message : String(err) });
  }
};
