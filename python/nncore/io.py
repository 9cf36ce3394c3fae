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

Loading is bounded: the zip's member names are checked before anything is
inflated (unknown names are refused unread); the header is read first (at most
LIMITS["max_header_bytes"]), the architecture planned from it and held to
LIMITS["max_parameters"] and LIMITS["max_layers"]; then each member's npy
header (shape, dtype) is checked against the plan and exactly the bytes it
implies are inflated, never more. Change the limits for one call with
`load(path, max_parameters=..., max_layers=...)`, or for the process in LIMITS.
Pickling a model (and so joblib) goes through the same bytes. Both models
(nncore.Sequential, nncore.reference.Sequential) are written and read here;
the reader is told which class to build.
"""
from __future__ import annotations

import io
import json
import os
import re
import threading
import zipfile
from typing import IO, Any, Mapping, NoReturn, Optional, Protocol, TypeVar, Union

import numpy as np
import numpy.lib.format as npy
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .checks import FloatArray
from .layers import LAYERS, Layer
from .layout import plan
from .optim import OPTIMIZERS, OptimizerState

FORMAT, VERSION = "nncore", 1

# What a file may make load() allocate; a larger file is refused before reading
# its arrays. The defaults hold every model of the lecture many times over.
LIMITS = {
    "max_parameters": 100_000_000,   # 0.8 GB as float64 (×4 with grads and Adam's m, v)
    "max_layers": 10_000,
    "max_header_bytes": 4 * 2**20,   # the JSON header
}
# Member names a model file may have (np.savez adds ".npy").
PathLike = Union[str, "os.PathLike[str]"]


class Model(Protocol):
    """What the model file needs from a model (both nncore.Sequential and
    nncore.reference.Sequential have it; their ModelBase is a floor above)."""

    _lock: threading.RLock
    _epochs_done: int

    def __init__(self, *layers: Any, dtype: DTypeLike = ..., seed: int = ...) -> None: ...

    @property
    def dtype(self) -> type[np.floating[Any]]: ...
    @property
    def seed(self) -> int: ...
    @property
    def layers(self) -> Any: ...  # Sequence[Layer]; the reference narrows the element type
    @property
    def num_parameters(self) -> int: ...
    @property
    def optimizer_state(self) -> Optional[OptimizerState]: ...
    def named_parameters(self) -> dict[str, FloatArray]: ...
    def load_state_dict(self, state_dict: Mapping[str, ArrayLike]) -> None: ...
    def _adopt_optimizer_state(self, state: OptimizerState) -> None: ...


M = TypeVar("M", bound=Model)

_MEMBER = re.compile(r"(__nncore__|param/\d+\.(W|b|alpha)|opt/[mv])\.npy")


def _header(model: Model, include_optimizer: bool) -> dict[str, Any]:
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


def to_bytes(model: Model, include_optimizer: bool = True, owner: str = "to_bytes") -> bytes:
    """The model file's bytes, taken under the model's lock (never half a training step).

    Non-finite weights or optimizer buffers are refused: such a file could never be
    loaded again (loading, like load_state_dict, takes finite numbers only), and the
    error comes while the model is still in memory to be fixed."""
    with model._lock:
        header = json.dumps(_header(model, include_optimizer)).encode("utf-8")
        arrays: dict[str, NDArray[Any]] = {"__nncore__": np.frombuffer(header, dtype=np.uint8)}
        for name, value in model.named_parameters().items():
            arrays[f"param/{name}"] = value
        st = model.optimizer_state
        if include_optimizer and st is not None:
            for key, buffer in (("m", st["m"]), ("v", st["v"])):
                if buffer is not None:
                    arrays[f"opt/{key}"] = buffer
        for key, value in arrays.items():
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                what = key.replace("param/", "parameter ").replace("opt/", "optimizer buffer ")
                raise ValueError(f"{owner}: {what} contains NaN or inf; a model file holds "
                                 "finite numbers only (set finite weights with "
                                 "load_state_dict or set_flat_parameters, or refit)")
        buf = io.BytesIO()
        # (numpy's stub types **kwds as if a key could be savez's allow_pickle)
        np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def save(model: Model, path: PathLike, include_optimizer: bool = False) -> None:
    """Write `model` to `path` (any extension; `.nncore` by convention).

    Atomic: the bytes go to a new uniquely named file beside `path`, which then
    replaces `path` in one step, so readers see the old file or the new one and
    concurrent saves never share a temporary file; on any error it is removed."""
    data = to_bytes(model, include_optimizer, owner="save")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a directory; give a file path such as "
                                f"{os.path.join(path, 'model.nncore')!r}")
    folder, name = os.path.split(os.path.abspath(path))
    # O_EXCL with a random name (rather than tempfile.mkstemp) so the file gets the
    # usual permissions under the umask, as open() would give.
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _fail(source: str, why: str) -> NoReturn:
    raise ValueError(f"load: {source} is not a valid nncore model file: {why}")


def _limit(value: Optional[int], name: str) -> int:
    v = LIMITS[name] if value is None else value
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"load: {name} must be a positive integer, got {v!r}")
    return int(v)


class _Archive:
    """The zip's members by name (".npy" dropped), read one bounded array at a time."""

    def __init__(self, source: str, fileobj: IO[bytes]) -> None:
        self.source = source
        head = fileobj.read(8)
        fileobj.seek(0)
        try:
            self.zip = zipfile.ZipFile(fileobj)
        except Exception as e:  # noqa: BLE001 - every failure means "not a model file"
            if head.startswith(b"\x80"):
                _fail(source, "it is a pickle, not a zip archive of arrays; nncore model files "
                              "hold data only and nncore.load never unpickles (load a pickled "
                              "model with pickle.load, and only from a source you trust)")
            if head.startswith(b"\x93NUMPY"):
                _fail(source, "not a zip archive of arrays (a single .npy array?)")
            _fail(source, f"unreadable ({type(e).__name__}: {e})")
        names = [i.filename for i in self.zip.infolist()]
        if len(set(names)) != len(names):
            _fail(source, "duplicate entries")
        bad = [n for n in names if not _MEMBER.fullmatch(n)]
        if bad:
            _fail(source, f"unexpected entries {sorted(bad)[:5]} (refused unread)")
        self.names = {n[:-4] for n in names}

    def read(self, name: str, dtype: Optional[DTypeLike] = None,
             shape: Optional[tuple[int, ...]] = None,
             max_bytes: Optional[int] = None) -> NDArray[Any]:
        """The array `name`, checked against dtype/shape (or max_bytes) from its npy
        header before its data is inflated; exactly the implied bytes are read."""
        what = f"entry {name!r}"
        try:
            with self.zip.open(name + ".npy") as f:
                version = npy.read_magic(f)
                if version == (1, 0):
                    shp, fortran, dt = npy.read_array_header_1_0(f)
                elif version == (2, 0):
                    shp, fortran, dt = npy.read_array_header_2_0(f)
                else:
                    _fail(self.source, f"{what}: npy format version {version}")
                if dt.hasobject:
                    _fail(self.source, f"{what} holds Object arrays (pickled data); model "
                                       "files hold numbers only")
                if dtype is not None and (dt != dtype or shp != shape):
                    _fail(self.source, f"{what} has {dt} {shp}, expected {np.dtype(dtype)} "
                                       f"{shape}")
                nbytes = int(np.prod(shp, dtype=object)) * dt.itemsize
                if max_bytes is not None and nbytes > max_bytes:
                    _fail(self.source, f"{what} declares {nbytes} bytes, more than {max_bytes}")
                data = f.read(nbytes)
                if len(data) != nbytes:
                    _fail(self.source, f"{what} is truncated")
                if f.read(1):
                    _fail(self.source, f"{what} holds more data than its header declares")
        except ValueError as e:
            if str(e).startswith("load:"):
                raise
            _fail(self.source, f"unreadable {what} ({type(e).__name__}: {e})")
        except Exception as e:  # noqa: BLE001 - zip/zlib/npy errors on a damaged file
            _fail(self.source, f"unreadable {what} ({type(e).__name__}: {e})")
        return np.frombuffer(data, dtype=dt).reshape(shp, order="F" if fortran else "C")


