"""The learning rate during fit: a callable lr_schedule, optimizer.lr changed by a callback
(takes effect from the next epoch, or raises), the same in the core and the reference and
bitwise the same for any thread count."""
import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref

RTOL = 1e-12


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] - X[:, 1] > 0).astype(float)
    return X, y


def layers():
    return [nc.Dense(3, 5), nc.Tanh(), nc.Dense(5, 1), nc.Sigmoid()]


def both_fit(opt_factory, **kw):
    """(history, params) of the core and of the reference, same seed and arguments; kw's
    callbacks_factory() gives each its own callbacks."""
    X, y = data()
    out = []
    factory = kw.pop("callbacks_factory", lambda opt: [])
    for cls in (nc.Sequential, ref.Sequential):
        model = cls(*layers(), seed=3)
        opt = opt_factory()
        extra = {} if cls is ref.Sequential else {"verbose": 0}
        h = model.fit(X, y, optimizer=opt, epochs=6, batch_size=8, callbacks=factory(opt),
                      **kw, **extra)
        out.append((h, model.get_flat_parameters()))
    return out


def close(a, b, rtol=RTOL):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-14)


def test_lr_set_by_a_callback_takes_effect_at_the_next_epoch():
    def factory(opt):
        def cb(epoch, logs):
            if epoch == 1:
                opt.lr = 1e-4
        return [cb]

    (hc, pc), (hr, pr) = both_fit(lambda: nc.SGD(lr=0.5), callbacks_factory=factory)
    assert hc.history["lr"] == [0.5, 0.5, 1e-4, 1e-4, 1e-4, 1e-4]
    assert hr.history["lr"] == hc.history["lr"]
    close(hc.history["loss"], hr.history["loss"])
    close(pc, pr)
    # ignoring it would have trained on at 0.5: the weights differ from that run
    (h_plain, p_plain), _ = both_fit(lambda: nc.SGD(lr=0.5))
    assert np.max(np.abs(p_plain - pc)) > 1e-3


def test_model_optimizer_lr_from_a_callback_object():
    class Halve(nc.Callback):
        def on_epoch_end(self, epoch, logs):
            self.model.optimizer.lr /= 2

    (hc, pc), (hr, pr) = both_fit(lambda: nc.Adam(lr=0.05),
                                  callbacks_factory=lambda opt: [Halve()])
    assert hc.history["lr"] == [0.05 / 2 ** e for e in range(6)]
    assert hr.history["lr"] == hc.history["lr"]
    close(pc, pr)


def test_callable_lr_schedule_like_keras():
    def schedule(epoch, lr):
        return lr if epoch < 2 else lr * 0.5

    (hc, pc), (hr, pr) = both_fit(lambda: nc.Momentum(lr=0.2), lr_schedule=schedule)
    assert hc.history["lr"] == [0.2, 0.2, 0.1, 0.05, 0.025, 0.0125]
    assert hr.history["lr"] == hc.history["lr"]
    close(hc.history["loss"], hr.history["loss"])
    close(pc, pr)


def test_callable_schedule_sees_an_lr_set_by_a_callback():
    def factory(opt):
        def cb(epoch, logs):
            if epoch == 2:
                opt.lr = 0.01
        return [cb]

    (hc, pc), (hr, pr) = both_fit(lambda: nc.SGD(lr=0.4), callbacks_factory=factory,
                                  lr_schedule=lambda e, lr: lr * 0.5)
    assert hc.history["lr"] == [0.2, 0.1, 0.05, 0.005, 0.0025, 0.00125]
    assert hr.history["lr"] == hc.history["lr"]
    close(pc, pr)


@pytest.mark.parametrize("schedule", [nc.StepDecay(step_size=2, gamma=0.5),
                                      nc.ExponentialDecay(0.9), nc.CosineDecay(t_max=5),
                                      nc.ReduceOnPlateau(factor=0.5, patience=1)])
