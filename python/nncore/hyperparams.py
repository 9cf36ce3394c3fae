"""What optimizer and schedule specs share: hyperparameters as constructor arguments.

A spec lists its hyperparameters in `_hyper_names`; its constructor checks them.
This base gives every spec the same four faces of that list: `hyperparameters()`,
scikit-learn's `get_params`/`set_params` (so grids reach "<param>__<name>"),
`check()` (the constructor's checks again, for attributes changed later) and a repr
that reads as the constructor call. Ground floor: pure Python.
"""
from __future__ import annotations

from typing import Any, TypeVar

_Self = TypeVar("_Self", bound="HyperSpec")


class HyperSpec:
    """Base of the specs whose constructor arguments are their hyperparameters."""

    _hyper_names: tuple[str, ...] = ()

    def hyperparameters(self) -> dict[str, object]:
        """{name: value} of the hyperparameters this spec uses."""
        return {name: getattr(self, name) for name in self._hyper_names}

    def get_params(self, deep: bool = True) -> dict[str, object]:
        """The hyperparameters as constructor arguments (scikit-learn's protocol, so that
        grids can reach them as "<param>__<name>"; `deep` is accepted and unused)."""
        return self.hyperparameters()

    def set_params(self: _Self, **params: object) -> _Self:
        """Change hyperparameters, checked as the constructor checks them; returns self.
        A bad value or an unknown name raises and leaves the object unchanged."""
        unknown = sorted(set(params) - set(self._hyper_names))
        if unknown:
            raise ValueError(f"{type(self).__name__}.set_params: unknown hyperparameter(s) "
                             f"{unknown}; valid: {list(self._hyper_names)}")
        merged: dict[str, Any] = {**self.hyperparameters(), **params}
        checked = type(self)(**merged)
        self.__dict__.update(checked.__dict__)
        return self

    def check(self: _Self) -> _Self:
        """Re-run the constructor's checks on the current attributes (fit and train_step
        call it: `opt.lr = -0.5` or `StepDecay.step_size = 0` set after construction is
        refused, not trained with)."""
        type(self)(**self.hyperparameters())
        return self

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({inner})"