def from_bytes(data: bytes, cls: type[M], source: str = "<bytes>",
               max_parameters: Optional[int] = None, max_layers: Optional[int] = None) -> M:
    """The model of class `cls` (nncore.Sequential or nncore.reference.Sequential) in `data`."""
    return _load(io.BytesIO(data), cls, source, max_parameters, max_layers)


def load(path: PathLike, cls: type[M], max_parameters: Optional[int] = None,
         max_layers: Optional[int] = None) -> M:
    """Read a model of class `cls` written by `save` (`nncore.load` picks nncore.Sequential).

    max_parameters, max_layers: refuse larger models (default: LIMITS)."""
    with open(path, "rb") as f:
        return _load(f, cls, repr(os.fspath(path)), max_parameters, max_layers)


def _load(fileobj: IO[bytes], cls: type[M], source: str, max_parameters: Optional[int],
          max_layers: Optional[int]) -> M:
    archive = _Archive(source, fileobj)
    with archive.zip:
        return _build(archive, cls, source, _limit(max_parameters, "max_parameters"),
                      _limit(max_layers, "max_layers"))


def _read_header(archive: _Archive, source: str) -> dict[str, Any]:
    if "__nncore__" not in archive.names:
        _fail(source, "no __nncore__ header")
    raw = archive.read("__nncore__", max_bytes=LIMITS["max_header_bytes"])
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
    return h


