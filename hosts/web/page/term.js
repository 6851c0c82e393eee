// The terminal: xterm.js (@xterm/xterm from npm, served as vendor/xterm.js) when the
// page has it, else a plain fallback (a <pre> that takes keys), so the page works
// where npm never ran. Both keep a transcript of everything written (for tests and
// window.selvm.console()).

const decoder = new TextDecoder();

export function makeTerminal(element, onInput) {
  let transcript = '';
  const record = (bytes) => {
    transcript += typeof bytes === 'string' ? bytes : decoder.decode(bytes, { stream: true });
  };
  if (window.Terminal) {
    const term = new window.Terminal({
      convertEol: true, cursorBlink: true, fontSize: 13, rows: 26, scrollback: 5000,
      theme: { background: '#101418' },
    });
    term.open(element);
    term.onData((data) => onInput(data));
    return {
      kind: 'xterm',
      write(bytes) { record(bytes); term.write(bytes); },
      note(text) { term.write(`\x1b[2m${text}\x1b[0m\r\n`); },
      error(text) { term.write(`\x1b[31m${text}\x1b[0m\r\n`); },
      clear() { transcript = ''; term.reset(); },
      focus() { term.focus(); },
      transcript: () => transcript,
    };
  }
  const pre = document.createElement('pre');
  pre.className = 'fallback-term';
  pre.tabIndex = 0;
  element.appendChild(pre);
  const append = (text, cls) => {
    const span = document.createElement('span');
    if (cls) span.className = cls;
    span.textContent = text;
    pre.appendChild(span);
    pre.scrollTop = pre.scrollHeight;
  };
  pre.addEventListener('keydown', (e) => {
    if (e.ctrlKey && e.key.length === 1) {
      onInput(String.fromCharCode(e.key.toUpperCase().charCodeAt(0) - 64));
    } else if (e.key === 'Enter') onInput('\r');
    else if (e.key === 'Backspace') onInput('\x7f');
    else if (e.key.length === 1) onInput(e.key);
    else return;
    e.preventDefault();
  });
  pre.addEventListener('paste', (e) => { onInput(e.clipboardData.getData('text')); e.preventDefault(); });
  return {
    kind: 'fallback',
    write(bytes) { record(bytes); append(decoder.decode(bytes)); },
    note(text) { append(`${text}\n`, 'note'); },
    error(text) { append(`${text}\n`, 'err'); },
    clear() { transcript = ''; pre.textContent = ''; },
    focus() { pre.focus(); },
    transcript: () => transcript,
  };
}
