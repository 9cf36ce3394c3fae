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
    this.inputsDrawn = false;
    const widths = [2, ...network.hidden.map(h => h.width), 1];
    this.widths = widths.join(",");
    const most = Math.max(...widths);
    this.size = Math.max(10, Math.min(36, Math.floor(300 / most) - 4));
    const height = HEAD + most * (this.size + 4) + 10;
    this.el.innerHTML = "";
    this.el.style.height = `${height}px`;
    this.el.style.width = `${widths.length * COL}px`;
    this.edges = document.createElement("canvas");
    this.edges.className = "edges";
    this.edges.width = widths.length * COL; this.edges.height = height;
    this.el.appendChild(this.edges);
    this.units = widths.map((n, c) => Array.from({ length: n }, (_, j) => {
      const cv = document.createElement("canvas");
      // The canvas holds the thumbnail's own pixels; CSS scales it to the unit's size.
      cv.className = "unit"; cv.width = cv.height = 2;
      cv.style.width = cv.style.height = `${this.size}px`;
      const top = HEAD + (most - n) * (this.size + 4) / 2 + j * (this.size + 4);
      cv.style.left = `${c * COL + (COL - this.size) / 2}px`; cv.style.top = `${top}px`;
      cv.dataset.layer = c; cv.dataset.unit = j;
      this.el.appendChild(cv);
      return cv;
    }));
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
    const side = meta.thumb;
    // inputs: x₁ grows to the right, x₂ upwards
    if (!this.inputsDrawn) {
      this.inputsDrawn = true;
      const q = [new Uint8Array(side * side), new Uint8Array(side * side)];
      for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) {
        q[0][r * side + c] = Math.round(c / (side - 1) * 255);
        q[1][r * side + c] = Math.round((1 - r / (side - 1)) * 255);
      }
      q.forEach((b, j) => pixels(this.units[0][j], b, side));
    }
    snap.neurons.forEach((layer, l) => {
      const bytes = decode(layer.images), col = this.units[l + 1];
      if (!col) return;
      col.forEach((cv, j) => pixels(cv, bytes, side, j * side * side));
    });
    const out = this.units[this.units.length - 1][0];
    if (out && boundaryBytes) pixels(out, boundaryBytes, meta.grid);
    this.#drawEdges(snap.weights);
  }

  // Edges batched by colour and width class: a few strokes instead of one per weight.
  #drawEdges(weights) {
    const ctx = this.edges.getContext("2d"), s = this.size, BINS = 12;
    ctx.clearRect(0, 0, this.edges.width, this.edges.height);
    const paths = [0, 1].map(() => Array.from({ length: BINS }, () => new Path2D()));
    weights.forEach((layer, l) => {
      const from = this.units[l], to = this.units[l + 1];
      if (!from || !to) return;
      layer.W.forEach((row, i) => row.forEach((w, j) => {
        if (!from[i] || !to[j]) return;
        const a = from[i], b = to[j];
        const bin = Math.min(BINS - 1, Math.floor(Math.abs(w) * 2));
        const p = paths[w < 0 ? 0 : 1][bin];
        p.moveTo(a.offsetLeft + s, a.offsetTop + s / 2);
        p.lineTo(b.offsetLeft, b.offsetTop + s / 2);
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

// Put side×side bytes (from `offset`) into the canvas's own side×side pixels.
function pixels(cv, bytes, side, offset = 0) {
  if (cv.width !== side) { cv.width = cv.height = side; }
  const ctx = cv.getContext("2d"), img = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const c = PALETTE[bytes[offset + i]];
    img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function button(text, onClick) {
  const b = document.createElement("button");
  b.textContent = text; b.addEventListener("click", onClick);
  b.style.padding = "0 5px";
  return b;
}
