"""A user's script, type-checked by tests/test_typing.py (mypy --strict): what an IDE
or mypy knows about nncore. Not run; every reveal_type line is an expectation."""
import numpy as np

import nncore as nc

X = np.zeros((8, 2))
y = np.zeros(8)
model = nc.Sequential(nc.Dense(2, 4), nc.Tanh(), nc.Dense(4, 1), nc.Sigmoid(), seed=0)
hist = model.fit(X, y, optimizer=nc.Adam(lr=0.01), epochs=2, verbose=0)
reveal_type(hist)                     # E: nncore.history.History
reveal_type(hist.history)             # E: dict[str, list[float]]
reveal_type(model.predict(X))         # E: numpy.ndarray[tuple[Any, ...], numpy.dtype[numpy.floating
reveal_type(model.loss_and_grad(X, y))  # E: tuple[float, dict[str, numpy.ndarray[
reveal_type(model.evaluate(X, y))     # E: dict[str, float]
reveal_type(nc.load("m.nncore"))      # E: nncore.native.model.Sequential
reveal_type(nc.load("m.nncore", nc.reference.Sequential))  # E: nncore.reference.model.Sequential
model.fit(X, y, epochs="3")           # E: Argument "epochs" to "fit" of "Sequential" has incompatible type "str"
