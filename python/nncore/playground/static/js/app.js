// The page: settings → server (checked there), snapshots streamed back (server-sent events), drawing.
// Every request error is shown in the banner at the top; the server keeps running.
import { curves, decode, fmt, heatmap, points, toPixels } from "./draw.js";
import { NetworkView } from "./network.js";
import { BackpropView } from "./backprop.js";
import { featureSpace } from "./features.js";

const $ = id => document.getElementById(id);
const state = {
  session: null, settings: null, version: 0, data: null, dataVersion: -1,
  curve: [], curveEpoch: -1, playing: false, drawn: [], boundary: null, bpPoint: 0,
};

class ApiError extends Error {}

async function api(path, body, method) {
  const url = path.startsWith("/") ? path : `/api/sessions/${state.session}/${path}`;
  const init = body === undefined ? { method: method || "GET" }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(url, init);
  const json = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new ApiError(json.error || `HTTP ${r.status}`);
  return json;
}

function showError(e) {
  $("error-text").textContent = e instanceof ApiError ? e.message : `${e}`;
  $("error").hidden = false;
}
function clearError() { $("error").hidden = true; }

async function guarded(fn) {
  try { await fn(); } catch (e) { showError(e); }
}

// -- settings ---------------------------------------------------------------------
const TRAINING_FIELDS = {
  optimizer: ["optimizer", String], lr: ["lr", Number], gamma: ["gamma", Number],
  batch: ["batch_size", Number], l1: ["l1", Number], l2: ["l2", Number],
  "decay-every": ["decay_every", Number], "decay-gamma": ["decay_gamma", Number],
  speed: ["epochs_per_update", Number],
};

function fillControls(s) {
  $("dataset").value = s.data.name;
  $("noise").value = s.data.noise; $("noise-value").textContent = s.data.noise;
  $("data-seed").value = s.data.seed;
  $("init").value = s.network.init; $("init-value").value = s.network.init_value;
  $("net-seed").value = s.network.seed; $("output").value = s.network.output;
  for (const [id, [key]] of Object.entries(TRAINING_FIELDS)) $(id).value = s.training[key];
  $("n-hidden").textContent = s.network.hidden.length;
  net.build(s.network);
}

async function send(section, value) {
  const previous = state.settings;
  try {
    await api("settings", { [section]: value });
    state.settings = { ...state.settings, [section]: { ...state.settings[section], ...value } };
    clearError();
    if (section !== "training") { await loadData(); fillControls(state.settings); }
  } catch (e) {
    showError(e);
    state.settings = previous;
    fillControls(previous);        // the page shows what the server runs
  }
}

function wireControls() {
  for (const [id, [key, cast]] of Object.entries(TRAINING_FIELDS)) {
    $(id).addEventListener("change", () => send("training", { ...state.settings.training, [key]: cast($(id).value) }));
  }
  const dataChange = () => send("data", { name: $("dataset").value, noise: Number($("noise").value), seed: Number($("data-seed").value) });
  $("dataset").addEventListener("change", () => {
    $("noise").value = state.options.default_noise[$("dataset").value] ?? 0; dataChange();
  });
  $("noise").addEventListener("input", () => { $("noise-value").textContent = $("noise").value; });
  $("noise").addEventListener("change", dataChange);
  $("data-seed").addEventListener("change", dataChange);
  const netChange = hidden => send("network", {
    ...state.settings.network, hidden: hidden || state.settings.network.hidden,
    init: $("init").value, init_value: Number($("init-value").value),
    seed: Number($("net-seed").value), output: $("output").value,
  });
  net.onChange = netChange;
  for (const id of ["init", "init-value", "net-seed", "output"]) $(id).addEventListener("change", () => netChange());
  $("add-layer").addEventListener("click", () => {
    const h = state.settings.network.hidden;
    netChange([...h, { width: h.length ? h[h.length - 1].width : 4, activation: h.length ? h[h.length - 1].activation : "tanh" }]);
  });
  $("remove-layer").addEventListener("click", () => netChange(state.settings.network.hidden.slice(0, -1)));
  $("play").addEventListener("click", () => guarded(() => api(state.playing ? "pause" : "play", {})));
  $("step").addEventListener("click", () => guarded(() => api("step", {})));
  $("reset").addEventListener("click", () => guarded(() => api("reset", {})));
  $("error-close").addEventListener("click", clearError);
  $("show-test").addEventListener("change", redrawBoundary);
  $("boundary").addEventListener("click", pickPoint);
  $("bp-build").addEventListener("click", () => guarded(buildGraph));
  $("bp-step").addEventListener("click", () => { bp.step(); bpButtons(); });
  $("bp-all").addEventListener("click", () => { while (!bp.finished) bp.step(); bpButtons(); });
  $("show-snippet").addEventListener("click", () => guarded(async () => {
    const r = await fetch(`/api/sessions/${state.session}/snippet.py`);
    $("snippet").textContent = await r.text(); $("snippet").hidden = false;
  }));
}

// -- backprop -----------------------------------------------------------------------
async function buildGraph() {
  const data = await api("backprop", { point: Number($("bp-point").value) });
  state.bpPoint = data.index;
  bp.show(data);
  bpButtons();
  redrawBoundary();
}
function bpButtons() { $("bp-step").disabled = $("bp-all").disabled = bp.finished; }

