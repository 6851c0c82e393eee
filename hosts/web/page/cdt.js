// The capability derivation tree drawn as a graph (SVG), from the introspection
// document's `cdt` list (derivation order: every cap after its parent, a parent's
// descendants right after it). One row per cap, indented by its depth in the tree;
// an edge from each parent to each child; caps in the root task's CNode highlighted.
// At most MAX_NODES caps are drawn (the first ones in derivation order, so every
// drawn cap's parent is drawn too); the rest are counted below the graph.
//
// Each node is <g class="cdt-node" data-slot data-parent>, each edge <path
// class="cdt-edge" data-from data-to>: the browser test reads them back and compares
// them with the document and with `selvm run --stats`.

export const MAX_NODES = 300;

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 18;
const INDENT = 22;
const LEFT = 8;

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A node's label: where it is, its type, and its badge if it has one. */
function label(n, root) {
  const place = n.container === root ? `slot ${n.index}` : `${n.container}[${n.index}]`;
  const badge = n.cap.badge && n.cap.badge !== '0x0' ? ` badge ${n.cap.badge}` : '';
  return `${place} ${n.cap.type}${badge}`;
}

/**
 * The graph of `doc.cdt` (an SVG element, and a note if caps were left out);
 * `describe(cap)` gives a node's tooltip.
 */
export function cdtGraph(doc, describe) {
  const root = doc.cspace.cnode;
  const nodes = doc.cdt.slice(0, MAX_NODES);
  const drawn = new Map();
  let widest = 0;
  nodes.forEach((n, row) => {
    const parent = n.parent ? drawn.get(n.parent) : undefined;
    const depth = parent ? parent.depth + 1 : 0;
    const x = LEFT + depth * INDENT;
    const y = ROW / 2 + row * ROW;
    drawn.set(n.slot, { depth, x, y });
    widest = Math.max(widest, x + 12 + label(n, root).length * 7);
  });
  const height = nodes.length * ROW + 4;
  const g = svg('svg', {
    class: 'cdt-graph', width: widest + LEFT, height, viewBox: `0 0 ${widest + LEFT} ${height}`,
    role: 'img', 'aria-label': `capability derivation tree, ${nodes.length} caps`,
  });
  const edges = svg('g', { class: 'cdt-edges' });
  const caps = svg('g', { class: 'cdt-nodes' });
  g.append(edges, caps);
  for (const n of nodes) {
    const at = drawn.get(n.slot);
    const parent = n.parent ? drawn.get(n.parent) : undefined;
    if (parent) {
      edges.append(svg('path', {
        class: 'cdt-edge', 'data-from': n.parent, 'data-to': n.slot,
        d: `M${parent.x},${parent.y + 4} V${at.y} H${at.x - 4}`,
      }));
    }
    const node = svg('g', {
      class: `cdt-node${n.container === root ? ' root' : ''}${n.parent ? '' : ' top'}`,
      'data-slot': n.slot, 'data-parent': n.parent ?? '',
    });
    node.append(
      svg('title', {}, `${n.slot}: ${describe(n.cap)}${n.parent ? ` (derived from ${n.parent})` : ''}`),
      svg('circle', { cx: at.x, cy: at.y, r: 4 }),
      svg('text', { x: at.x + 9, y: at.y + 4 }, label(n, root)),
    );
    caps.append(node);
  }
  const left = doc.cdt.length - nodes.length;
  const note = document.createElement('p');
  note.className = 'note';
  note.textContent = left > 0
    ? `the first ${nodes.length} caps in derivation order are drawn; ${left} more are not`
    : 'green: caps in the root task\'s CNode; an edge joins each cap to the caps derived from it';
  const box = document.createElement('div');
  box.className = 'cdt-box';
  box.append(g, note);
  return box;
}
