"""The contract between the Python side and the C++ core: every code table.

The core defines each table once (cpp/include/nncore: layer.hpp, optim.hpp,
trainer.hpp) and exports it as a `_core` enum; the Python side looks codes up
by name. These tests fail when a name is added, renamed or dropped on one side only.
"""
import numpy as np
import pytest

from nncore import _core
from nncore.checks import LOSSES
from nncore.layers import ACTIVATIONS, LAYERS
from nncore.optim import OPTIMIZERS, Momentum
from nncore.schedules import SCHEDULES

CORE_ENUMS = [_core.LayerKind, _core.LossKind, _core.OptimizerKind, _core.MomentumForm,
              _core.ScheduleKind]


def members(enum):
    return set(enum.__members__)


def test_layer_kinds():
    python_kinds = {cls.kind for cls in LAYERS.values()}
    assert set(ACTIVATIONS) <= python_kinds
    assert members(_core.LayerKind) == python_kinds


def test_losses():
    assert members(_core.LossKind) == set(LOSSES)


def test_optimizers():
    assert members(_core.OptimizerKind) == set(OPTIMIZERS)


def test_momentum_forms():
    assert members(_core.MomentumForm) == set(Momentum.FORMS)


def test_schedules():
    # "constant" is the core's name for "no schedule" (schedule=None in Python).
    assert members(_core.ScheduleKind) == set(SCHEDULES) | {"constant"}


@pytest.mark.parametrize("enum", CORE_ENUMS, ids=lambda e: e.__name__)
def test_codes_are_distinct_and_named_back(enum):
    values = [int(v) for v in enum.__members__.values()]
    assert len(set(values)) == len(values)
    for name, value in enum.__members__.items():
        assert enum(int(value)).name == name


def test_layer_spec_is_keyword_constructible():
    s = _core.LayerSpec(kind=_core.LayerKind.prelu, in_features=3, out_features=3, k=1,
                        hyper=0.5, n_alpha=3)
    assert (s.kind, s.in_features, s.out_features, s.k, s.hyper, s.n_alpha) == \
        (_core.LayerKind.prelu, 3, 3, 1, 0.5, 3)
    assert "prelu" in repr(s)


def test_configs_take_the_enums():
    c = _core.FitConfig()
    c.loss = _core.LossKind.ce
    assert c.loss == _core.LossKind.ce
    with pytest.raises(TypeError):
        c.loss = 3  # a bare code no longer crosses the boundary
    o = _core.OptimizerConfig()
    o.kind, o.form = _core.OptimizerKind.adam, _core.MomentumForm.nesterov
    assert (o.kind, o.form) == (_core.OptimizerKind.adam, _core.MomentumForm.nesterov)
    s = _core.ScheduleConfig()
    assert s.kind == _core.ScheduleKind.constant
    s.kind = _core.ScheduleKind.plateau
    assert s.kind == _core.ScheduleKind.plateau


def test_network_takes_layer_specs():
    K, S = _core.LayerKind, _core.LayerSpec
    net = _core.Network64([S(K.dense, 2, 3), S(K.relu), S(K.dense, 3, 1)])
    assert (net.n_in, net.n_out, net.num_params) == (2, 1, 2 * 3 + 3 + 3 * 1 + 1)
    with pytest.raises(TypeError):
        _core.Network64([(0, 2, 3, 1, 0.0, 0)])  # the old unnamed tuple
    out = np.empty((4, 1))
    net.predict(np.zeros((4, 2)), out)
    assert np.isfinite(out).all()
