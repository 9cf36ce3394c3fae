"""Crafted model files for the loader's tests and memory measurements (no test here).

Each maker returns the bytes of a zip that `nncore.load` must refuse, or load
within a bounded amount of memory. Big members are written in chunks, so
making a 1 GiB zip bomb takes ~1 MiB of memory and a few seconds.
"""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import numpy.lib.format as npy

CHUNK = 2**20


def header(layers, dtype="float64", optimizer=None):
    return {"format": "nncore", "version": 1, "dtype": dtype, "seed": 0, "epochs_done": 0,
            "layers": layers, "optimizer": optimizer}


def dense(i, o):
    return {"type": "Dense", "config": {"in_features": i, "out_features": o}}


def npy_header(shape, dtype):
    buf = io.BytesIO()
    npy.write_array_header_1_0(buf, {"descr": npy.dtype_to_descr(np.dtype(dtype)),
                                     "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue()


def _member(z, name, shape, dtype, payload_bytes=None, data=None):
    """Write name.npy declaring `shape`; its data is `data` or `payload_bytes` zeros."""
    with z.open(name + ".npy", "w", force_zip64=True) as f:
        f.write(npy_header(shape, dtype))
        if data is not None:
            f.write(data)
            return
        left = payload_bytes
        zeros = bytes(CHUNK)
        while left > 0:
            f.write(zeros[:min(left, CHUNK)])
            left -= CHUNK


def model_zip(h, members):
    """members: {name: (shape, dtype, payload_bytes or bytes)}; the header is added."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        raw = json.dumps(h).encode()
        _member(z, "__nncore__", (len(raw),), np.uint8, data=raw)
        for name, (shape, dtype, payload) in members.items():
            if isinstance(payload, bytes):
                _member(z, name, shape, dtype, data=payload)
            else:
                _member(z, name, shape, dtype, payload_bytes=payload)
    return buf.getvalue()


def valid_members(i=2, o=1):
    w = np.zeros((i, o)).tobytes()
    b = np.zeros(o).tobytes()
    return {"param/0.W": ((i, o), np.float64, w), "param/0.b": ((o,), np.float64, b)}


def bomb_in_unknown_member(size):
    """A valid model plus a member 'junk' of `size` zero bytes (refused by its name)."""
    return model_zip(header([dense(2, 1)]), dict(valid_members(), junk=((size,), np.uint8, size)))


def bomb_in_parameter(size):
    """param/0.W declares shape (2, 1) but inflates to `size` bytes."""
    m = valid_members()
    m["param/0.W"] = ((2, 1), np.float64, size)
    return model_zip(header([dense(2, 1)]), m)


def bomb_with_declared_shape(size):
    """param/0.W declares (size // 8, 1), the header says Dense(2, 1)."""
    m = valid_members()
    m["param/0.W"] = ((size // 8, 1), np.float64, size)
    return model_zip(header([dense(2, 1)]), m)


def bomb_in_header(size):
    """A __nncore__ header of `size` bytes (JSON padded with spaces)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        _member(z, "__nncore__", (size,), np.uint8, payload_bytes=size)
    return buf.getvalue()


def huge_declared_model(n_in, n_out):
    """The header claims Dense(n_in, n_out); the members are tiny."""
    return model_zip(header([dense(n_in, n_out)]), valid_members())


def deep_identity(n_identity, width=1000):
    """Dense(1, width) followed by n_identity Identity layers (a few KB on disk)."""
    layers = [dense(1, width)] + [{"type": "Identity", "config": {}}] * n_identity
    w = np.zeros((1, width)).tobytes()
    b = np.zeros(width).tobytes()
    return model_zip(header(layers), {"param/0.W": ((1, width), np.float64, w),
                                      "param/0.b": ((width,), np.float64, b)})


CRAFTED = {
    "bomb in an unknown member (1 GiB)": lambda: bomb_in_unknown_member(2**30),
    "bomb in param/0.W (1 GiB)": lambda: bomb_in_parameter(2**30),
    "param/0.W declaring 1 GiB": lambda: bomb_with_declared_shape(2**30),
    "header of 1 GiB": lambda: bomb_in_header(2**30),
    "header claiming Dense(10**6, 10**6)": lambda: huge_declared_model(10**6, 10**6),
    "Dense(1, 1000) + 100,000 Identity": lambda: deep_identity(100_000),
}
