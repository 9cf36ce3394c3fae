"""Weight initialisation (lecture: random weights break the symmetry of hidden units).

An initialiser is a callable ``f(shape, fan_in, fan_out, rng) -> float64 array``.
Values are drawn in float64 from ``numpy.random.default_rng(seed)`` and then
cast to the model's dtype, so float32 and float64 models with the same seed
start from the same (rounded) weights, in `nncore` and `nncore.reference` alike.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Protocol, Sequence, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

Shape = Tuple[int, ...]
# f(shape, fan_in, fan_out, rng) -> values of `shape` (the built-in ones: float64 arrays)
Initializer = Callable[[Shape, int, int, np.random.Generator], ArrayLike]


class _Slot(Protocol):
    """What initial_values reads of a nncore.layout.ParamSlot (layout is a floor above)."""

    @property
    def name(self) -> str: ...
    @property
    def shape(self) -> Shape: ...
    @property
    def layer(self) -> int: ...
    @property
    def role(self) -> str: ...


def normal(std: float = 0.01) -> Initializer:
    """θ ~ N(0, std²)."""
    def init(shape: Shape, fan_in: int, fan_out: int,
             rng: np.random.Generator) -> NDArray[np.float64]:
        return rng.normal(0.0, std, size=shape)
    init.__name__ = f"normal(std={std})"
    return init


def uniform(limit: float = 0.05) -> Initializer:
    """θ ~ U(−limit, limit)."""
    def init(shape: Shape, fan_in: int, fan_out: int,
             rng: np.random.Generator) -> NDArray[np.float64]:
        return rng.uniform(-limit, limit, size=shape)
    init.__name__ = f"uniform(limit={limit})"
    return init


def constant(value: float) -> Initializer:
    """θ = value everywhere: hidden units stay identical (the lecture's symmetry problem)."""
    def init(shape: Shape, fan_in: int, fan_out: int,
             rng: np.random.Generator) -> NDArray[np.float64]:
        return np.full(shape, float(value))
    init.__name__ = f"constant({value})"
    return init


def glorot_uniform(shape: Shape, fan_in: int, fan_out: int,
                   rng: np.random.Generator) -> NDArray[np.float64]:
    """Glorot/Xavier: U(±√(6/(fan_in+fan_out))), for tanh/sigmoid layers."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def glorot_normal(shape: Shape, fan_in: int, fan_out: int,
                  rng: np.random.Generator) -> NDArray[np.float64]:
    """Glorot/Xavier: N(0, 2/(fan_in+fan_out))."""
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def he_normal(shape: Shape, fan_in: int, fan_out: int,
              rng: np.random.Generator) -> NDArray[np.float64]:
    """He/Kaiming: N(0, 2/fan_in), for ReLU-like layers."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


def he_uniform(shape: Shape, fan_in: int, fan_out: int,
               rng: np.random.Generator) -> NDArray[np.float64]:
    """He/Kaiming: U(±√(6/fan_in))."""
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape)


def zeros(shape: Shape, fan_in: int, fan_out: int,
          rng: np.random.Generator) -> NDArray[np.float64]:
    return np.zeros(shape)


INITIALIZERS = {
    "normal": normal(), "uniform": uniform(), "glorot_uniform": glorot_uniform,
    "xavier_uniform": glorot_uniform, "glorot_normal": glorot_normal,
    "xavier_normal": glorot_normal, "he_normal": he_normal, "kaiming_normal": he_normal,
    "he_uniform": he_uniform, "kaiming_uniform": he_uniform, "zeros": zeros,
}

# Activations after which He init is the sensible default; Glorot otherwise.
_RELU_LIKE = {"relu", "leaky_relu", "prelu", "elu"}


def resolve(init: Union[str, Initializer], what: str) -> Initializer:
    """Turn a name or callable into an initialiser; ValueError names the choices."""
    if callable(init):
        return init
    if isinstance(init, str) and init in INITIALIZERS:
        return INITIALIZERS[init]
    raise ValueError(f"{what}: unknown initialiser {init!r}; use a callable or one of "
                     f"{sorted(INITIALIZERS)}")


def default_for(next_kind: Optional[str]) -> Initializer:
    """He normal before a ReLU-like activation, Glorot uniform otherwise."""
    return he_normal if next_kind in _RELU_LIKE else glorot_uniform


# layers: nncore.layers.Layer objects. Typed Any: layers sits beside init on the ground floor
# (import-linter keeps them apart), and which attributes are read depends on the slot's
# role (Dense/Maxout: init, bias_init; PReLU: alpha_init).
def initial_values(layers: Sequence[Any], layout: Iterable[_Slot],
                   seed: int) -> dict[str, NDArray[np.float64]]:
    """Draw every parameter in arena order. Returns {name: float64 array}.

    `layout` is the model's list of ParamSlot; the draws are made in that order
    from one `default_rng(seed)`, so the result depends only on the
    architecture and the seed.
    """
    rng = np.random.default_rng(seed)
    values: dict[str, NDArray[np.float64]] = {}
    for slot in layout:
        layer = layers[slot.layer]
        if slot.role == "alpha":
            values[slot.name] = np.full(slot.shape, layer.alpha_init)
            continue
        fan_in, fan_out = layer.in_features, layer.out_features
        if slot.role == "weight":
            if layer.init is None:
                # the activation that follows, past any Dropout (it does not change σ)
                after = [l.kind for l in layers[slot.layer + 1:] if l.kind != "dropout"]
                f = default_for(after[0] if after else None)
            else:
                f = resolve(layer.init, f"{layer!r}: init")
        else:
            f = resolve(layer.bias_init, f"{layer!r}: bias_init")
        v = np.asarray(f(slot.shape, fan_in, fan_out, rng), dtype=np.float64)
        if v.shape != slot.shape:
            raise ValueError(f"{layer!r}: initialiser returned shape {v.shape}, "
                             f"expected {slot.shape}")
        values[slot.name] = v
    return values