def test_a_new_base_lr_under_a_builtin_schedule(schedule):
    def factory(opt):
        def cb(epoch, logs):
            if epoch == 2:
                opt.lr = 0.02
        return [cb]

    (hc, pc), (hr, pr) = both_fit(lambda: nc.SGD(lr=0.3), callbacks_factory=factory,
                                  lr_schedule=schedule)
    lr = hc.history["lr"]
    close(lr, hr.history["lr"], rtol=1e-15)
    close(pc, pr)
    if isinstance(schedule, nc.ReduceOnPlateau):
        assert lr[3] == 0.02 or lr[3] == 0.01  # the plateau continues from the new rate
        assert max(lr[3:]) <= 0.02
    else:
        assert lr[:3] == [schedule.lr_at(e, 0.3) for e in range(3)]
        assert lr[3:] == pytest.approx([schedule.lr_at(e, 0.02) for e in range(3, 6)],
                                       rel=1e-15)


@pytest.mark.parametrize("bad", [float("nan"), 0.0, -1.0, float("inf"), "0.1", None])
@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential])
def test_a_bad_scheduled_lr_raises_naming_lr_schedule(cls, bad):
    X, y = data()
    model = cls(*layers(), seed=1)
    before = model.get_flat_parameters()
    with pytest.raises(ValueError, match=r"fit: lr_schedule\(1, 0\.1\) must be a finite "
                                         r"number > 0"):
        model.fit(X, y, optimizer=nc.SGD(lr=0.1), epochs=3,
                  lr_schedule=lambda e, lr: lr if e == 0 else bad)
    assert len(model.history_.epoch if cls is nc.Sequential else [0]) == 1
    assert np.all(np.isfinite(model.get_flat_parameters()))
    assert not np.array_equal(before, model.get_flat_parameters())  # epoch 0 trained


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential])
def test_a_bad_lr_from_a_callback_raises(cls):
    X, y = data()
    opt = nc.SGD(lr=0.1)

    def cb(epoch, logs):
        opt.lr = -0.5

    with pytest.raises(ValueError, match="optimizer.lr set during fit must be a finite"):
        cls(*layers(), seed=1).fit(X, y, optimizer=opt, epochs=3, callbacks=[cb])


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential])
def test_other_hyperparameters_changed_mid_fit_raise(cls):
    X, y = data()
    opt = nc.Momentum(lr=0.1, gamma=0.9)

    def cb(epoch, logs):
        opt.gamma = 0.5

    with pytest.raises(ValueError, match=r"optimizer.gamma changed during fit \(0.9 -> 0.5\)"):
        cls(*layers(), seed=1).fit(X, y, optimizer=opt, epochs=3, callbacks=[cb])


def test_lr_from_a_batch_callback_applies_from_the_next_epoch():
    X, y = data()
    opt = nc.SGD(lr=0.3)

    class Batch:
        def on_batch_end(self, batch, logs):
            if logs["epoch"] == 0 and batch == 1:
                opt.lr = 0.03

    h = nc.Sequential(*layers(), seed=2).fit(X, y, optimizer=opt, epochs=3, batch_size=8,
                                             callbacks=[Batch()], callback_every_batches=1,
                                             verbose=0)
    assert h.history["lr"] == [0.3, 0.03, 0.03]


def test_thread_counts_give_identical_runs_with_lr_control(restore_threads):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 40))
    y = rng.normal(size=(300, 30))
    results = []
    for threads in (1, 2, 3):
        nc.set_num_threads(threads)
        opt = nc.Adam(lr=0.01)

        def cb(epoch, logs, opt=opt):
            opt.lr *= 0.7

        m = nc.Sequential(nc.Dense(40, 64), nc.ReLU(), nc.Dense(64, 30), seed=4)
        h = m.fit(X, y, optimizer=opt, epochs=4, batch_size=64, callbacks=[cb],
                  lr_schedule=None, metrics=["mae", "r2"], validation_data=(X[:50], y[:50]),
                  verbose=0)
        results.append((m.get_flat_parameters(), h.history))
    for p, hist in results[1:]:
        assert np.array_equal(p, results[0][0])
        assert {k: v for k, v in hist.items() if k != "time"} == \
            {k: v for k, v in results[0][1].items() if k != "time"}
