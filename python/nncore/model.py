"""`nncore.Sequential`: the model whose numbers live in the C++ core.

The parameter arena is the C++ network's own buffer; `named_parameters()`
hands out NumPy views into it. Everything is validated and converted in
`_base`/`_validation` before a pointer crosses into C++.
"""
from __future__ import annotations

import numpy as np

from . import _core
from ._base import ModelBase
from .layers import KIND_CODES

LOSS_CODES = {"mse": 0, "mse_mean": 1, "bce": 2, "ce": 3}


class Sequential(ModelBase):
    """A stack of layers run by the C++ core.

    >>> model = Sequential(Dense(2, 10), Tanh(), Dense(10, 1), Sigmoid(), dtype=np.float64, seed=0)
    >>> model.num_parameters
    41
    """

    def _new_arena(self, size):
        specs = [(KIND_CODES[l.kind], l.in_features, l.out_features, l.k, l.hyper(),
                  getattr(l, "num_parameters", 0)) for l in self.layers]
        cls = _core.Network64 if self.dtype == np.float64 else _core.Network32
        self._net = cls(specs)
        if self._net.num_params != size:  # the two layouts must agree
            raise RuntimeError(f"nncore: core arena has {self._net.num_params} values, "
                               f"Python layout {size}")
        self._grad_arena = self._net.grads()
        return self._net.params()

    def _forward(self, X):
        out = np.empty((X.shape[0], self.n_outputs), dtype=self.dtype)
        self._net.predict(X, out)
        return out

    def _trace(self, X):
        return self._net.trace(X)

    def _loss_and_grad(self, X, Y, labels, loss, l1, l2, want_grad):
        value = self._net.loss_and_grad(X, Y, labels, LOSS_CODES[loss], l1, l2, want_grad)
        return value, (self._grad_arena if want_grad else None)
