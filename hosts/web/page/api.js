// window.selvm: the page's JavaScript API (docs/web.md), for embedding and tests.
// Every run gets a worker and a machine of its own (virtual time, so a run is a
// function of its program and stdin), and resolves with a status from the one
// exit-status table the command line uses; it never rejects for a bad program.

const encoder = new TextEncoder();

export function installApi(module, ready, pageState) {
  let statuses = [];
  const nameOf = (code) => (statuses.find((s) => s.code === code) || { name: 'unknown' }).name;

  /** Runs one request in a fresh worker; `timeoutMs` ends it with status 5. */
  function inWorker(request, timeoutMs) {
    return new Promise((resolve) => {
      const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
      let timer = null;
      const done = (result) => { clearTimeout(timer); w.terminate(); resolve(result); };
      if (timeoutMs) {
        timer = setTimeout(() => done({
          status: 5, name: nameOf(5), message: `stopped after ${timeoutMs} ms (timeoutMs)`, console: '',
        }), timeoutMs);
      }
      w.onerror = (e) => done({ status: 7, name: nameOf(7), message: `the worker failed: ${e.message}`, console: '' });
      w.onmessage = (e) => {
        const msg = e.data;
        if (msg.type === 'ready') w.postMessage(request);
        else if (msg.type === 'result') done(msg.result);
        else if (msg.type === 'bench') done(msg.rows);
        else if (msg.type === 'error') done({ status: 7, name: nameOf(7), message: msg.message, console: '' });
      };
      w.postMessage({ type: 'init', module });
    });
  }

  function bytesOf(program) {
    if (typeof program === 'string') return encoder.encode(program);
    if (program instanceof ArrayBuffer) return new Uint8Array(program);
    if (ArrayBuffer.isView(program)) return new Uint8Array(program.buffer, program.byteOffset, program.byteLength);
    return null;
  }

  function options(o) {
    const stdin = o.stdin === undefined ? null : bytesOf(o.stdin);
    return {
      stdin, maxInstructions: o.maxInstructions ?? 0, memoryMib: o.memoryMib ?? 64,
      stats: !!o.stats, trace: !!o.trace,
      display: o.display, inputScript: o.inputScript, screenshot: !!o.screenshot,
    };
  }

  const api = {
    /** Resolves once the machine's module is compiled and the page's worker is up. */
    ready: ready.then(() => api),
    /** The exit-status table: [{code, name, meaning}]. */
    get statuses() { return statuses; },
    builtins: [],
    /**
     * Boots a fresh machine with `program` (an .sbc module, WebAssembly, or
     * WebAssembly text; bytes or a string) as its root task and runs it to the end.
     * Options: stdin (bytes or string, then end of input), maxInstructions,
     * timeoutMs, memoryMib (64), stats (the introspection document at the end),
     * trace (the trace events), name (the file name messages use), display
     * ('WxH' or [w, h]: a framebuffer and input device), inputScript (the input
     * device's events, `selvm run --input-script`'s format), screenshot (the whole
     * frame at the end: {width, height, rgba}).
     * Resolves with {status, name, message, console, instructions, kernelEntries, nowNs}.
     */
    async run(program, o = {}) {
      await ready;
      const bytes = bytesOf(program);
      if (!bytes) {
        return { status: 6, name: nameOf(6), message: 'run takes the program as bytes (Uint8Array, ArrayBuffer) or text', console: '' };
      }
      const file = { name: o.name ?? 'program', bytes };
      return inWorker({ type: 'run', program: file, options: options(o) }, o.timeoutMs);
    },
    /** As `run`, with a built-in program (`selvm.builtins`; `rounds` for the IPC ones). */
    async runBuiltin(name, o = {}) {
      await ready;
      const p = { builtin: name, rounds: o.rounds ?? 1000 };
      return inWorker({ type: 'run', program: p, options: options(o) }, o.timeoutMs);
    },
    /**
     * The in-page benchmarks: IPC round trips (ns each, from two round counts) and
     * the compute programs of `selvm bench wasm` (ns per run), best of five each.
     */
    async bench(o = {}) {
      await ready;
      const cases = o.cases ?? ['ipc-fastpath', 'ipc-slowpath', 'ipc-signal', 'ipc-yield'];
      const names = o.compute ?? ['fib', 'sieve', 'matmul', 'sha256', 'nbody', 'sort', 'coremark'];
      const compute = await Promise.all(names.map(async (name) => {
        const r = await fetch(`bench/${name}.wasm`);
        return { name, wasm: new Uint8Array(await r.arrayBuffer()) };
      }));
      return inWorker({ type: 'bench', cases, compute, rounds: o.rounds ?? [100000, 300000] });
    },
    /** The live view's latest introspection document (parsed), if any. */
    stats: () => pageState.stats,
    /** Everything the page's terminal has shown of the console. */
    console: () => pageState.console(),
    /** The page's own run: {program, state, exit, frames} (frames: canvas updates). */
    page: () => pageState.page,
  };
  ready.then((r) => { statuses = r.statuses; api.builtins = r.builtins.map((b) => b.name); });
  window.selvm = api;
  return api;
}
