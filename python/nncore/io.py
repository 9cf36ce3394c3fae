"""The model file: data only, never code.

A model file is a zip archive of NumPy arrays (`numpy.savez`), read back with
`allow_pickle=False`, so loading cannot execute anything:

    __nncore__      uint8 array: UTF-8 JSON header (below)
    param/<name>    one array per parameter, in the model's dtype ("0.W", "0.b", ...)
    opt/m, opt/v    optimizer buffers (only with include_optimizer=True)

Header (format version 1):
    {"format": "nncore", "version": 1, "dtype": "float32"|"float64", "seed": int,
     "epochs_done": int, "layers": [{"type": "Dense", "config": {...}}, ...],
     "optimizer": null | {"kind": "adam", "hyperparameters": {...}, "t": int}}

Layer types are looked up in a fixed registry (nncore.layers.LAYERS) and
every array is checked against the architecture before it is used.
Pickling a model (and so joblib) goes through the same bytes. Both models
(nncore.Sequential, nncore.reference.Sequential) are written and read here;
the reader is told which class to build.
"""
from __future__ import annotations

import io
import json
import os

import numpy as np

from .layers import LAYERS
from .layout import plan
from .optim import OPTIMIZERS

FORMAT, VERSION = "nncore", 1


def _header(model, include_optimizer):
    opt = None
    st = model.optimizer_state
    if include_optimizer and st is not None:
        o = st["optimizer"]
        opt = {"kind": o.kind, "hyperparameters": o.hyperparameters(), "t": int(st["t"])}
    return {
        "format": FORMAT, "version": VERSION, "dtype": np.dtype(model.dtype).name,
        "seed": model.seed, "epochs_done": int(model._epochs_done),
        "layers": [{"type": type(l).__name__, "config": l.get_config()} for l in model.layers],
        "optimizer": opt,
    }


def to_bytes(model, include_optimizer=True):
    header = json.dumps(_header(model, include_optimizer)).encode("utf-8")
    arrays = {"__nncore__": np.frombuffer(header, dtype=np.uint8)}
    for name, value in model.named_parameters().items():
        arrays[f"param/{name}"] = value
    st = model.optimizer_state
    if include_optimizer and st is not None:
        for key in ("m", "v"):
            if st[key] is not None:
                arrays[f"opt/{key}"] = st[key]
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def save(model, path, include_optimizer=False):
    """Write `model` to `path` (any extension; `.nncore` by convention)."""
    data = to_bytes(model, include_optimizer)
    tmp = f"{os.fspath(path)}.tmp"
    with open(tmp, "wb") as f:  # write then rename: a crash never leaves half a file
        f.write(data)
    os.replace(tmp, path)


def _fail(source, why):
    raise ValueError(f"load: {source} is not a valid nncore model file: {why}")


def _read_arrays(source, fileobj):
    # Anything np.load or the zip layer raises on a damaged file becomes ValueError.
    try:
        archive = np.load(fileobj, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - every failure means "not a model file"
        _fail(source, f"unreadable ({type(e).__name__}: {e})")
    if not isinstance(archive, np.lib.npyio.NpzFile):
        _fail(source, "not a zip archive of arrays (a single .npy array?)")
    try:
        with archive as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as e:  # noqa: BLE001
        _fail(source, f"unreadable entry ({type(e).__name__}: {e})")
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):
            _fail(source, f"entry {key!r} is not a NumPy array")
    return arrays


def from_bytes(data, cls, source="<bytes>"):
    """The model of class `cls` (nncore.Sequential or nncore.reference.Sequential) in `data`."""
    return _build(_read_arrays(source, io.BytesIO(data)), cls, source)


def load(path, cls):
    """Read a model of class `cls` written by `save` (`nncore.load` picks nncore.Sequential)."""
    with open(path, "rb") as f:
        data = f.read()
    return from_bytes(data, cls, source=repr(os.fspath(path)))


def _build(arrays, cls, source):
    if "__nncore__" not in arrays:
        _fail(source, "no __nncore__ header")
    raw = arrays.pop("__nncore__")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        _fail(source, "the header is not a byte string")
    try:
        h = json.loads(raw.tobytes().decode("utf-8"))
    except (ValueError, RecursionError) as e:  # bad UTF-8/JSON, absurd nesting
        _fail(source, f"the header is not JSON ({type(e).__name__})")
    if not isinstance(h, dict) or h.get("format") != FORMAT:
        _fail(source, "the header does not say format 'nncore'")
    if h.get("version") != VERSION:
        _fail(source, f"format version {h.get('version')!r}, this nncore reads version {VERSION}")
    if h.get("dtype") not in ("float32", "float64"):
        _fail(source, f"dtype {h.get('dtype')!r}")
    specs = h.get("layers")
    if not isinstance(specs, list) or not specs:
        _fail(source, "no layers")
    layers = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or spec.get("type") not in LAYERS \
                or not isinstance(spec.get("config"), dict):
            _fail(source, f"layer {i} is not a known layer type ({spec!r:.80})")
        try:
            layers.append(LAYERS[spec["type"]](**spec["config"]))
        except (TypeError, ValueError) as e:
            _fail(source, f"layer {i}: {e}")
    seed, epochs = h.get("seed"), h.get("epochs_done", 0)
    if not isinstance(seed, int) or seed < 0 or not isinstance(epochs, int) or epochs < 0:
        _fail(source, "seed/epochs_done must be non-negative integers")
    dtype = np.dtype(h["dtype"])
    # Check every parameter against the layout before allocating anything, so a
    # header that claims huge layers costs nothing.
    try:
        slots = plan(layers)[2]
    except (TypeError, ValueError) as e:
        _fail(source, f"architecture: {e}")
    params = {}
    for slot in slots:
        a = arrays.pop(f"param/{slot.name}", None)
        if a is None:
            _fail(source, f"parameter {slot.name!r} is missing")
        if a.dtype != dtype or a.shape != slot.shape:
            _fail(source, f"parameter {slot.name!r} has {a.dtype} {a.shape}, "
                          f"expected {dtype} {slot.shape}")
        params[slot.name] = a
    try:
        model = cls(*layers, dtype=dtype.type, seed=seed)
    except (TypeError, ValueError) as e:
        _fail(source, f"architecture: {e}")
    try:
        model.load_state_dict(params)
    except ValueError as e:
        _fail(source, str(e))
    model._epochs_done = epochs
    opt = h.get("optimizer")
    if opt is not None:
        if not isinstance(opt, dict) or opt.get("kind") not in OPTIMIZERS \
                or not isinstance(opt.get("hyperparameters"), dict) \
                or not isinstance(opt.get("t"), int) or opt["t"] < 0:
            _fail(source, "bad optimizer record")
        try:
            optimizer = OPTIMIZERS[opt["kind"]](**opt["hyperparameters"])
        except (TypeError, ValueError) as e:
            _fail(source, f"optimizer: {e}")
        state = {"optimizer": optimizer, "t": opt["t"], "m": None, "v": None}
        for key in ("m", "v"):
            a = arrays.pop(f"opt/{key}", None)
            if a is not None:
                if a.dtype != dtype or a.shape != (model.num_parameters,) or not np.isfinite(a).all():
                    _fail(source, f"optimizer buffer {key!r} has the wrong dtype/shape or NaN")
                state[key] = a.copy()
        model._adopt_optimizer_state(state)
    if arrays:
        _fail(source, f"unexpected entries {sorted(arrays)[:5]}")
    return model
