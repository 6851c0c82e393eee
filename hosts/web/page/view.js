// The live view of the kernel, drawn from the introspection document
// (Machine::snapshot, the JSON `selvm run --stats` writes; docs/hosted.md):
// threads, endpoints and notifications with their queues, the root CNode, and the
// capability derivation tree as a graph (cdt.js); and the timeline of the trace
// (the CLI's --trace events), downloadable as a Chrome/Perfetto trace.

import { cdtGraph } from './cdt.js';

const MAX_SLOTS = 300;
const MAX_TRACE = 400000;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function table(head, rows, cls) {
  return el('table', { class: cls || '' },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
}

/** A cap in a few words: its type and what matters about it. */
export function describeCap(c) {
  const parts = [c.type];
  if (c.object) parts.push(c.object);
  if (c.badge && c.badge !== '0x0') parts.push(`badge ${c.badge}`);
  if (c.rights) parts.push(c.rights);
  if (c.type === 'untyped') parts.push(`2^${c.size_bits}${c.device ? ' device' : ''}`);
  if (c.type === 'cnode') parts.push(`radix ${c.size_bits - 5}`);
  if (c.size) parts.push(c.size);
  if (c.mapped) parts.push(`mapped ${c.mapped.vaddr}`);
  if (c.irq !== undefined) parts.push(`irq ${c.irq}`);
  return parts.join(' ');
}

export class KernelView {
  constructor(root) {
    this.root = root;
    this.doc = null;
    this.graph = null; // [the cdt list as JSON, its graph], redrawn only when it changes
  }

  /** Redraws from a new document (the JSON text). */
  update(json) {
    const doc = JSON.parse(json);
    this.doc = doc;
    const names = new Map(doc.threads.map((t) => [t.tcb, t.name || t.tcb]));
    const kinds = new Map([
      ...doc.endpoints.map((e) => [e.object, 'endpoint']),
      ...doc.notifications.map((n) => [n.object, 'notification']),
    ]);
    const who = (q) => (q.length ? q.map((t) => names.get(t) || t).join(' → ') : '—');
    const threads = table(['thread', 'TCB', 'prio', 'state', 'blocked on', 'bound'],
      doc.threads.map((t) => [
        (t.tcb === doc.current ? '▶ ' : '') + (t.name || '(unnamed)'), t.tcb, t.priority, t.state,
        t.blocked_on ? `${kinds.get(t.blocked_on) || 'object'} ${t.blocked_on}` : '—',
        t.bound_notification || '—',
      ]), 'threads');
    const ipc = table(['object', 'kind', 'state', 'queue'], [
      ...doc.endpoints.map((e) => [e.object, 'endpoint', e.state, who(e.queue)]),
      ...doc.notifications.map((n) => [n.object, 'notification',
        n.state + (n.word !== '0x0' ? ` (word ${n.word})` : ''), who(n.queue)
          + (n.bound ? ` · bound to ${names.get(n.bound) || n.bound}` : '')]),
    ], 'ipc');
    const slots = doc.cspace.slots.slice(0, MAX_SLOTS);
    const cspace = table(['slot', 'cap'], slots.map((s) => [s.index, describeCap(s.cap)]), 'cspace');
    const more = doc.cspace.slots.length > MAX_SLOTS
      ? el('p', { class: 'note' }, `… and ${doc.cspace.slots.length - MAX_SLOTS} more slots`) : '';
    const counters = el('p', { class: 'counters' },
      `${doc.instructions.toLocaleString()} instructions · ${doc.kernel_entries.toLocaleString()} kernel entries · `
      + `machine time ${(doc.now_ns / 1e6).toFixed(3)} ms`);
    this.root.replaceChildren(
      counters,
      el('h3', {}, `Threads (${doc.threads.length})`), threads,
      el('h3', {}, `Endpoints and notifications (${doc.endpoints.length + doc.notifications.length})`), ipc,
      el('h3', {}, `Root CNode ${doc.cspace.cnode} (radix ${doc.cspace.radix}, ${doc.cspace.slots.length} caps)`),
      cspace, more,
      el('h3', {}, `Capability derivation tree (${doc.cdt.length} caps)`), this.cdt(doc));
  }

  /** The derivation tree's graph, drawn again only if the tree changed. */
  cdt(doc) {
    const key = JSON.stringify(doc.cdt) + doc.cspace.cnode;
    if (!this.graph || this.graph[0] !== key) this.graph = [key, cdtGraph(doc, describeCap)];
    return this.graph[1];
  }
}

const COLORS = { ipc: '#4aa3ff', syscall: '#9aa5b1', fault: '#ff5c5c', interrupt: '#ffb347', tick: '#3b4652' };

/** The timeline of kernel entries and thread slices, and the trace it can download. */
export class Timeline {
  constructor(canvas) {
    this.canvas = canvas;
    this.lines = [];
    this.events = [];
    this.dropped = 0;
    this.lanes = new Map();
  }

  reset() {
    this.lines = [];
    this.events = [];
    this.dropped = 0;
    this.lanes = new Map();
    this.draw();
  }

  /** Trace events, one JSON object a line (Session::trace). */
  add(text) {
    for (const line of text.split('\n')) {
      if (!line) continue;
      this.lines.push(line);
      const e = JSON.parse(line);
      if (!this.lanes.has(e.tid)) this.lanes.set(e.tid, this.lanes.size);
      this.events.push(e);
    }
    if (this.lines.length > MAX_TRACE) {
      const cut = this.lines.length - MAX_TRACE;
      this.lines.splice(0, cut);
      this.events.splice(0, cut);
      this.dropped += cut;
    }
  }

  /** The whole trace as the CLI's --trace file (trace::BEGIN, events, trace::END). */
  document() {
    return `{"traceEvents":[\n${this.lines.join(',\n')}\n]}\n`;
  }

  draw(names) {
    const c = this.canvas;
    const lanes = Math.max(1, this.lanes.size);
    const width = c.clientWidth || 800;
    const height = 22 + lanes * 20;
    if (c.width !== width) c.width = width;
    if (c.height !== height) c.height = height;
    const g = c.getContext('2d');
    g.fillStyle = '#0b0f13';
    g.fillRect(0, 0, width, height);
    if (!this.events.length) return;
    const end = this.events.reduce((t, e) => Math.max(t, e.ts + (e.dur || 0)), 0);
    const span = Math.max(1, Math.min(end - this.events[0].ts, 20000)); // the last 20 ms at most
    const start = end - span;
    const label = 110;
    const x = (ts) => label + ((ts - start) / span) * (width - label - 4);
    g.font = '11px monospace';
    for (const [tid, lane] of this.lanes) {
      g.fillStyle = '#cfd8e3';
      const name = (names && names.get(`0x${Number(tid).toString(16)}`)) || `0x${Number(tid).toString(16)}`;
      g.fillText(name.slice(0, 15), 4, 30 + lane * 20);
    }
    for (const e of this.events) {
      if ((e.ts + (e.dur || 0)) < start) continue;
      const y = 18 + this.lanes.get(e.tid) * 20;
      if (e.ph === 'X') {
        g.fillStyle = '#2e7d4f';
        g.fillRect(x(Math.max(e.ts, start)), y + 2, Math.max(1, x(e.ts + e.dur) - x(Math.max(e.ts, start))), 14);
      } else {
        g.fillStyle = COLORS[e.cat] || '#fff';
        g.fillRect(x(e.ts), y, 2, 18);
      }
    }
    g.fillStyle = '#9aa5b1';
    g.fillText(`${(span / 1000).toFixed(2)} ms of machine time to ${(end / 1000).toFixed(2)} ms`, label, 12);
  }
}
