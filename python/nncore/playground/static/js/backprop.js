// Backpropagation for one training point: the graph model.graph builds, one card per
// node (value, and ∂L/∂node once the backward pass has reached it), walked backward
// one operation per click with the chain-rule product of each step in numbers.
import { fmt } from "./draw.js";

const W = 150, H = 92, DX = 170, ROWS = { top: 0, middle: 1, bottom: 2 }, DY = 118;

export function short(v, max = 6) {
  if (v === null || v === undefined) return "–";
  if (!Array.isArray(v)) return fmt(v);
  const flat = v.flat(Infinity);
  const shape = shapeOf(v);
  const body = flat.slice(0, max).map(fmt).join(", ") + (flat.length > max ? ", …" : "");
  return shape.length > 1 || flat.length > 1 ? `[${body}]` : body;
}

function shapeOf(v) { const s = []; while (Array.isArray(v)) { s.push(v.length); v = v[0]; } return s; }

export class BackpropView {
  constructor(graphEl, textEl) { this.graphEl = graphEl; this.textEl = textEl; this.data = null; }

  show(data) {
    this.data = data;
    this.done = 0;                       // steps taken
    this.cards = {};
    this.graphEl.innerHTML = "";
    const byName = Object.fromEntries(data.nodes.map(n => [n.name, n]));
    // Columns follow the forward order; parameters sit above and the target and penalty
    // terms below the operation that first uses them.
    const col = {}, row = {}, used = { top: new Set(), middle: new Set(), bottom: new Set() };
    const rowOf = n => n.op === "param" ? "top"
      : (n.op === "target" || ["sqsum", "abssum", "penalty"].includes(n.op)) ? "bottom" : "middle";
    const place = (name, r, c) => { while (used[r].has(c)) c++; used[r].add(c); col[name] = c; row[name] = r; };
    for (const n of data.nodes) {
      if (n.leaf) { if (n.op === "input") place(n.name, "middle", 0); continue; }
      const r = rowOf(n);
      let c = 0;
      for (const i of n.inputs) if (col[i] !== undefined) c = Math.max(c, col[i] + (row[i] === r ? 1 : 0));
      place(n.name, r, c);
      for (const i of n.inputs) if (col[i] === undefined) place(i, rowOf(byName[i]), c);
    }
    let width = 0;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    this.graphEl.appendChild(svg);
    for (const n of data.nodes) {
      const d = document.createElement("div");
      d.className = "node" + (n.op === "param" ? " param" : n.leaf ? " data" : "");
      d.id = `node-${n.name}`;
      d.dataset.name = n.name;
      d.dataset.value = JSON.stringify(n.value);
      d.style.left = `${col[n.name] * DX + 4}px`; d.style.top = `${ROWS[row[n.name]] * DY + 4}px`;
      d.innerHTML = `<b>${n.name}</b> <span class="note">${n.op}</span><div class="formula" title="${n.formula}">${n.formula}</div>` +
        `<div class="value">${short(n.value)}</div><div class="grad"></div>`;
      this.graphEl.appendChild(d);
      this.cards[n.name] = d;
      width = Math.max(width, col[n.name] * DX + W + 10);
    }
    this.graphEl.style.height = `${3 * DY + 10}px`;
    svg.setAttribute("width", width); svg.setAttribute("height", 3 * DY + 10);
    for (const n of data.nodes) for (const i of n.inputs) {
      const a = this.cards[i], b = this.cards[n.name];
      const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
      const ax = a.offsetLeft + W / 2, ay = a.offsetTop + H / 2, bx = b.offsetLeft + W / 2, by = b.offsetTop + H / 2;
      Object.entries({ x1: ax, y1: ay, x2: bx, y2: by, stroke: "#bbb", "stroke-width": 1.5 }).forEach(([k, v]) => line.setAttribute(k, v));
      svg.appendChild(line);
    }
    this.textEl.textContent = `${data.title}\nL = ${fmt(data.value)} for training point ${data.index}. ` +
      `Press “Backward step”: ${data.steps.length} operations from L back to the parameters.`;
  }

  get finished() { return !this.data || this.done >= this.data.steps.length; }

  step() {
    if (this.finished) return;
    const s = this.data.steps[this.done++];
    Object.values(this.cards).forEach(c => c.classList.remove("current"));
    this.#reveal(s.node, s.grad);
    this.cards[s.node].classList.add("current");
    const lines = [`Step ${this.done} of ${this.data.steps.length}: ${s.formula}`,
                   `  ∂L/∂${s.node} = ${short(s.grad, 8)}`];
    for (const p of s.passes) {
      lines.push(`  → ${p.rule}`);
      if (p.factor) lines.push(`      = ${short(s.grad, 8)} ⊙ ${short(p.factor, 8)}`);
      lines.push(`      = ${short(p.grad, 8)}`);
    }
    for (const name of s.done) {
      const n = this.data.nodes.find(m => m.name === name);
      this.#reveal(name, n.grad);
      lines.push(`  ∂L/∂${name} complete: ${short(n.grad, 8)}`);
    }
    this.textEl.textContent = lines.join("\n");
  }

  #reveal(name, grad) {
    const c = this.cards[name];
    c.dataset.grad = JSON.stringify(grad);
    c.querySelector(".grad").textContent = `∂L/∂${name} = ${short(grad)}`;
  }
}
