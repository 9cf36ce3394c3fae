// The network diagram: per column its units as thumbnails of their output over the
// input plane, edges coloured by the weight's sign and as thick as its size, and the
// controls of each hidden layer (width, activation) above its column.
import { PALETTE, decode } from "./draw.js";

const HEAD = 58, COL = 120;

export class NetworkView {
  constructor(container, activations, onChange) {
    this.el = container;
    this.activations = activations;
    this.onChange = onChange;   // (hidden layers) => void
  }

  // Lay out the columns for settings.network; the snapshots fill them in.
  build(network) {
    this.network = network;
    const widths = [2, ...network.hidden.map(h => h.width), 1];
    this.widths = widths.join(",");
    const most = Math.max(...widths);
    this.size = Math.max(10, Math.min(36, Math.floor(300 / most) - 4));
    const height = HEAD + most * (this.size + 4) + 10;
    this.el.innerHTML = "";
    this.el.style.height = `${height}px`;
    this.el.style.width = `${widths.length * COL}px`;
    // One canvas for the whole diagram (edges, then the units on top): one layer to
    // composite per update instead of one per unit.
    this.canvas = document.createElement("canvas");
    this.canvas.className = "edges";
    this.canvas.width = widths.length * COL; this.canvas.height = height;
    this.el.appendChild(this.canvas);
    this.units = widths.map((n, c) => Array.from({ length: n }, (_, j) => ({
      x: c * COL + (COL - this.size) / 2,
      y: HEAD + (most - n) * (this.size + 4) / 2 + j * (this.size + 4),
    })));
    this.#heads(network, widths);
  }

  #heads(network, widths) {
    const label = (c, text) => {
      const d = document.createElement("div");
      d.className = "layer-head"; d.style.left = `${c * COL + 5}px`; d.style.top = "0px";
      d.innerHTML = text; this.el.appendChild(d); return d;
    };
    label(0, "input<br>x₁, x₂");
    label(widths.length - 1, `output<br>${network.output}`);
    network.hidden.forEach((h, i) => {
      const d = label(i + 1, "");
      const minus = button("−", () => this.#width(i, -1)), plus = button("+", () => this.#width(i, 1));
      const input = document.createElement("input");
      Object.assign(input, { type: "number", id: `width-${i}`, value: h.width, min: 1, max: 32 });
      input.addEventListener("change", () => this.#width(i, 0, Number(input.value)));
      const sel = document.createElement("select");
      sel.id = `act-${i}`;
      for (const a of this.activations) sel.add(new Option(a, a, false, a === h.activation));
      sel.addEventListener("change", () => this.#set(i, { activation: sel.value }));
      d.append(minus, input, plus, document.createElement("br"), sel);
    });
  }

  #width(i, delta, value) {
    const w = value !== undefined ? value : this.network.hidden[i].width + delta;
    this.#set(i, { width: w });
  }

  #set(i, change) {
    const hidden = this.network.hidden.map((h, k) => (k === i ? { ...h, ...change } : { ...h }));
    this.onChange(hidden);
  }

  // snapshot: neurons (per hidden layer: base64 images, scales), weights, boundary.
  update(snap, meta, boundaryBytes) {
    // A snapshot of the previous network may still arrive after a change: wait for ours.
    if (!this.units || snap.widths.join(",") !== this.widths) return;
    const side = meta.thumb, ctx = this.canvas.getContext("2d"), s = this.size;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.#drawEdges(ctx, snap.weights);
    ctx.imageSmoothingEnabled = true;
    ctx.strokeStyle = "#999"; ctx.lineWidth = 1;
    const column = (units, sheet, sheetSide) => units.forEach((u, j) => {
      ctx.drawImage(sheet, 0, j * sheetSide, sheetSide, sheetSide, u.x, u.y, s, s);
      ctx.strokeRect(u.x - 0.5, u.y - 0.5, s + 1, s + 1);
    });
    column(this.units[0], inputSheet(side), side);           // x₁ grows right, x₂ up
    snap.neurons.forEach((layer, l) => {
      const units = this.units[l + 1];
      if (units) column(units, sheet(decode(layer.images), side, units.length), side);
    });
    if (boundaryBytes) column(this.units[this.units.length - 1], sheet(boundaryBytes, meta.grid, 1), meta.grid);
  }

  // Edges batched by colour and width class: a few strokes instead of one per weight.
  #drawEdges(ctx, weights) {
    const s = this.size, BINS = 12;
    const paths = [0, 1].map(() => Array.from({ length: BINS }, () => new Path2D()));
    weights.forEach((layer, l) => {
      const from = this.units[l], to = this.units[l + 1];
      if (!from || !to) return;
      layer.W.forEach((row, i) => row.forEach((w, j) => {
        if (!from[i] || !to[j]) return;
        const bin = Math.min(BINS - 1, Math.floor(Math.abs(w) * 2));
        const p = paths[w < 0 ? 0 : 1][bin];
        p.moveTo(from[i].x + s, from[i].y + s / 2);
        p.lineTo(to[j].x, to[j].y + s / 2);
      }));
    });
    paths.forEach((bins, sign) => bins.forEach((p, bin) => {
      const c = PALETTE[sign ? 255 : 0];
      ctx.strokeStyle = `rgba(${c[0]},${c[1]},${c[2]},0.7)`;
      ctx.lineWidth = 0.4 + (bin + 0.5) * 0.6;   // |w| in [bin/2, (bin+1)/2)
      ctx.stroke(p);
    }));
  }
}

// n images of side×side bytes (one after the other) as one canvas, stacked vertically;
// the scratch canvas is drawn from before the next sheet is made.
const scratch = document.createElement("canvas");
function sheet(bytes, side, n, cv = scratch) {
  cv.width = side; cv.height = side * n;
  const ctx = cv.getContext("2d"), img = ctx.createImageData(side, side * n);
  for (let i = 0; i < side * side * n; i++) {
    const c = PALETTE[bytes[i]];
    img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return cv;
}

let inputs = null;
function inputSheet(side) {
  if (!inputs || inputs.side !== side) {
    const q = new Uint8Array(2 * side * side);
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) {
      q[r * side + c] = Math.round(c / (side - 1) * 255);
      q[side * side + r * side + c] = Math.round((1 - r / (side - 1)) * 255);
    }
    inputs = { side, canvas: sheet(q, side, 2, document.createElement("canvas")) };
  }
  return inputs.canvas;
}

function button(text, onClick) {
  const b = document.createElement("button");
  b.textContent = text; b.addEventListener("click", onClick);
  b.style.padding = "0 5px";
  return b;
}
