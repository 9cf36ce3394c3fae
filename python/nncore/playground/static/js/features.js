// "Input space → feature space": for every hidden layer of 2 units, the training points
// and the input plane's grid lines as that layer sees them. For the last hidden layer the
// output unit is a line there: the background shows its P(class 1) = σ(w·h + b).
import { PALETTE, classColor } from "./draw.js";

export function featureSpace(el, snap, data) {
  if (!data || data.train.length !== (snap.features[0] || { points: data.train }).points.length) return;
  const want = snap.features.map(f => f.layer).join(",");
  if (el.dataset.layers !== want) {
    el.innerHTML = "";
    el.dataset.layers = want;
    for (const f of snap.features) {
      const cap = document.createElement("div");
      cap.className = "caption";
      cap.textContent = `Input space → feature space of hidden layer ${f.layer + 1}`;
      const cv = document.createElement("canvas");
      cv.width = cv.height = 200; cv.id = `feature-${f.layer}`;
      el.append(cap, cv);
    }
  }
  snap.features.forEach(f => draw(document.getElementById(`feature-${f.layer}`), f, snap, data));
}

function draw(cv, f, snap, data) {
  const ctx = cv.getContext("2d"), n = cv.width;
  const all = f.points.concat(f.lines.flat());
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of all) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  const half = Math.max(x1 - x0, y1 - y0, 1e-6) / 2 * 1.1, cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const X = x => (x - cx + half) / (2 * half) * n, Y = y => (cy + half - y) / (2 * half) * n;
  ctx.clearRect(0, 0, n, n);
  const last = f.layer === snap.widths.length - 3;   // widths: inputs, hidden..., output
  if (last) {                             // the output unit over the feature plane
    const { W, b } = snap.weights[snap.weights.length - 1];
    const img = ctx.createImageData(n, n);
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
      const h1 = cx - half + (c + 0.5) / n * 2 * half, h2 = cy + half - (r + 0.5) / n * 2 * half;
      const z = b.length === 1 ? W[0][0] * h1 + W[1][0] * h2 + b[0]
        : (W[0][1] - W[0][0]) * h1 + (W[1][1] - W[1][0]) * h2 + b[1] - b[0];
      const p = PALETTE[Math.round(255 / (1 + Math.exp(-z)))], k = 4 * (r * n + c);
      for (let j = 0; j < 3; j++) img.data[k + j] = p[j] + (255 - p[j]) * 0.35;
      img.data[k + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }
  ctx.strokeStyle = "rgba(0,0,0,0.25)"; ctx.lineWidth = 1;
  for (const line of f.lines) {
    ctx.beginPath();
    line.forEach(([x, y], i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, X(x), Y(y)));
    ctx.stroke();
  }
  f.points.forEach(([x, y], i) => {
    ctx.beginPath(); ctx.arc(X(x), Y(y), 2.8, 0, 2 * Math.PI);
    ctx.fillStyle = classColor(data.train_y[i]); ctx.fill();
    ctx.strokeStyle = "#fff"; ctx.stroke();
  });
}
