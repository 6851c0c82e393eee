// The wasm ABI of hosts/web/src/ffi.rs, wrapped for the worker: one machine per
// instance, bytes in through the inbox, out through the outbox (docs/web.md lists
// every export). Kept by hand; the Rust side names the same exports.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What `run` and `step` return. */
export const RUNNING = 0;
export const WAIT_INPUT = 1;
export const WAIT_TIME = 2;
export const EXITED = 3;
export const NO_MACHINE = 4;

const REAL_TIME = 1;
const TRACE = 2;

/** Instantiates the compiled page module (a `WebAssembly.Module`). */
export async function instantiate(module) {
  const imports = { selvm: { selvm_host_now_ms: () => performance.now() } };
  const instance = await WebAssembly.instantiate(module, imports);
  return new Machine(instance.exports);
}

export class Machine {
  constructor(exports) {
    this.x = exports;
    this.x.selvm_init();
  }

  /** Writes the byte arrays `parts` into the inbox, one after the other. */
  put(...parts) {
    const len = parts.reduce((n, p) => n + p.length, 0);
    const ptr = this.x.selvm_inbox(len);
    const view = new Uint8Array(this.x.memory.buffer, ptr, len);
    let at = 0;
    for (const p of parts) {
      view.set(p, at);
      at += p.length;
    }
    return len;
  }

  /** A copy of the outbox's first `len` bytes. */
  take(len) {
    return new Uint8Array(this.x.memory.buffer, this.x.selvm_outbox(), len).slice();
  }

  text(len) {
    return decoder.decode(this.take(len));
  }

  static flags(o) {
    return (o.realTime ? REAL_TIME : 0) | (o.trace ? TRACE : 0);
  }

  /**
   * `display` ([width, height], or 'WxH') as the boot functions take it: w << 16 | h,
   * 0 for none, null if it is not a size (the machine judges the limits itself).
   */
  static display(o) {
    if (o.display === undefined || o.display === null || o.display === '') return 0;
    const d = typeof o.display === 'string' && /^\d+[xX]\d+$/.test(o.display)
      ? o.display.split(/x/i).map(Number) : o.display;
    const side = (n) => Number.isInteger(n) && n > 0 && n < 0x10000;
    if (!Array.isArray(d) || d.length !== 2 || !d.every(side)) return null;
    return ((d[0] << 16) | d[1]) >>> 0;
  }

  /** The refusal of a display that is not a size: status 2, as `--display` says. */
  static badDisplay(o) {
    return { status: 2, message: `display: expected WIDTHxHEIGHT such as 640x480, not ${JSON.stringify(o.display)}` };
  }

  /** Boots a program file; `{status, message}` (status 0: booted). */
  bootFile(name, bytes, o = {}) {
    const display = Machine.display(o);
    if (display === null) return Machine.badDisplay(o);
    const n = encoder.encode(name);
    this.put(n, bytes);
    const status = this.x.selvm_boot_file(
      n.length, o.memoryMib ?? 64, o.maxInstructions ?? 0, Machine.flags(o), display);
    return { status, message: this.text(this.x.selvm_outbox_len()) };
  }

  /** Boots a built-in program (`rounds` for the IPC ones); as `bootFile`. */
  bootBuiltin(name, rounds, o = {}) {
    const display = Machine.display(o);
    if (display === null) return Machine.badDisplay(o);
    this.put(encoder.encode(name));
    const status = this.x.selvm_boot_builtin(
      rounds ?? 0, o.memoryMib ?? 64, o.maxInstructions ?? 0, Machine.flags(o), display);
    return { status, message: this.text(this.x.selvm_outbox_len()) };
  }

  run(budget) { return this.x.selvm_run(budget); }
  step() { return this.x.selvm_step(); }
  waitUntilNs() { return this.x.selvm_wait_until_ns(); }
  exitStatus() { return this.x.selvm_exit_status(); }
  exitMessage() { return this.text(this.x.selvm_exit_message()); }
  console() { return this.take(this.x.selvm_console()); }
  stats() { return this.text(this.x.selvm_stats()); }
  trace() { return this.text(this.x.selvm_trace()); }
  closeInput() { this.x.selvm_close_input(); }
  panicMessage() { return this.text(this.x.selvm_panic_message()); }
  statusTable() { return JSON.parse(this.text(this.x.selvm_status_table())); }
  builtins() { return JSON.parse(this.text(this.x.selvm_builtins())); }

  /** The display's [width, height], or null. */
  display() {
    const d = this.x.selvm_display();
    return d ? [d >>> 16, d & 0xffff] : null;
  }

  /** Feeds the input device from an input script: null, or the error message. */
  inputScript(text) {
    return this.x.selvm_input_script(this.put(encoder.encode(text)))
      ? this.text(this.x.selvm_outbox_len()) : null;
  }

  /** A keyboard or pointer event (kinds as INPUT_KEY_DOWN... in abi): whether it entered. */
  event(kind, code, x, y, buttons) {
    return this.x.selvm_event(kind, code, x, y, buttons) === 1;
  }

  closeDisplayInput() { this.x.selvm_close_display_input(); }

  /** Presented rectangles since the last call (or the whole frame): a copy, or null. */
  frames(whole = false) {
    const len = this.x.selvm_frames(whole ? 1 : 0);
    return len ? this.take(len) : null;
  }

  input(bytes) {
    this.x.selvm_input(this.put(bytes));
  }

  counters() {
    return {
      instructions: this.x.selvm_instructions(),
      kernelEntries: this.x.selvm_kernel_entries(),
      nowNs: this.x.selvm_now_ns(),
    };
  }

  /** Loads a compute benchmark (`null`, or the error). */
  computeLoad(name, wasm) {
    const n = encoder.encode(name);
    this.put(n, wasm);
    return this.x.selvm_compute_load(n.length) ? null : this.text(this.x.selvm_outbox_len());
  }

  /** Runs it once: its instructions, or throws the error. */
  computeRun() {
    const n = this.x.selvm_compute_run();
    if (n < 0) throw new Error(this.text(this.x.selvm_outbox_len()));
    return n;
  }
}