def _count(value: object, end: int = 2**63) -> bool:
    """A non-negative integer below `end` (by default: what a C++ int64 holds)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < end


def _build(archive: _Archive, cls: type[M], source: str, max_parameters: int,
           max_layers: int) -> M:
    h = _read_header(archive, source)
    specs = h.get("layers")
    if not isinstance(specs, list) or not specs:
        _fail(source, "no layers")
    if len(specs) > max_layers:
        _fail(source, f"{len(specs)} layers, more than max_layers={max_layers} (raise it with "
                      "load(..., max_layers=...) or nncore.io.LIMITS if you trust the file)")
    layers: list[Layer] = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or spec.get("type") not in LAYERS \
                or not isinstance(spec.get("config"), dict):
            _fail(source, f"layer {i} is not a known layer type ({spec!r:.80})")
        try:
            layers.append(LAYERS[spec["type"]](**spec["config"]))
        except (TypeError, ValueError) as e:
            _fail(source, f"layer {i}: {e}")
    seed: Any = h.get("seed")
    epochs: Any = h.get("epochs_done", 0)
    if not _count(seed, 2**64) or not _count(epochs):
        _fail(source, "seed must be an integer in [0, 2**64), epochs_done in [0, 2**63)")
    dtype = np.dtype(h["dtype"])
    # Check every parameter against the layout before allocating anything, so a
    # header that claims huge layers costs nothing.
    try:
        slots = plan(layers)[2]
    except (TypeError, ValueError) as e:
        _fail(source, f"architecture: {e}")
    n_params = sum(s.size for s in slots)
    if n_params > max_parameters:
        _fail(source, f"{n_params} parameters, more than max_parameters={max_parameters} (raise "
                      "it with load(..., max_parameters=...) or nncore.io.LIMITS if you trust "
                      "the file)")
    opt = h.get("optimizer")
    if opt is not None:
        if not isinstance(opt, dict) or opt.get("kind") not in OPTIMIZERS \
                or not isinstance(opt.get("hyperparameters"), dict) or not _count(opt.get("t")):
            _fail(source, "bad optimizer record")
    expected = {"__nncore__"} | {f"param/{s.name}" for s in slots}
    if opt is not None:
        expected |= {"opt/m", "opt/v"}
    extra = archive.names - expected
    if extra:  # refused by name, before any of them is inflated
        _fail(source, f"unexpected entries {sorted(extra)[:5]}")
    params = {}
    for slot in slots:
        if f"param/{slot.name}" not in archive.names:
            _fail(source, f"parameter {slot.name!r} is missing")
        try:
            params[slot.name] = archive.read(f"param/{slot.name}", dtype, slot.shape)
        except ValueError as e:
            raise ValueError(str(e).replace(f"entry 'param/{slot.name}'",
                                            f"parameter {slot.name!r}")) from None
    try:
        model = cls(*layers, dtype=dtype.type, seed=seed)
    except (TypeError, ValueError, MemoryError) as e:
        _fail(source, f"architecture: {e}")
    try:
        model.load_state_dict(params)
    except ValueError as e:
        _fail(source, str(e))
    model._epochs_done = epochs
    if opt is not None:
        try:
            optimizer = OPTIMIZERS[opt["kind"]](**opt["hyperparameters"])
        except (TypeError, ValueError) as e:
            _fail(source, f"optimizer: {e}")
        state: OptimizerState = {"optimizer": optimizer, "t": opt["t"], "m": None, "v": None}
        for key in ("m", "v"):
            if f"opt/{key}" in archive.names:
                try:
                    a = archive.read(f"opt/{key}", dtype, (model.num_parameters,))
                except ValueError:
                    _fail(source, f"optimizer buffer {key!r} has the wrong dtype/shape")
                if not np.isfinite(a).all():
                    _fail(source, f"optimizer buffer {key!r} holds NaN or inf")
                state[key] = a.copy()
        model._adopt_optimizer_state(state)
    return model
