"""Argument checks and the one conversion at the Python boundary.

Every public entry point passes its arguments through here. Scalars: a wrong
type is a TypeError, a wrong value a ValueError, and the message names the
owner (the function or class), the argument and what was expected:
"Adam: lr must be > 0, got -1". Arrays come out C-contiguous, native-endian,
of the model's dtype and finite.

Ground floor: pure Python and NumPy, no compiled core.
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, Optional

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

# The arrays that cross the boundary: values in the model's dtype (float32 or float64)
# and class labels for loss="ce".
FloatArray = NDArray[np.floating[Any]]
LabelArray = NDArray[np.int64]

# -- scalars -----------------------------------------------------------------


def real(value: object, owner: str, name: str) -> float:
    """A finite real number (not bool) as float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    return v


def positive(value: object, owner: str, name: str) -> float:
    """A finite real number > 0."""
    v = real(value, owner, name)
    if not v > 0:
        raise ValueError(f"{owner}: {name} must be > 0, got {value!r}")
    return v


def non_negative(value: object, owner: str, name: str) -> float:
    """A finite real number >= 0."""
    v = real(value, owner, name)
    if v < 0:
        raise ValueError(f"{owner}: {name} must be >= 0, got {value!r}")
    return v


def decay_rate(value: object, owner: str, name: str) -> float:
    """A real number in [0, 1) (momentum γ, Adam β)."""
    v = real(value, owner, name)
    if not 0 <= v < 1:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {value!r}")
    return v


# The largest integer the core takes (a C++ int64); larger ones are refused here
# with the argument's name instead of a pybind11 signature dump.
INT64_MAX = 2**63 - 1


def positive_int(value: object, owner: str, name: str, maximum: int = INT64_MAX) -> int:
    """An integer in [1, maximum] (not bool; NumPy integers welcome) as int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    n = int(value)
    if n > maximum:
        raise ValueError(f"{owner}: {name} must be at most {maximum}, got {value!r}")
    return n


def seed(value: object, owner: str, name: str = "seed", none_ok: bool = False) -> int:
    """A seed: an integer in [0, 2**64) (the core's generator takes 64 bits) as int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value < 0:
        expected = "None or a non-negative integer" if none_ok else "a non-negative integer"
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}")
    n = int(value)
    if n >= 2**64:
        raise ValueError(f"{owner}: {name} must be below 2**64, got {value!r}")
    return n