function pickPoint(ev) {
  if (!state.data) return;
  const cv = $("boundary"), rect = cv.getBoundingClientRect(), px = toPixels(state.data.box, cv);
  const u = (ev.clientX - rect.left) * cv.width / rect.width, v = (ev.clientY - rect.top) * cv.height / rect.height;
  let best = 0, dist = Infinity;
  state.data.train.forEach((p, i) => {
    const [a, b] = px(p[0], p[1]), d = (a - u) ** 2 + (b - v) ** 2;
    if (d < dist) { dist = d; best = i; }
  });
  $("bp-point").value = best; state.bpPoint = best;
  redrawBoundary();
}

// -- drawing -------------------------------------------------------------------------
async function loadData() {
  const d = await api("data");
  state.data = d; state.dataVersion = d.data_version;
  $("bp-point").max = d.train.length - 1;
}

function redrawBoundary() {
  const cv = $("boundary"), d = state.data;
  if (!d || !state.boundary) return;
  heatmap(cv, state.boundary, d.grid, 0, 0.25);
  if ($("show-test").checked) points(cv, d.box, d.test, d.test_y, { test: true });
  points(cv, d.box, d.train, d.train_y, { highlight: Number($("bp-point").value) });
}

function render(snap) {
  const t0 = performance.now();
  state.playing = snap.playing;
  $("play").textContent = snap.playing ? "❚❚" : "▶";
  $("epoch").textContent = snap.epoch;
  $("eps").textContent = Math.round(snap.epochs_per_second);
  $("lr-now").textContent = fmt(snap.lr);
  $("params").textContent = snap.num_parameters;
  const m = snap.metrics, pct = a => (a === null ? "–" : `${(100 * a).toFixed(1)} %`);
  $("train-loss").textContent = fmt(m.train_loss); $("test-loss").textContent = fmt(m.test_loss);
  $("train-acc").textContent = pct(m.train_accuracy); $("test-acc").textContent = pct(m.test_accuracy);
  if (snap.error) showError(new ApiError(snap.error));
  if (snap.boundary === null) return;      // the server could not draw this run (see error)
  state.boundary = decode(snap.boundary);
  const t1 = performance.now();
  redrawBoundary();
  if (!state.data) return;
  const t2 = performance.now();
  net.update(snap, state.data, state.boundary);
  const t3 = performance.now();
  featureSpace($("features"), snap, state.data);
  const t4 = performance.now();
  document.body.dataset.parts = [t1 - t0, t2 - t1, t3 - t2, t4 - t3].map(v => v.toFixed(1)).join(" ");
  // updates drawn per second, over the last second; the drawing's own time
  const now = performance.now();
  document.body.dataset.renderMs = (now - t0).toFixed(1);
  state.drawn.push(now);
  showRate();
}

function showRate() {
  const now = performance.now();
  while (state.drawn.length && state.drawn[0] < now - 1000) state.drawn.shift();
  $("ups").textContent = state.drawn.length;
}
setInterval(showRate, 500);               // falls to 0 while nothing new comes

function mergeCurves(c) {
  if (c.curve_epoch !== state.curveEpoch || c.curve_start === 0) state.curve = [];
  state.curveEpoch = c.curve_epoch;
  state.curve.push(...c.curve);
}

function drawCurves() {
  curves($("loss-curve"), state.curve, 1, 2, { label: "loss" });
  curves($("acc-curve"), state.curve, 3, 4, { fixedMax: 1, label: "accuracy" });
}

// Snapshots arrive as server-sent events; only the newest is drawn, once per animation
// frame (a hidden tab draws nothing). Curve rows come in their own events, all merged.
const LOST = "lost the connection to the playground server; retrying (is it still running?)";
const stats = { drawn: 0, skipped: 0 };   // snapshots drawn and passed over (update rate)

function listen() {
  const es = new EventSource(`/api/sessions/${state.session}/events`);
  let latest = null, scheduled = false;
  es.addEventListener("curve", ev => mergeCurves(JSON.parse(ev.data)));
  es.onmessage = ev => {
    latest = ev.data;
    if (!scheduled) { scheduled = true; requestAnimationFrame(draw); }
  };
  es.onerror = () => showError(new ApiError(LOST));
  es.onopen = () => { if ($("error-text").textContent === LOST) clearError(); };

  async function draw() {
    const text = latest, snap = JSON.parse(text);
    try {
      if (snap.data_version !== state.dataVersion) await loadData();
      if (snap.version > state.version) stats.skipped += snap.version - state.version - 1;
      state.version = snap.version;
      render(snap);
      drawCurves();
      stats.drawn += 1;
      document.body.dataset.version = state.version;
      document.body.dataset.stats = JSON.stringify(stats);
    } catch (e) {
      showError(e);
    }
    scheduled = latest !== text;          // a newer one came while this was drawn
    if (scheduled) requestAnimationFrame(draw);
  }
}

// -- start -----------------------------------------------------------------------------
const net = new NetworkView($("network"), [], () => {});
const bp = new BackpropView($("bp-graph"), $("bp-text"));

async function main() {
  state.options = await api("/api/options");
  net.activations = state.options.activations;
  for (const name of state.options.datasets) $("dataset").add(new Option(name, name));
  $("n-train").textContent = state.options.n_train; $("n-test").textContent = state.options.n_test;
  state.settings = state.options.defaults;
  state.session = (await api("/api/sessions", state.settings)).session;
  $("download-model").href = `/api/sessions/${state.session}/model.nncore`;
  $("download-snippet").href = `/api/sessions/${state.session}/snippet.py`;
  document.body.dataset.session = state.session;
  window.addEventListener("pagehide", () => navigator.sendBeacon(`/api/sessions/${state.session}/close`));
  fillControls(state.settings);
  wireControls();
  await loadData();
  listen();
}

main().catch(showError);
