// The machine's framebuffer on a <canvas> (docs/web.md, "The display"): the worker
// sends what the guest presented as records of x, y, width, height (little-endian
// u32) and RGBA pixels, in a transferred buffer; each record becomes an ImageData
// over that buffer (no pixel is copied in JavaScript). The canvas's keyboard and
// pointer become the input device's events, with Linux evdev key codes and buttons
// 0 left, 1 right, 2 middle, as in input scripts and the desktop window.

// The input device's event kinds (abi: INPUT_KEY_DOWN ...).
export const KEY_DOWN = 1;
export const KEY_UP = 2;
export const POINTER_MOVE = 3;
export const BUTTON_DOWN = 4;
export const BUTTON_UP = 5;

const LETTERS = 'QWERTYUIOP    ASDFGHJKL     ZXCVBNM'; // from Q, evdev 16
/** KeyboardEvent.code -> evdev code (the keys hosts/cli/src/window.rs maps too). */
const EVDEV = new Map([
  ['Escape', 1], ['Minus', 12], ['Equal', 13], ['Backspace', 14], ['Tab', 15],
  ['BracketLeft', 26], ['BracketRight', 27], ['Enter', 28], ['ControlLeft', 29],
  ['Semicolon', 39], ['Quote', 40], ['Backquote', 41], ['ShiftLeft', 42], ['Backslash', 43],
  ['Comma', 51], ['Period', 52], ['Slash', 53], ['ShiftRight', 54], ['AltLeft', 56],
  ['Space', 57], ['CapsLock', 58], ['F11', 87], ['F12', 88], ['ControlRight', 97],
  ['AltRight', 100], ['Home', 102], ['ArrowUp', 103], ['PageUp', 104], ['ArrowLeft', 105],
  ['ArrowRight', 106], ['End', 107], ['ArrowDown', 108], ['PageDown', 109], ['Insert', 110],
  ['Delete', 111],
  ...[...'1234567890'].map((d, i) => [`Digit${d}`, i + 2]),
  ...[...LETTERS].map((l, i) => [`Key${l}`, i + 16]).filter(([k]) => k !== 'Key '),
  ...Array.from({ length: 10 }, (_, i) => [`F${i + 1}`, 59 + i]),
]);
/** MouseEvent.button (0 left, 1 middle, 2 right) -> the input device's button. */
const BUTTON = [0, 2, 1];

export class Screen {
  /** `send(kind, code, x, y, buttons)` hands an event to the worker. */
  constructor(canvas, send) {
    this.canvas = canvas;
    this.g = canvas.getContext('2d');
    this.send = send;
    this.buttons = 0;
    this.at = [-1, -1];
    this.frames = 0;
    canvas.addEventListener('keydown', (e) => this.key(e, KEY_DOWN));
    canvas.addEventListener('keyup', (e) => this.key(e, KEY_UP));
    canvas.addEventListener('mousemove', (e) => this.move(e));
    canvas.addEventListener('mousedown', (e) => {
      canvas.focus();
      this.move(e);
      this.button(e, BUTTON_DOWN);
    });
    canvas.addEventListener('mouseup', (e) => { this.move(e); this.button(e, BUTTON_UP); });
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  /** A machine with a `width` x `height` display booted (or none: null). */
  show(size) {
    const box = this.canvas.parentElement;
    box.hidden = !size;
    if (!size) return;
    const [w, h] = size;
    this.canvas.width = w;
    this.canvas.height = h;
    // Shown at twice its size when there is room, else at its size (whole multiples
    // keep the pixels square and sharp), scaled down only if even that is too wide.
    const room = box.clientWidth || w * 2;
    const scale = room >= w * 2 ? 2 : 1;
    this.canvas.style.width = `${Math.min(w * scale, room)}px`;
    this.g.fillStyle = '#000';
    this.g.fillRect(0, 0, w, h);
    this.buttons = 0;
    this.at = [-1, -1];
    this.frames = 0;
  }

  /** Draws a buffer of records (Screen::frames in hosts/web/src/screen.rs). */
  draw(buffer) {
    const words = new DataView(buffer);
    let at = 0;
    while (at + 16 <= buffer.byteLength) {
      const [x, y, w, h] = [0, 4, 8, 12].map((o) => words.getUint32(at + o, true));
      const n = w * h * 4;
      if (!w || !h || at + 16 + n > buffer.byteLength) break;
      this.g.putImageData(new ImageData(new Uint8ClampedArray(buffer, at + 16, n), w, h), x, y);
      at += 16 + n;
    }
    this.frames += 1;
  }

  /** The event's place in framebuffer pixels, clamped to the screen. */
  pixel(e) {
    const r = this.canvas.getBoundingClientRect();
    const clamp = (v, n) => Math.max(0, Math.min(n - 1, Math.floor(v)));
    return [
      clamp(((e.clientX - r.left) * this.canvas.width) / r.width, this.canvas.width),
      clamp(((e.clientY - r.top) * this.canvas.height) / r.height, this.canvas.height),
    ];
  }

  move(e) {
    const [x, y] = this.pixel(e);
    if (x === this.at[0] && y === this.at[1]) return;
    this.at = [x, y];
    this.send(POINTER_MOVE, 0, x, y, this.buttons);
  }

  button(e, kind) {
    e.preventDefault();
    const b = BUTTON[e.button];
    if (b === undefined) return;
    const held = (this.buttons & (1 << b)) !== 0;
    if (held === (kind === BUTTON_DOWN)) return;
    this.buttons ^= 1 << b;
    this.send(kind, b, Math.max(0, this.at[0]), Math.max(0, this.at[1]), this.buttons);
  }

  key(e, kind) {
    const code = EVDEV.get(e.code);
    if (code === undefined || e.repeat) return;
    e.preventDefault();
    this.send(kind, code, Math.max(0, this.at[0]), Math.max(0, this.at[1]), this.buttons);
  }
}
