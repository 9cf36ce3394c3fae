"""The estimators' solvers: scikit-learn's stochastic loop on nncore's native fit, and L-BFGS.

Stochastic ("sgd", "adam" and nncore's optimizers): epochs run inside one native
`model.fit`; after each epoch an epoch callback applies scikit-learn's rules
(n_iter_, t_, loss_curve_, the tol / n_iter_no_change count, validation scores and
the best weights with early stopping) and stops the native loop when they say so.
When the learning rate changes between epochs (learning_rate="invscaling" or
"adaptive"), each epoch is its own native call with the rate set before it.

"lbfgs": scipy.optimize.minimize(method="L-BFGS-B") on the core's loss_and_grad
over the flat parameter arena, with scikit-learn's objective.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Optional

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..optim import Optimizer

NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large "
              "values and need to be preprocessed.")


class SolverState:
    """What a stochastic fit carries between epochs and partial_fit calls (scikit-learn
    keeps the same in its `_optimizer`): the optimizer spec and the current learning rate."""

    def __init__(self, spec: Optimizer, learning_rate: float) -> None:
        self.spec = spec
        self.learning_rate = learning_rate


class EpochRules:
    """scikit-learn's end-of-epoch bookkeeping (`_update_no_improvement_count`)."""

    def __init__(self, est: Any, n_train: int, scale: float,
                 validation: Optional[tuple[np.ndarray, Any, Optional[np.ndarray]]]) -> None:
        self.est, self.n_train, self.scale, self.validation = est, n_train, scale, validation
        self.wants_stop = False

    def end_epoch(self, core_loss: float) -> bool:
        """Record one finished epoch; True when scikit-learn's rule says stop."""
        est = self.est
        loss = float(core_loss) * self.scale
        est.n_iter_ += 1
        est.t_ += self.n_train
        est.loss_ = loss
        est.loss_curve_.append(loss)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if self.validation is not None:
            self._validation_step()
        else:
            if loss > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if loss < est.best_loss_:
                est.best_loss_ = loss
        self.wants_stop = est._no_improvement_count > est._patience
        return self.wants_stop

    def _validation_step(self, score: Optional[float] = None) -> None:
        est = self.est
        if score is None:
            assert self.validation is not None
            score = est._validation_score(*self.validation)
        est.validation_scores_.append(score)
        if est.verbose:
            print(f"Validation score: {score:f}")
        # NaN compares False both ways: it resets the count and is never the best.
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            est._best_params = est.model_.get_flat_parameters()

    def diverged(self) -> None:
        """The core stopped on a non-finite loss: scikit-learn's weights would be NaN from
        here on, so every later score is NaN; record that epoch's and stop."""
        est = self.est
        est.n_iter_ += 1
        est.t_ += self.n_train
        est.loss_ = float("nan")
        est.loss_curve_.append(float("nan"))
        self._validation_step(float("nan"))


def stochastic(est: Any, X: np.ndarray, T: np.ndarray, sw: Optional[np.ndarray], *,
               optimizer: SolverState, batch: int, l2: float, scale: float,
               validation: Optional[tuple[np.ndarray, Any, Optional[np.ndarray]]],
               incremental: bool, lr_varies: bool, schedule: Any) -> None:
    """Run up to max_iter epochs (one for partial_fit) with scikit-learn's stopping rules."""
    model = est.model_
    rules = EpochRules(est, X.shape[0], scale, validation)
    est.n_iter_ = 0
    epochs = 1 if incremental else int(est.max_iter)
    spec = optimizer.spec
    lr_scale = scale if spec.kind in ("sgd", "momentum") else 1.0

    def run(n_epochs: int, callback: Callable[[int, dict[str, Any]], bool]) -> bool:
        """One native fit; False if it diverged."""
        try:
            model.fit(X, T, optimizer=spec, epochs=n_epochs, batch_size=batch,
                      shuffle=bool(est.shuffle), l2=l2, penalty_per_sample=True,
                      sample_weight=sw, lr_schedule=schedule, callbacks=[callback], verbose=0)
        except FloatingPointError:
            return False
        return True

    finite = True
    if not lr_varies:
        finite = run(epochs, lambda epoch, logs: not rules.end_epoch(logs["loss"]))
    else:
        for _ in range(epochs):
            new_lr = optimizer.learning_rate * lr_scale
            if spec.kind == "momentum" and model.optimizer_state is not None \
                    and model.optimizer_state["optimizer"] is spec:
                # scikit-learn's velocity holds η (v = −η·v'): keep it when η changes.
                model.optimizer_state["m"] *= spec.lr / new_lr
            spec.lr = new_lr
            finite = run(1, lambda epoch, logs: rules.end_epoch(logs["loss"]) or True)
            if not finite:
                break
            if est.learning_rate == "invscaling":  # at the end of each epoch, from t_
                optimizer.learning_rate = est.learning_rate_init / (est.t_ + 1) ** est.power_t
            if rules.wants_stop:
                if est.learning_rate != "adaptive" or optimizer.learning_rate <= 1e-6:
                    break
                optimizer.learning_rate /= 5.0
                est._no_improvement_count = 0
                rules.wants_stop = False
    if not finite:
        if validation is None:
            raise ValueError(NON_FINITE + " (nncore stopped at the first non-finite loss and "
                             "kept the last finite weights.)")
        rules.diverged()
        warnings.warn("Stochastic Optimizer: the loss became non-finite in epoch "
                      f"{est.n_iter_}; training stopped and the best weights were kept.",
                      ConvergenceWarning, stacklevel=4)
    elif not incremental and est.n_iter_ == est.max_iter and not rules.wants_stop:
        warnings.warn(f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and "
                      "the optimization hasn't converged yet.", ConvergenceWarning, stacklevel=4)
    if validation is not None:
        model.set_flat_parameters(est._best_params)


def lbfgs(est: Any, X: np.ndarray, T: np.ndarray, *, loss: str, alpha: float, scale: float,
          sample_weight: Optional[np.ndarray] = None) -> None:
    """Minimise scikit-learn's objective s·(core loss) + alpha/(2·Σw)·ΣW² with L-BFGS-B
    (Σw = n without sample weights)."""
    import scipy.optimize

    model = est.model_
    total = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
    mask = model.penalty_mask
    names = model.param_names
    penalty = alpha / total

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            model.set_flat_parameters(theta)
        except ValueError:  # a non-finite trial point: tell the line search to back off
            return float("inf"), np.zeros_like(theta)
        value, grads = model.loss_and_grad(X, T, loss=loss, sample_weight=sample_weight)
        g = np.concatenate([grads[k].ravel() for k in names]).astype(np.float64)
        w = np.where(mask, theta, 0.0)
        return (scale * value + 0.5 * penalty * float(w @ w), scale * g + penalty * w)

    theta0 = model.get_flat_parameters().astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        res = scipy.optimize.minimize(
            objective, theta0, method="L-BFGS-B", jac=True,
            options={"maxfun": int(est.max_fun), "maxiter": int(est.max_iter),
                     "gtol": float(est.tol)})
    est.n_iter_ = min(int(res.nit), int(est.max_iter))
    est.loss_ = float(res.fun)
    if not np.isfinite(res.x).all():
        raise ValueError(NON_FINITE)
    model.set_flat_parameters(res.x)
    if res.status != 0:
        warnings.warn(f"lbfgs failed to converge after {res.nit} iteration(s) "
                      f"(status={res.status}): {res.message}. Increase the number of "
                      "iterations (max_iter, max_fun) or scale the data.",
                      ConvergenceWarning, stacklevel=4)
