"""The arena layout of a layer stack: every parameter's name, shape and offset.

Both models keep all parameters in ONE flat arena (layers in order; W then b,
or alpha). `plan` checks a layer stack and lays the arena out without
allocating anything, so a file loader can check sizes before building a model.

Ground floor: pure Python and NumPy, no compiled core.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Optional, Sequence, cast

import numpy as np
from numpy.typing import DTypeLike

from .layers import Activation, Layer, Softmax


@dataclass(frozen=True)
class ParamSlot:
    """Where one named parameter lives in the arena."""
    name: str
    shape: tuple[int, ...]
    offset: int
    size: int
    layer: int
    role: str  # 'weight' (penalised), 'bias' or 'alpha'


def resolve_dtype(dtype: DTypeLike) -> type[np.floating[Any]]:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dtype!r}") from None
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be np.float32 or np.float64, got {dt}")
    return cast("type[np.floating[Any]]", dt.type)  # float32 or float64, checked above


def plan(layers: Sequence[Layer]) -> tuple[int, int, list[ParamSlot]]:
    """Check a layer stack, fix every width, lay out the arena.

    Returns (n_features, n_outputs, [ParamSlot]); allocates nothing, so a
    file loader can check sizes before building a model.
    """
    n_features = layers[0].in_features
    if isinstance(layers[0], Activation) or n_features is None:
        raise ValueError("Sequential: the first layer must be Dense or Maxout "
                         "(it fixes the number of input features)")
    for i, layer in enumerate(layers[:-1]):
        if isinstance(layer, Softmax):
            raise ValueError(f"Sequential: Softmax may only be the last layer (it is layer {i})")
    width = n_features
    for layer in layers:
        width = layer.build(width)
    layout, offset = [], 0
    for i, layer in enumerate(layers):
        for pname, shape, role in layer.param_specs():
            size = math.prod(shape)  # exact: np.prod wraps around at 2**63
            layout.append(ParamSlot(f"{i}.{pname}", tuple(shape), offset, size, i, role))
            offset += size
    return n_features, width, layout


def physical_memory() -> Optional[int]:
    """Bytes of RAM on this machine (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_arena_size(n_parameters: int, dtype: DTypeLike, owner: str = "Sequential") -> None:
    """Refuse a model whose arenas cannot exist, before anything is allocated.

    A model holds its parameters and their gradients (dtype each) and a one-byte
    penalty mask per parameter. More bytes than a 64-bit size is a ValueError
    (Dense(2**62, 4)); more than this machine's RAM a MemoryError (Dense(10**12, 1)).
    """
    need = n_parameters * (2 * np.dtype(dtype).itemsize + 1)
    if need > 2**63 - 1:
        raise ValueError(f"{owner}: {n_parameters} parameters are more than a 64-bit size "
                         "can hold (check the layer widths)")
    ram = physical_memory()
    if ram is not None and need > ram:
        raise MemoryError(f"{owner}: {n_parameters:,} parameters need {need / 2**30:,.1f} GiB "
                          f"(parameters and gradients as {np.dtype(dtype).name}), more than "
                          f"this machine's {ram / 2**30:,.1f} GiB of memory")