def boolean(value: object, owner: str, name: str) -> bool:
    """True or False (Python or NumPy bool) as bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


# -- arrays ------------------------------------------------------------------

LOSSES = ("mse", "mse_mean", "bce", "ce", "poisson")


def _as_array(a: Optional[ArrayLike], fn: str, name: str) -> NDArray[Any]:
    if a is None:
        raise TypeError(f"{fn}: {name} is None, expected an array")
    if hasattr(a, "toarray") and hasattr(a, "nnz"):  # scipy.sparse, without importing scipy
        raise TypeError(f"{fn}: {name} is a sparse matrix ({type(a).__name__}); nncore takes "
                        f"dense arrays: pass {name}.toarray()")
    try:
        arr = np.asarray(a)
    except Exception as e:  # ragged lists and the like
        raise TypeError(f"{fn}: {name} could not be converted to an array ({e})") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{fn}: {name} has dtype {arr.dtype}, expected a real numeric "
                        "dtype (integer or floating point)")
    return arr


def _convert(arr: NDArray[Any], dtype: DTypeLike) -> FloatArray:
    # One copy at most: to the model dtype, C order, native byte order, writeable
    # is not needed (the core only reads inputs). Overflow shows up in _check_finite.
    with np.errstate(over="ignore"):
        return np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("="))


def _check_finite(arr: NDArray[Any], fn: str, name: str,
                  original: Optional[NDArray[Any]] = None,
                  all_finite: Optional[Callable[[NDArray[Any]], bool]] = None) -> None:
    """All finite; `original` (before conversion) tells an overflow from an inf given.
    `all_finite` (e.g. the core's threaded scan) replaces NumPy's for the first look."""
    if not (all_finite(arr) if all_finite is not None else np.isfinite(arr).all()):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        if bad == "inf" and original is not None and original.dtype.kind == "f" \
                and np.isfinite(original).all():
            big = float(np.max(np.abs(original)))
            raise ValueError(f"{fn}: {name} has values up to {big:.3g}, which overflow "
                             f"{arr.dtype} (largest {float(np.finfo(arr.dtype).max):.3g}); "
                             "scale the data or use a float64 model")
        raise ValueError(f"{fn}: {name} contains {bad}; all values must be finite")


def check_X(X: ArrayLike, n_features: int, dtype: DTypeLike, fn: str,
            all_finite: Optional[Callable[[NDArray[Any]], bool]] = None) -> FloatArray:
    """X → (n, n_features) array of `dtype`, n ≥ 1, finite (tested by `all_finite` if given)."""
    arr = _as_array(X, fn, "X")
    if arr.ndim != 2:
        raise ValueError(f"{fn}: X must be 2-D (n_samples, {n_features}), "
                         f"got {arr.ndim}-D with shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{fn}: X has 0 samples, expected at least 1")
    if arr.shape[1] != n_features:
        raise ValueError(f"{fn}: X has {arr.shape[1]} features, the model expects {n_features}")
    converted = _convert(arr, dtype)
    _check_finite(converted, fn, "X", arr, all_finite)
    return converted


def check_loss(loss: str, last_kind: str, fn: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"{fn}: loss must be one of {LOSSES}, got {loss!r}")
    if loss == "bce" and last_kind != "sigmoid":
        raise ValueError(f"{fn}: loss='bce' needs a model whose last layer is Sigmoid "
                         f"(it is {last_kind!r}); BCE is computed from its logits")
    if loss == "ce" and last_kind != "softmax":
        raise ValueError(f"{fn}: loss='ce' needs a model whose last layer is Softmax "
                         f"(it is {last_kind!r}); cross-entropy is computed from its logits")
    if loss == "poisson" and last_kind != "exp":
        raise ValueError(f"{fn}: loss='poisson' needs a model whose last layer is Exp (the log "
                         f"link; it is {last_kind!r}); the deviance is computed from its input")
    return loss


def check_y(y: ArrayLike, n: int, n_outputs: int, loss: str, dtype: DTypeLike,
            fn: str) -> tuple[Optional[FloatArray], Optional[LabelArray]]:
    """Targets for `loss`. Returns (Y, labels): one is None.

    ce with a 1-D y → int64 labels in [0, n_outputs); otherwise Y of shape (n, n_outputs).
    """
    arr = _as_array(y, fn, "y")
    if arr.ndim == 0 or arr.ndim > 2:
        raise ValueError(f"{fn}: y must be 1-D (n_samples,) or 2-D (n_samples, {n_outputs}), "
                         f"got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{fn}: X has {n} samples but y has {arr.shape[0]}")
    if loss == "ce" and arr.ndim == 1:
        if arr.dtype.kind == "f":
            _check_finite(arr, fn, "y")
            if not np.all(arr == np.round(arr)):
                raise ValueError(f"{fn}: y holds class labels for loss='ce' and must be "
                                 "integers (or 2-D one-hot targets)")
        # The range from the given values (an int64 cast would wrap 1e20 or a huge uint64).
        lowest, highest = arr.min().item(), arr.max().item()
        if lowest < 0 or highest >= n_outputs:
            lo, hi = (f"{v:g}" if isinstance(v, float) else str(v) for v in (lowest, highest))
            raise ValueError(f"{fn}: y has labels in [{lo}, {hi}], expected labels in "
                             f"[0, {n_outputs - 1}] for a model with {n_outputs} outputs")
        labels = np.ascontiguousarray(arr, dtype=np.int64)
        return None, labels
    if arr.ndim == 1:
        if n_outputs != 1:
            raise ValueError(f"{fn}: y has shape {arr.shape}, expected ({n}, {n_outputs})")
        arr = arr.reshape(n, 1)
    if arr.shape[1] != n_outputs:
        raise ValueError(f"{fn}: y has shape {arr.shape}, expected ({n}, {n_outputs})")
    Y = _convert(arr, dtype)
    _check_finite(Y, fn, "y", arr)
    if loss in ("bce", "ce") and (Y.min() < 0 or Y.max() > 1):
        raise ValueError(f"{fn}: y for loss={loss!r} must lie in [0, 1], "
                         f"got values in [{Y.min()}, {Y.max()}]")
    if loss == "poisson" and Y.min() < 0:
        raise ValueError(f"{fn}: y for loss='poisson' must be >= 0 (counts or rates), got a "
                         f"minimum of {Y.min()}")
    return Y, None


def check_sample_weight(sample_weight: Optional[ArrayLike], n: int, dtype: DTypeLike,
                        fn: str) -> Optional[FloatArray]:
    """None (every sample weighs 1), or (n,) finite weights >= 0 with a positive sum,
    converted to `dtype`. A loss with weights is Σᵢ wᵢ·lossᵢ / Σᵢ wᵢ (docs/design.md)."""
    if sample_weight is None:
        return None
    arr = _as_array(sample_weight, fn, "sample_weight")
    if arr.shape != (n,):
        raise ValueError(f"{fn}: sample_weight must have shape ({n},) (one weight per row of "
                         f"X), got {arr.shape}")
    w = _convert(arr, dtype)
    _check_finite(w, fn, "sample_weight")
    if (w < 0).any():
        raise ValueError(f"{fn}: sample_weight must be >= 0, got a minimum of {w.min()}")
    if not float(np.sum(w, dtype=np.float64)) > 0:
        raise ValueError(f"{fn}: sample_weight sums to 0; at least one sample must weigh > 0")
    return w


def check_penalty(value: float, fn: str, name: str) -> float:
    """A penalty weight λ (l1, l2): finite and >= 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: {name} must be a real number, got {value!r}") from None
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{fn}: {name} must be finite and >= 0, got {value!r}")
    return v
