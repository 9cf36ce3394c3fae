"""The Python that rebuilds a playground run and continues it (the "take it home" text)."""
from __future__ import annotations

from .config import Config
from .datasets import N_TRAIN

MODEL_FILE = "playground-model.nncore"


def snippet(c: Config, epochs_done: int) -> str:
    d, n, t = c.data, c.network, c.training
    schedule = (f"nc.StepDecay(step_size={t.decay_every}, gamma={t.decay_gamma!r})"
                if t.decay_every else "None")
    y_fix = ("y, y_test = y.astype(int), y_test.astype(int)   # softmax output: class labels\n"
             if n.output == "softmax" else "")
    return f'''# The playground run: {d.name} data, network 2-{"-".join(str(h.width) for h in n.hidden) + ("-" if n.hidden else "")}{1 if n.output == "sigmoid" else 2}, {t.optimizer_code()}.
# Download the model next to this file as {MODEL_FILE} (it holds {epochs_done} epochs of training).
import nncore as nc
from nncore.playground.datasets import make_split

(X, y), (X_test, y_test) = make_split({d.name!r}, noise={d.noise!r}, seed={d.seed!r})
{y_fix}
# The same network from scratch (same seed, same initial weights):
fresh = nc.Sequential({n.code()}, seed={n.seed})

# The trained one, with its optimizer state (m, v, t) and epoch count: fit continues the run.
model = nc.load({MODEL_FILE!r})
optimizer = model.optimizer_state["optimizer"] if model.optimizer_state else {t.optimizer_code()}
history = model.fit(X, y, loss={n.loss!r}, optimizer=optimizer, epochs=100,
                    batch_size={min(t.batch_size, N_TRAIN)}, l1={t.l1!r}, l2={t.l2!r},
                    lr_schedule={schedule}, verbose=0)
print("train", model.evaluate(X, y), "test", model.evaluate(X_test, y_test))
'''
