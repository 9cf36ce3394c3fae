// Canvas drawing: colour maps, heat maps, points and curves. Orange is class 0 and
// negative values, blue class 1 and positive ones, white the middle (as TensorFlow Playground).

const NEG = [245, 147, 34], MID = [255, 255, 255], POS = [8, 119, 189];

// PALETTE[q] for q = 0..255: orange → white → blue.
export const PALETTE = Array.from({ length: 256 }, (_, q) => {
  const t = q / 255, [a, b, u] = t < 0.5 ? [NEG, MID, t * 2] : [MID, POS, t * 2 - 1];
  return a.map((c, i) => Math.round(c + (b[i] - c) * u));
});

export function classColor(label) { return label > 0.5 ? "rgb(8,119,189)" : "rgb(245,147,34)"; }

export function decode(b64) {
  const s = atob(b64), out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// Draw side×side bytes (offset into `bytes`) stretched over the whole canvas, smoothed.
const scratch = document.createElement("canvas");
export function heatmap(canvas, bytes, side, offset = 0, lighten = 0) {
  scratch.width = side; scratch.height = side;
  const sctx = scratch.getContext("2d"), img = sctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const c = PALETTE[bytes[offset + i]];
    for (let k = 0; k < 3; k++) img.data[4 * i + k] = c[k] + (255 - c[k]) * lighten;
    img.data[4 * i + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
}

// Map data coordinates of box [x0, x1, y0, y1] to canvas pixels.
export function toPixels(box, canvas) {
  const [x0, x1, y0, y1] = box;
  return (x, y) => [(x - x0) / (x1 - x0) * canvas.width, (y1 - y) / (y1 - y0) * canvas.height];
}

export function points(canvas, box, xs, ys, { test = false, radius = 3.2, highlight = -1 } = {}) {
  const ctx = canvas.getContext("2d"), px = toPixels(box, canvas);
  xs.forEach((p, i) => {
    const [u, v] = px(p[0], p[1]);
    ctx.beginPath();
    ctx.arc(u, v, test ? radius - 0.8 : radius, 0, 2 * Math.PI);
    if (test) { ctx.strokeStyle = classColor(ys[i]); ctx.lineWidth = 1.2; ctx.stroke(); }
    else { ctx.fillStyle = classColor(ys[i]); ctx.fill(); ctx.strokeStyle = "#fff"; ctx.lineWidth = 1; ctx.stroke(); }
  });
  if (highlight >= 0 && highlight < xs.length) {
    const [u, v] = px(xs[highlight][0], xs[highlight][1]);
    ctx.beginPath(); ctx.arc(u, v, radius + 4, 0, 2 * Math.PI);
    ctx.strokeStyle = "#d62728"; ctx.lineWidth = 2; ctx.stroke();
  }
}

// Curves: rows [epoch, train_loss, test_loss, train_acc, test_acc]; columns picks two.
export function curves(canvas, rows, trainCol, testCol, { fixedMax = null, label = "" } = {}) {
  const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 4;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#777"; ctx.font = "11px sans-serif";
  if (rows.length < 1) { ctx.fillText(label, 6, 12); return; }
  const e0 = rows[0][0], e1 = Math.max(rows[rows.length - 1][0], e0 + 1);
  let top = fixedMax;
  if (top === null) {
    top = 1e-9;
    for (const r of rows) top = Math.max(top, r[trainCol], r[testCol]);
  }
  const X = e => pad + (e - e0) / (e1 - e0) * (w - 2 * pad), Y = v => h - pad - v / top * (h - 2 * pad);
  for (const [col, colour] of [[testCol, "#aaa"], [trainCol, "#222"]]) {
    ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
    rows.forEach((r, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, X(r[0]), Y(r[col])));
    ctx.stroke();
  }
  ctx.fillText(`${label} (max ${fmt(top)}, epochs ${e0}–${rows[rows.length - 1][0]})`, 6, 12);
}

// 4 significant digits, no trailing zeros.
export function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-4) return v.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(4)));
}
