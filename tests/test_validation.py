"""The bad-input matrix (docs/design.md "Input conversion and validation";
the project conventions, "Tests"): every public entry point refuses bad data with
the right exception type AND a message naming the function and the argument, accepts
everything that converts cleanly, and gives the same numbers for any memory layout.
Also the strict state dict, the layer and optimizer checks, and the private core's
own guards (it must raise, never crash).

Longer than 400 lines on purpose: one table per entry point, and docs/errors.md is generated from them together.
"""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nncore as nc
from nncore import _core

RNG = np.random.default_rng(20240601)
X5 = RNG.normal(size=(5, 2))
Y_BIN = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
LABELS = np.array([0, 1, 2, 1, 0])


def binary_model(dtype=np.float64, seed=0):
    return nc.Sequential(nc.Dense(2, 3), nc.Tanh(), nc.Dense(3, 1), nc.Sigmoid(), dtype=dtype,
                         seed=seed)


def softmax_model(dtype=np.float64, seed=0):
    return nc.Sequential(nc.Dense(2, 4), nc.Tanh(), nc.Dense(4, 3), nc.Softmax(), dtype=dtype,
                         seed=seed)


def regression_model(dtype=np.float64, seed=0):
    return nc.Sequential(nc.Dense(2, 3), nc.ReLU(), nc.Dense(3, 1), dtype=dtype, seed=seed)


# Every public entry point as call(model, X, y, loss); the name is the message prefix.
ENTRY = {
    "predict": lambda m, X, y, loss: m.predict(X),
    "forward_trace": lambda m, X, y, loss: m.forward_trace(X),
    "loss": lambda m, X, y, loss: m.loss(X, y, loss=loss),
    "loss_and_grad": lambda m, X, y, loss: m.loss_and_grad(X, y, loss=loss),
    "fit": lambda m, X, y, loss: m.fit(X, y, loss=loss, optimizer=nc.SGD(lr=0.1), epochs=2,
                                       batch_size=2, verbose=0),
    "evaluate": lambda m, X, y, loss: m.evaluate(X, y, loss=loss),
    "train_step": lambda m, X, y, loss: m.train_step(X, y, loss=loss,
                                                     optimizer=nc.SGD(lr=0.1)),
}
WITH_Y = [fn for fn in ENTRY if fn not in ("predict", "forward_trace")]


def call(fn, model, X, y=Y_BIN, loss="bce"):
    return ENTRY[fn](model, X, y, loss)


# -- X: refused ----------------------------------------------------------------------

def with_nan():
    X = X5.copy()
    X[2, 1] = np.nan
    return X


def with_inf(sign=1):
    X = X5.copy()
    X[0, 0] = sign * np.inf
    return X


BAD_X = {
    # id: (X, exception, message after "<fn>: ")
    "nan": (with_nan(), ValueError, r"X contains NaN; all values must be finite"),
    "inf": (with_inf(), ValueError, r"X contains inf; all values must be finite"),
    "-inf": (with_inf(-1), ValueError, r"X contains inf"),
    "1-D": (X5[0], ValueError, r"X must be 2-D \(n_samples, 2\), got 1-D with shape \(2,\)"),
    "3-D": (X5[None], ValueError, r"X must be 2-D \(n_samples, 2\), got 3-D with shape \(1, 5, 2\)"),
    "0-D": (np.float64(1.0), ValueError, r"X must be 2-D .*got 0-D"),
    "wrong features": (RNG.normal(size=(5, 3)), ValueError,
                       r"X has 3 features, the model expects 2"),
    "0 samples": (np.zeros((0, 2)), ValueError, r"X has 0 samples, expected at least 1"),
    "0 features": (np.zeros((5, 0)), ValueError, r"X has 0 features, the model expects 2"),
    "0x0": (np.zeros((0, 0)), ValueError, r"X has 0 samples"),
    "bool": (X5 > 0, TypeError, r"X has dtype bool, expected a real numeric dtype"),
    "object": (X5.astype(object), TypeError, r"X has dtype object, expected a real numeric"),
    "complex": (X5.astype(complex), TypeError, r"X has dtype complex128, expected a real"),
    "str": (X5.astype(str), TypeError, r"X has dtype <U\d+, expected a real numeric"),
    "bytes": (X5.astype(bytes), TypeError, r"X has dtype \|S\d+, expected a real numeric"),
    "datetime": (np.zeros((5, 2), dtype="datetime64[s]"), TypeError,
                 r"X has dtype datetime64\[s\]"),
    "None": (None, TypeError, r"X is None, expected an array"),
    "ragged list": ([[1.0, 2.0], [3.0]], TypeError, r"X could not be converted to an array"),
}


@pytest.mark.parametrize("fn", list(ENTRY))
@pytest.mark.parametrize("case", list(BAD_X))
def test_bad_X_is_refused(case, fn):
    X, exc, msg = BAD_X[case]
    model = binary_model()
    before = model.get_flat_parameters()
    y = Y_BIN if not hasattr(X, "shape") or X.ndim != 2 or X.shape[0] == 5 else \
        np.zeros(X.shape[0])
    with pytest.raises(exc, match=rf"^{fn}: {msg}"):
        call(fn, model, X, y)
    np.testing.assert_array_equal(model.get_flat_parameters(), before)  # nothing trained


@pytest.mark.parametrize("fn", list(ENTRY))
def test_X_that_overflows_float32_is_refused(fn):
    model = binary_model(np.float32)
    X = X5.copy()
    X[1, 1] = 1e39  # finite in float64, inf once converted to the model's dtype
    with pytest.raises(ValueError, match=rf"^{fn}: X has values up to 1e\+39, which overflow "
                                         r"float32 \(largest 3.4e\+38\)"):
        call(fn, model, X)  # and no RuntimeWarning (warnings are errors in the suite)


# -- y: refused ------------------------------------------------------------------------

def y_with(value):
    y = Y_BIN.copy()
    y[3] = value
    return y


BAD_Y = {
    "nan": (y_with(np.nan), "mse", ValueError, r"y contains NaN; all values must be finite"),
    "inf": (y_with(np.inf), "mse", ValueError, r"y contains inf; all values must be finite"),
    "fewer samples": (Y_BIN[:4], "bce", ValueError, r"X has 5 samples but y has 4"),
    "more samples": (np.r_[Y_BIN, 1.0], "bce", ValueError, r"X has 5 samples but y has 6"),
    "row vector": (Y_BIN[None], "bce", ValueError, r"X has 5 samples but y has 1"),
    "0-D": (np.float64(1.0), "bce", ValueError, r"y must be 1-D \(n_samples,\) or 2-D "
                                                r"\(n_samples, 1\), got shape \(\)"),
    "3-D": (Y_BIN.reshape(5, 1, 1), "bce", ValueError, r"y must be 1-D .*got shape \(5, 1, 1\)"),
    "too wide": (np.zeros((5, 2)), "bce", ValueError, r"y has shape \(5, 2\), expected \(5, 1\)"),
    "bool": (Y_BIN > 0, "bce", TypeError, r"y has dtype bool, expected a real numeric dtype"),
    "object": (Y_BIN.astype(object), "bce", TypeError, r"y has dtype object"),
    "complex": (Y_BIN.astype(complex), "bce", TypeError, r"y has dtype complex128"),
    "str": (Y_BIN.astype(str), "bce", TypeError, r"y has dtype <U\d+"),
    "None": (None, "bce", TypeError, r"y is None, expected an array"),
    "bce below 0": (y_with(-0.1), "bce", ValueError,
                    r"y for loss='bce' must lie in \[0, 1\], got values in \[-0.1, 1.0\]"),
    "bce above 1": (y_with(1.5), "bce", ValueError,
                    r"y for loss='bce' must lie in \[0, 1\], got values in \[0.0, 1.5\]"),
}


@pytest.mark.parametrize("fn", WITH_Y)
@pytest.mark.parametrize("case", list(BAD_Y))
def test_bad_y_is_refused(case, fn):
    y, loss, exc, msg = BAD_Y[case]
    model = binary_model()
    before = model.get_flat_parameters()
    with pytest.raises(exc, match=rf"^{fn}: {msg}"):
        call(fn, model, X5, y, loss)
    np.testing.assert_array_equal(model.get_flat_parameters(), before)


BAD_CE = {
    "label = n_outputs": (np.array([0, 1, 3, 1, 0]), r"y has labels in \[0, 3\], expected "
                          r"labels in \[0, 2\] for a model with 3 outputs"),
    "negative label": (np.array([0, -1, 2, 1, 0]), r"y has labels in \[-1, 2\], expected "
                       r"labels in \[0, 2\]"),
    "non-integral": (np.array([0, 1.5, 2, 1, 0]), r"y holds class labels for loss='ce' and "
                     r"must be integers \(or 2-D one-hot targets\)"),
    "nan label": (np.array([0, np.nan, 2, 1, 0]), r"y contains NaN"),
    "inf label": (np.array([0, np.inf, 2, 1, 0]), r"y contains inf"),
    "huge uint64": (np.array([0, 2**64 - 1, 2, 1, 0], dtype=np.uint64),
                    r"y has labels in .*expected labels in \[0, 2\]"),
    "one-hot above 1": (2 * np.eye(3)[LABELS], r"y for loss='ce' must lie in \[0, 1\]"),
    "one-hot below 0": (-np.eye(3)[LABELS], r"y for loss='ce' must lie in \[0, 1\]"),
    "one-hot wrong width": (np.eye(4)[LABELS], r"y has shape \(5, 4\), expected \(5, 3\)"),
}


@pytest.mark.parametrize("fn", WITH_Y)
@pytest.mark.parametrize("case", list(BAD_CE))
def test_bad_ce_targets_are_refused(case, fn):
    y, msg = BAD_CE[case]
    with pytest.raises(ValueError, match=rf"^{fn}: {msg}"):
        call(fn, softmax_model(), X5, y, "ce")


# -- loss names and loss/last-layer pairs --------------------------------------------------

@pytest.mark.parametrize("fn", WITH_Y)
@pytest.mark.parametrize("loss", ["hinge", "MSE", "cross_entropy", "", 3, ["mse"]])
def test_unknown_loss_name(fn, loss):
    with pytest.raises(ValueError, match=rf"^{fn}: loss must be one of \('mse', 'mse_mean', "
                                         rf"'bce', 'ce', 'poisson'\), got "):
        call(fn, binary_model(), X5, Y_BIN, loss)


@pytest.mark.parametrize("fn", ["loss", "loss_and_grad"])
def test_loss_none_is_not_a_default_for_loss(fn):
    with pytest.raises(ValueError, match=rf"^{fn}: loss must be one of .* got None"):
        call(fn, binary_model(), X5, Y_BIN, None)


@pytest.mark.parametrize("fn", WITH_Y)
def test_bce_needs_a_final_sigmoid(fn):
    with pytest.raises(ValueError, match=rf"^{fn}: loss='bce' needs a model whose last layer "
                                         rf"is Sigmoid \(it is 'dense'\)"):
        call(fn, nc.Sequential(nc.Dense(2, 3), nc.Tanh(), nc.Dense(3, 1)), X5, Y_BIN, "bce")
    with pytest.raises(ValueError, match=rf"^{fn}: loss='bce' needs .*\(it is 'softmax'\)"):
        call(fn, softmax_model(), X5, np.eye(3)[LABELS], "bce")


@pytest.mark.parametrize("fn", WITH_Y)
def test_ce_needs_a_final_softmax(fn):
    with pytest.raises(ValueError, match=rf"^{fn}: loss='ce' needs a model whose last layer is "
                                         rf"Softmax \(it is 'sigmoid'\)"):
        call(fn, binary_model(), X5, Y_BIN, "ce")
    with pytest.raises(ValueError, match=rf"^{fn}: loss='ce' needs .*\(it is 'identity'\)"):
        call(fn, nc.Sequential(nc.Dense(2, 3), nc.Identity()), X5, LABELS, "ce")


@pytest.mark.parametrize("fn", WITH_Y)
def test_poisson_needs_a_final_exp_and_non_negative_targets(fn):
    with pytest.raises(ValueError, match=rf"^{fn}: loss='poisson' needs a model whose last "
                                         rf"layer is Exp \(the log link; it is 'sigmoid'\)"):
        call(fn, binary_model(), X5, Y_BIN, "poisson")
    model = nc.Sequential(nc.Dense(2, 1), nc.Exp(), seed=0)
    before = model.get_flat_parameters()
    with pytest.raises(ValueError, match=rf"^{fn}: y for loss='poisson' must be >= 0 \(counts "
                                         rf"or rates\), got a minimum of -1.0"):
        call(fn, model, X5, Y_BIN - 1.0, "poisson")
    np.testing.assert_array_equal(model.get_flat_parameters(), before)


@pytest.mark.parametrize("fn", ["loss", "loss_and_grad", "fit", "evaluate", "train_step"])
@pytest.mark.parametrize("name,value,exc,msg", [
    ("l1", -1e-3, ValueError, r"l1 must be finite and >= 0, got -0.001"),
    ("l2", np.nan, ValueError, r"l2 must be finite and >= 0, got nan"),
    ("l2", np.inf, ValueError, r"l2 must be finite and >= 0, got inf"),
    ("l1", "0.1x", TypeError, r"l1 must be a real number, got '0.1x'"),
    ("l2", None, TypeError, r"l2 must be a real number, got None"),
])
def test_bad_penalty(fn, name, value, exc, msg):
    model = binary_model()
    with pytest.raises(exc, match=rf"^{fn}: {msg}"):
        if fn == "fit":
            model.fit(X5, Y_BIN, optimizer=nc.SGD(), verbose=0, **{name: value})
        elif fn == "train_step":
            model.train_step(X5, Y_BIN, optimizer=nc.SGD(), **{name: value})
        else:
            getattr(model, fn)(X5, Y_BIN, **{name: value})


# -- accepted: one sample, integer and float16 inputs, any memory layout -------------------

@pytest.mark.parametrize("fn", list(ENTRY))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_sample_works(fn, dtype):
    model = binary_model(dtype)
    out = call(fn, model, X5[:1], Y_BIN[:1])
    if fn == "predict":
        assert out.shape == (1, 1) and out.dtype == dtype
    if fn == "loss":
        assert np.isfinite(out)


def outcome(fn, dtype, X, y, loss="bce", make=binary_model):
    """What `fn` does with (X, y) on a fresh model: its result and the weights after."""
    model = make(dtype)
    out = call(fn, model, X, y, loss)
    if fn == "fit":
        out = (out.history["loss"], out.history["accuracy"])
    return out, model.get_flat_parameters()


def assert_same_outcome(a, b, rtol=0.0):
    """Same result and same weights afterwards: bitwise (rtol=0) unless told otherwise."""
    def same(x, y):
        if rtol:
            np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * np.max(np.abs(y)))
        else:
            np.testing.assert_array_equal(x, y)

    (ra, wa), (rb, wb) = a, b
    same(wa, wb)
    if isinstance(ra, tuple):  # loss_and_grad or fit
        for x, y in zip(ra, rb):
            if isinstance(x, dict):
                assert x.keys() == y.keys()
                for k in x:
                    same(x[k], y[k])
            else:
                same(x, y)
    elif isinstance(ra, dict):
        assert ra.keys() == rb.keys()
        for k in ra:
            same(ra[k], rb[k])
    elif isinstance(ra, list):
        for x, y in zip(ra, rb):
            same(x, y)
    else:
        same(ra, rb)


XI = np.array([[0, 1], [2, -1], [1, 1], [-3, 0], [2, 2]])


@pytest.mark.parametrize("fn", list(ENTRY))
@pytest.mark.parametrize("xdtype", [np.int8, np.int16, np.int32, np.int64, np.uint8,
                                    np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                                    np.longdouble])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numeric_dtypes_are_converted(fn, xdtype, dtype):
    """int/uint/float16/float32/longdouble X and y act exactly like their float conversion."""
    X = np.abs(XI) if np.dtype(xdtype).kind == "u" else XI
    X = X.astype(xdtype)
    y = Y_BIN.astype(xdtype)
    expected = outcome(fn, dtype, X.astype(np.float64).astype(dtype),
                       y.astype(np.float64).astype(dtype))
    assert_same_outcome(outcome(fn, dtype, X, y), expected)
    assert_same_outcome(outcome(fn, dtype, X.tolist(), y.tolist()), expected)  # nested lists


@pytest.mark.parametrize("fn", list(ENTRY))
@pytest.mark.parametrize("xdtype,ydtype", [(np.int32, np.float32), (np.float32, np.int64),
                                           (np.uint8, np.float16), (">f4", "<f8")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mixed_dtypes_for_X_and_y(fn, xdtype, ydtype, dtype):
    X, y = np.abs(XI).astype(xdtype), Y_BIN.astype(ydtype)
    expected = outcome(fn, dtype, X.astype(np.float64).astype(dtype),
                       y.astype(np.float64).astype(dtype))
    assert_same_outcome(outcome(fn, dtype, X, y), expected)


@pytest.mark.parametrize("fn", WITH_Y)
@pytest.mark.parametrize("ldtype", [np.int8, np.int32, np.uint8, np.uint64, np.float32,
                                    np.float64, ">i8", "<i2"])
def test_ce_labels_any_integer_or_integral_float_dtype(fn, ldtype):
    expected = outcome(fn, np.float64, X5, LABELS.astype(np.int64), "ce", softmax_model)
    assert_same_outcome(outcome(fn, np.float64, X5, LABELS.astype(ldtype), "ce",
                                softmax_model), expected)
    # one-hot rows are the same targets (δ is formed differently: equal up to rounding)
    onehot = np.eye(3)[LABELS]
    assert_same_outcome(outcome(fn, np.float64, X5, onehot, "ce", softmax_model), expected,
                        rtol=1e-13)


def layouts(A):
    """Equal-valued versions of A in unusual memory layouts."""
    big = A.astype(A.dtype.newbyteorder(">"))
    wide = np.zeros((A.shape[0] * 2,) + A.shape[1:], dtype=A.dtype)
    wide[::2] = A
    ro = A.copy()
    ro.setflags(write=False)
    out = {"big-endian": big, "row slice": wide[::2], "read-only": ro,
           "negative stride": A[::-1].copy()[::-1],
           "read-only view": np.lib.stride_tricks.as_strided(ro, shape=A.shape,
                                                             strides=ro.strides,
                                                             writeable=False)}
    if A.ndim == 2:
        cols = np.zeros((A.shape[0], A.shape[1] * 3), dtype=A.dtype)
        cols[:, ::3] = A
        out["column slice"] = cols[:, ::3]
        out[".T"] = np.ascontiguousarray(A.T).T
        out["Fortran"] = np.asfortranarray(A)
        out["big-endian Fortran"] = np.asfortranarray(big)
    return out


@pytest.mark.parametrize("fn", list(ENTRY))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_memory_layouts_give_the_same_results(fn, dtype):
    X = RNG.normal(size=(6, 2))
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    expected = outcome(fn, dtype, X, y)
    for name, Xv in layouts(X).items():
        assert_same_outcome(outcome(fn, dtype, Xv, y), expected)
    for name, yv in layouts(y).items():
        assert_same_outcome(outcome(fn, dtype, X, yv), expected)
    # in the model's own dtype, too (no conversion needed, layout still fixed)
    for name, Xv in layouts(X.astype(dtype)).items():
        assert_same_outcome(outcome(fn, dtype, Xv, y), outcome(fn, dtype, X.astype(dtype), y))


@pytest.mark.parametrize("fn", ["fit", "train_step", "loss_and_grad"])
def test_inputs_are_never_written(fn):
    X, y = X5.copy(), Y_BIN.copy()
    X.setflags(write=False)
    y.setflags(write=False)
    call(fn, binary_model(), X, y)
    np.testing.assert_array_equal(X, X5)
    np.testing.assert_array_equal(y, Y_BIN)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 6), d=st.integers(0, 5))
def test_any_2d_shape_either_works_or_names_the_problem(n, d):
    model = nc.Sequential(nc.Dense(3, 2), nc.Tanh(), nc.Dense(2, 1))
    X = np.ones((n, d))
    if n >= 1 and d == 3:
        assert model.predict(X).shape == (n, 1)
        assert np.isfinite(model.loss(X, np.zeros(n)))
    elif n == 0:
        with pytest.raises(ValueError, match=r"^predict: X has 0 samples"):
            model.predict(X)
    else:
        with pytest.raises(ValueError, match=rf"^predict: X has {d} features, the model "
                                             r"expects 3"):
            model.predict(X)


# -- layers without gradient -------------------------------------------------------

@pytest.mark.parametrize("fn", ["loss_and_grad", "fit", "train_step"])
def test_step_layer_refuses_training_and_names_the_layer(fn):
    model = nc.Sequential(nc.Dense(2, 2), nc.Step(), nc.Dense(2, 1), nc.Sigmoid())
    with pytest.raises(ValueError, match=rf"^{fn}: layer 1 \(Step\(\)\) has no gradient; it can "
                                         r"be used for prediction only"):
        call(fn, model, X5, Y_BIN)
    model.predict(X5)  # forward works
    assert np.isfinite(model.loss(X5, Y_BIN, loss="bce"))
    assert set(model.evaluate(X5, Y_BIN)) == {"loss", "accuracy"}


# -- state dicts ---------------------------------------------------------------------

def model_sd():
    model = nc.Sequential(nc.Dense(2, 3), nc.PReLU(3), nc.Dense(3, 1), seed=1)
    return model, model.state_dict()


BAD_SD = {
    "missing key": (lambda sd: {k: v for k, v in sd.items() if k != "0.b"}, ValueError,
                    r"load_state_dict: state_dict keys do not match the model: "
                    r"missing \['0.b'\], unexpected \[\]"),
    "extra key": (lambda sd: {**sd, "9.W": np.zeros(1)}, ValueError,
                  r"missing \[\], unexpected \['9.W'\]"),
    "renamed key": (lambda sd: {("0.w" if k == "0.W" else k): v for k, v in sd.items()},
                    ValueError, r"missing \['0.W'\], unexpected \['0.w'\]"),
    "empty": (lambda sd: {}, ValueError, r"missing \['0.W', '0.b', '1.alpha', '2.W', '2.b'\]"),
    "transposed W": (lambda sd: {**sd, "0.W": sd["0.W"].T}, ValueError,
                     r"load_state_dict: state_dict\['0.W'\] has shape \(3, 2\), expected "
                     r"\(2, 3\)"),
    "flat W": (lambda sd: {**sd, "0.W": sd["0.W"].ravel()}, ValueError,
               r"state_dict\['0.W'\] has shape \(6,\), expected \(2, 3\)"),
    "scalar b": (lambda sd: {**sd, "2.b": 0.5}, ValueError,
                 r"state_dict\['2.b'\] has shape \(\), expected \(1,\)"),
    "alpha shape": (lambda sd: {**sd, "1.alpha": np.ones(1)}, ValueError,
                    r"state_dict\['1.alpha'\] has shape \(1,\), expected \(3,\)"),
    "nan": (lambda sd: {**sd, "2.W": np.full((3, 1), np.nan)}, ValueError,
            r"load_state_dict: state_dict\['2.W'\] contains NaN or inf"),
    "inf": (lambda sd: {**sd, "0.b": np.array([0.0, -np.inf, 0.0])}, ValueError,
            r"state_dict\['0.b'\] contains NaN or inf"),
    "bool": (lambda sd: {**sd, "0.W": np.ones((2, 3), dtype=bool)}, TypeError,
             r"load_state_dict: state_dict\['0.W'\] has dtype bool, expected a real numeric"),
    "complex": (lambda sd: {**sd, "0.W": sd["0.W"].astype(complex)}, TypeError,
                r"state_dict\['0.W'\] has dtype complex128"),
    "None value": (lambda sd: {**sd, "2.b": None}, TypeError,
                   r"state_dict\['2.b'\] has dtype object"),
    "not a dict": (lambda sd: list(sd.items()), TypeError,
                   r"load_state_dict: state_dict must be a dict \{name: array\}, got list"),
}


@pytest.mark.parametrize("case", list(BAD_SD))
def test_bad_state_dict_is_refused_and_changes_nothing(case):
    make, exc, msg = BAD_SD[case]
    model, sd = model_sd()
    before = model.get_flat_parameters()
    # every valid entry is changed, so a partial load would show
    changed = {k: v + 1.0 for k, v in sd.items()}
    with pytest.raises(exc, match=msg):
        model.load_state_dict(make(changed))
    np.testing.assert_array_equal(model.get_flat_parameters(), before)


def test_failed_load_after_valid_keys_leaves_weights_unchanged():
    model, sd = model_sd()
    before = model.predict(X5)
    bad = {name: np.full_like(v, 7.0) for name, v in sd.items()}
    bad["2.b"] = np.array([np.nan])  # the LAST parameter in arena order is the bad one
    with pytest.raises(ValueError, match=r"state_dict\['2.b'\] contains NaN or inf"):
        model.load_state_dict(bad)
    np.testing.assert_array_equal(model.predict(X5), before)
    np.testing.assert_array_equal(model.get_flat_parameters(),
                                  np.concatenate([v.ravel() for v in sd.values()]))


def test_state_dict_accepts_lists_ints_and_other_float_dtypes():
    model, sd = model_sd()
    loose = {"0.W": sd["0.W"].tolist(), "0.b": np.array([1, 2, 3]),
             "1.alpha": sd["1.alpha"].astype(np.float32), "2.W": sd["2.W"].astype(">f8"),
             "2.b": np.asfortranarray(sd["2.b"])}
    model.load_state_dict(loose)
    got = model.state_dict()
    np.testing.assert_array_equal(got["0.b"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(got["0.W"], sd["0.W"])
    np.testing.assert_array_equal(got["2.W"], sd["2.W"])
    np.testing.assert_array_equal(got["1.alpha"], sd["1.alpha"].astype(np.float32))


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_state_dict_values_that_overflow_float32_are_refused():
    model = nc.Sequential(nc.Dense(2, 3), nc.Tanh(), nc.Dense(3, 1), dtype=np.float32)
    sd = model.state_dict()
    before = model.get_flat_parameters()
    sd["0.b"] = np.array([1e39, 0.0, 0.0])
    try:
        with pytest.raises(ValueError, match=r"load_state_dict: state_dict\['0.b'\]"):
            model.load_state_dict(sd)
    finally:
        ok = np.array_equal(model.get_flat_parameters(), before)
    assert ok, f"weights changed to {model.state_dict()['0.b']}"


# -- building a Sequential --------------------------------------------------------------

BAD_MODELS = {
    "no layers": (lambda: nc.Sequential(), ValueError, r"^Sequential: needs at least one layer"),
    "empty list": (lambda: nc.Sequential([]), ValueError, r"^Sequential: needs at least one"),
    "activation first": (lambda: nc.Sequential(nc.Tanh(), nc.Dense(2, 1)), ValueError,
                         r"^Sequential: the first layer must be Dense or Maxout \(it fixes "
                         r"the number of input features\)"),
    "Softmax alone": (lambda: nc.Sequential(nc.Softmax()), ValueError,
                      r"^Sequential: the first layer must be Dense or Maxout"),
    "Step first": (lambda: nc.Sequential(nc.Step(), nc.Dense(2, 1)), ValueError,
                   r"^Sequential: the first layer must be Dense or Maxout"),
    "Softmax not last": (lambda: nc.Sequential(nc.Dense(2, 3), nc.Softmax(), nc.Dense(3, 1)),
                         ValueError,
                         r"^Sequential: Softmax may only be the last layer \(it is layer 1\)"),
    "two Softmax": (lambda: nc.Sequential(nc.Dense(2, 3), nc.Softmax(), nc.Softmax()),
                    ValueError, r"Softmax may only be the last layer \(it is layer 1\)"),
    "Dense width mismatch": (lambda: nc.Sequential(nc.Dense(2, 3), nc.Tanh(), nc.Dense(4, 1)),
                             ValueError,
                             r"^Dense\(4, 1\) receives 3 features from the previous layer"),
    "Maxout width mismatch": (lambda: nc.Sequential(nc.Dense(2, 3), nc.Maxout(2, 1)),
                              ValueError, r"^Maxout\(2, 1\) receives 3 features"),
    "PReLU num_parameters": (lambda: nc.Sequential(nc.Dense(2, 3), nc.PReLU(4)), ValueError,
                             r"^PReLU: num_parameters must be 1 or the layer width 3, got 4"),
    "not a layer": (lambda: nc.Sequential(nc.Dense(2, 3), "tanh"), TypeError,
                    r"^Sequential: layer 1 is 'tanh', expected an nncore layer"),
    "layer class": (lambda: nc.Sequential(nc.Dense(2, 3), nc.Tanh), TypeError,
                    r"^Sequential: layer 1 is <class 'nncore.layers.Tanh'>"),
    "dtype int": (lambda: nc.Sequential(nc.Dense(2, 1), dtype=np.int32), ValueError,
                  r"^dtype must be np.float32 or np.float64, got int32"),
    "dtype float16": (lambda: nc.Sequential(nc.Dense(2, 1), dtype=np.float16), ValueError,
                      r"^dtype must be np.float32 or np.float64, got float16"),
    "dtype nonsense": (lambda: nc.Sequential(nc.Dense(2, 1), dtype="banana"), TypeError,
                       r"^dtype must be np.float32 or np.float64, got 'banana'"),
    "negative seed": (lambda: nc.Sequential(nc.Dense(2, 1), seed=-1), ValueError,
                      r"^Sequential: seed must be None or a non-negative integer, got -1"),
    "float seed": (lambda: nc.Sequential(nc.Dense(2, 1), seed=1.5), ValueError,
                   r"^Sequential: seed must be None or a non-negative integer, got 1.5"),
    "bool seed": (lambda: nc.Sequential(nc.Dense(2, 1), seed=True), ValueError,
                  r"^Sequential: seed must be None or a non-negative integer, got True"),
    "unknown init": (lambda: nc.Sequential(nc.Dense(2, 3, init="bogus")), ValueError,
                     r"^Dense\(2, 3\): init: unknown initialiser 'bogus'; use a callable or "
                     r"one of \["),
    "init wrong shape": (lambda: nc.Sequential(nc.Dense(2, 3, init=lambda s, i, o, r: np.ones(3))),
                         ValueError, r"^Dense\(2, 3\): initialiser returned shape \(3,\), "
                                     r"expected \(2, 3\)"),
    "Dense 0 in": (lambda: nc.Dense(0, 3), ValueError,
                   r"^Dense: in_features must be a positive integer, got 0"),
    "Dense float out": (lambda: nc.Dense(2, 3.0), ValueError,
                        r"^Dense: out_features must be a positive integer, got 3.0"),
    "Dense bias=0": (lambda: nc.Dense(2, 3, bias=0), TypeError,
                     r"^Dense: bias must be True or False, got 0"),
    "Dense bias='no'": (lambda: nc.Dense(2, 3, bias="no"), TypeError,
                        r"^Dense: bias must be True or False, got 'no'"),
    "Maxout k=0": (lambda: nc.Maxout(2, 3, k=0), ValueError,
                   r"^Maxout: k must be a positive integer, got 0"),
    "PReLU 0": (lambda: nc.PReLU(0), ValueError,
                r"^PReLU: num_parameters must be a positive integer, got 0"),
    "PReLU nan init": (lambda: nc.PReLU(init=np.nan), ValueError,
                       r"^PReLU: init must be finite, got nan"),
    "LeakyReLU nan": (lambda: nc.LeakyReLU(np.nan), ValueError,
                      r"^LeakyReLU: slope must be finite, got nan"),
    "LeakyReLU str": (lambda: nc.LeakyReLU("a"), TypeError,
                      r"^LeakyReLU: slope must be a real number, got 'a'"),
    "ELU inf": (lambda: nc.ELU(np.inf), ValueError, r"^ELU: alpha must be finite, got inf"),
    "Dropout p=1": (lambda: nc.Dropout(1), ValueError,
                    r"^Dropout: p \(the probability of dropping a unit\) must be in \[0, 1\), "
                    r"got 1$"),
    "Dropout p str": (lambda: nc.Dropout("0.5"), TypeError,
                      r"^Dropout: p must be a real number, got '0.5'"),
    "Dropout first": (lambda: nc.Sequential(nc.Dropout(0.5), nc.Dense(2, 1)), ValueError,
                      r"^Sequential: the first layer must be Dense or Maxout"),
}


@pytest.mark.parametrize("case", list(BAD_MODELS))
def test_bad_model_construction(case):
    make, exc, msg = BAD_MODELS[case]
    with pytest.raises(exc, match=msg):
        make()


def test_good_constructions():
    assert nc.Sequential([nc.Dense(2, 3), nc.Tanh()]).num_parameters == 9  # a list works
    assert nc.Sequential(nc.Dense(2, 3), nc.PReLU(3), dtype="float32").dtype == np.float32
    assert nc.Sequential(nc.Dense(2, 3), seed=np.int64(3)).seed == 3


# -- optimizer hyperparameters and fit/train_step arguments -------------------------------

BAD_OPTIMIZERS = {
    "Adam lr=-1": (lambda: nc.Adam(lr=-1), ValueError, r"^Adam: lr must be > 0, got -1"),
    "Adam lr=0": (lambda: nc.Adam(lr=0), ValueError, r"^Adam: lr must be > 0, got 0"),
    "Adam beta1=1": (lambda: nc.Adam(beta1=1.0), ValueError,
                     r"^Adam: beta1 must be in \[0, 1\), got 1.0"),
    "Adam beta2=1.5": (lambda: nc.Adam(beta2=1.5), ValueError,
                       r"^Adam: beta2 must be in \[0, 1\), got 1.5"),
    "Adam eps=0": (lambda: nc.Adam(eps=0.0), ValueError, r"^Adam: eps must be > 0, got 0.0"),
    "Adam weight_decay<0": (lambda: nc.Adam(weight_decay=-1), ValueError,
                            r"^Adam: weight_decay must be >= 0, got -1"),
    "Momentum gamma=1": (lambda: nc.Momentum(gamma=1.0), ValueError,
                         r"^Momentum: gamma must be in \[0, 1\), got 1.0"),
    "Momentum gamma<0": (lambda: nc.Momentum(gamma=-0.1), ValueError,
                         r"^Momentum: gamma must be in \[0, 1\), got -0.1"),
    "Momentum form": (lambda: nc.Momentum(form="heavy"), ValueError,
                      r"^Momentum: form must be one of \('ema', 'classic', 'nesterov'\), "
                      r"got 'heavy'"),
    "RMSprop eps=0": (lambda: nc.RMSprop(eps=0), ValueError, r"^RMSprop: eps must be > 0"),
    "RMSprop gamma=1": (lambda: nc.RMSprop(gamma=1), ValueError,
                        r"^RMSprop: gamma must be in \[0, 1\)"),
    "RMSprop eps_inside str": (lambda: nc.RMSprop(eps_inside="yes"), TypeError,
                               r"^RMSprop: eps_inside must be True or False, got 'yes'"),
    "SGD lr nan": (lambda: nc.SGD(lr=np.nan), ValueError, r"^SGD: lr must be finite, got nan"),
    "SGD lr inf": (lambda: nc.SGD(lr=np.inf), ValueError, r"^SGD: lr must be finite, got inf"),
    "SGD lr str": (lambda: nc.SGD(lr="0.1"), TypeError,
                   r"^SGD: lr must be a real number, got '0.1'"),
    "SGD lr bool": (lambda: nc.SGD(lr=True), TypeError,
                    r"^SGD: lr must be a real number, got True"),
}


@pytest.mark.parametrize("case", list(BAD_OPTIMIZERS))
def test_bad_optimizer_hyperparameters(case):
    make, exc, msg = BAD_OPTIMIZERS[case]
    with pytest.raises(exc, match=msg):
        make()


BAD_FIT_ARGS = {
    "optimizer str": ({"optimizer": "adam"}, TypeError,
                      r"^fit: optimizer must be an optimizer such as nncore.SGD\(lr=0.1\) or "
                      r"nncore.Adam\(\), got 'adam'"),
    "epochs 0": ({"epochs": 0}, ValueError, r"^fit: epochs must be a positive integer, got 0"),
    "batch_size 0": ({"batch_size": 0}, ValueError,
                     r"^fit: batch_size must be a positive integer, got 0"),
    "shuffle str": ({"shuffle": "yes"}, TypeError,
                    r"^fit: shuffle must be True or False, got 'yes'"),
    "seed -1": ({"seed": -1}, ValueError,
                r"^fit: seed must be None or a non-negative integer, got -1"),
    "validation_split 1.5": ({"validation_split": 1.5}, ValueError,
                             r"^fit: validation_split must be in \(0, 1\), got 1.5"),
    "clip_norm -1": ({"clip_norm": -1}, ValueError,
                     r"^fit: clip_norm must be > 0, got -1"),
    "lr_schedule str": ({"lr_schedule": "step"}, TypeError,
                        r"^fit: lr_schedule must be None, a schedule"),
    "early_stopping str": ({"early_stopping": "x"}, TypeError,
                           r"^fit: early_stopping must be None, an int patience or "
                           r"nncore.EarlyStopping"),
    "callback": ({"callbacks": [1]}, TypeError,
                 r"^fit: callback 1 is neither callable nor has on_epoch_end"),
    "validation_data single": ({"validation_data": (X5,)}, TypeError,
                               r"^fit: validation_data must be a pair \(X_val, y_val\)"),
    "validation_data nan": ({"validation_data": (with_nan(), Y_BIN)}, ValueError,
                            r"^fit: validation_data: X contains NaN"),
    "validation_data features": ({"validation_data": (np.ones((5, 3)), Y_BIN)}, ValueError,
                                 r"^fit: validation_data: X has 3 features, the model "
                                 r"expects 2"),
    "validation_data labels": ({"validation_data": (X5, Y_BIN[:3])}, ValueError,
                               r"^fit: validation_data: X has 5 samples but y has 3"),
}


@pytest.mark.parametrize("case", list(BAD_FIT_ARGS))
def test_bad_fit_arguments(case):
    kwargs, exc, msg = BAD_FIT_ARGS[case]
    kwargs = {"optimizer": nc.SGD(), "verbose": 0, **kwargs}
    model = binary_model()
    before = model.get_flat_parameters()
    with pytest.raises(exc, match=msg):
        model.fit(X5, Y_BIN, **kwargs)
    np.testing.assert_array_equal(model.get_flat_parameters(), before)


@pytest.mark.parametrize("kwargs,exc,msg", [
    ({"optimizer": "sgd"}, TypeError, r"^train_step: optimizer must be an optimizer"),
    ({"lr": -1}, ValueError, r"^train_step: lr must be > 0, got -1"),
    ({"lr": np.nan}, ValueError, r"^train_step: lr must be finite, got nan"),
    ({"clip_norm": 0}, ValueError, r"^train_step: clip_norm must be > 0, got 0"),
])
def test_bad_train_step_arguments(kwargs, exc, msg):
    model = binary_model()
    before = model.get_flat_parameters()
    with pytest.raises(exc, match=msg):
        model.train_step(X5, Y_BIN, **{"optimizer": nc.SGD(), **kwargs})
    np.testing.assert_array_equal(model.get_flat_parameters(), before)


def test_bad_thread_counts():
    for n in (0, -1, 2.0, True, "2"):
        with pytest.raises(ValueError, match=r"^set_num_threads: n must be a positive integer"):
            nc.set_num_threads(n)


# -- the private core: wrong shapes raise, never crash -------------------------------------

K, S, L = _core.LayerKind, _core.LayerSpec, _core.LossKind


def dense(n_in, n_out):
    return S(K.dense, in_features=n_in, out_features=n_out)


def core_net(cls=_core.Network64):
    """Dense(3, 4) → Tanh → Dense(4, 2), as the Python layer builds it."""
    return cls([dense(3, 4), S(K.tanh), dense(4, 2)])


def _lag(net, X, Y=None, labels=None, loss=L.mse):
    return net.loss_and_grad(X, Y, labels, loss, 0.0, 0.0, True)


CORE_BAD_CALLS = {
    "predict X features": (lambda n: n.predict(np.zeros((5, 4)), np.zeros((5, 2))), ValueError,
                           r"predict: X: expected shape \(5, 3\)"),
    "predict X 1-D": (lambda n: n.predict(np.zeros(3), np.zeros((1, 2))), ValueError,
                      r"predict: X: expected shape"),
    "predict X 0-D": (lambda n: n.predict(np.zeros(()), np.zeros((1, 2))), ValueError,
                      r"predict: X: expected shape"),
    "predict X 3-D": (lambda n: n.predict(np.zeros((1, 5, 3)), np.zeros((5, 2))), ValueError,
                      r"predict: X: expected shape"),
    "predict out rows": (lambda n: n.predict(np.zeros((5, 3)), np.zeros((4, 2))), ValueError,
                         r"predict: out: expected shape \(5, 2\)"),
    "predict out 1-D": (lambda n: n.predict(np.zeros((5, 3)), np.zeros(10)), ValueError,
                        r"predict: out: expected shape \(5, 2\)"),
    "predict float32 X": (lambda n: n.predict(np.zeros((5, 3), np.float32), np.zeros((5, 2))),
                          TypeError, r"incompatible function arguments"),
    "predict strided X": (lambda n: n.predict(np.zeros((5, 6))[:, ::2], np.zeros((5, 2))),
                          TypeError, r"incompatible function arguments"),
    "predict read-only out": (lambda n: n.predict(np.zeros((5, 3)),
                                                  np.broadcast_to(np.zeros(2), (5, 2))),
                              TypeError, r"incompatible function arguments"),
    "predict None": (lambda n: n.predict(None, np.zeros((5, 2))), TypeError,
                     r"incompatible function arguments"),
    "trace X features": (lambda n: n.trace(np.zeros((5, 4))), ValueError,
                         r"trace: X: expected shape \(5, 3\)"),
    "trace X 1-D": (lambda n: n.trace(np.zeros(3)), ValueError, r"trace: X: expected shape"),
    "loss_and_grad X": (lambda n: _lag(n, np.zeros((5, 2)), np.zeros((5, 2))), ValueError,
                        r"loss_and_grad: X: expected shape \(5, 3\)"),
    "loss_and_grad 0 rows": (lambda n: _lag(n, np.zeros((0, 3)), np.zeros((0, 2))), ValueError,
                             r"loss_and_grad: X has no rows"),
    "loss_and_grad Y shape": (lambda n: _lag(n, np.zeros((5, 3)), np.zeros((5, 3))),
                              ValueError, r"loss_and_grad: Y: expected shape \(5, 2\)"),
    "loss_and_grad Y 1-D": (lambda n: _lag(n, np.zeros((5, 3)), np.zeros(5)), ValueError,
                            r"loss_and_grad: Y: expected shape \(5, 2\)"),
    "loss_and_grad no targets": (lambda n: _lag(n, np.zeros((5, 3))), ValueError,
                                 r"loss_and_grad: needs Y or labels"),
    "loss_and_grad labels for mse": (lambda n: _lag(n, np.zeros((5, 3)),
                                                    labels=np.zeros(5, np.int64)),
                                     ValueError, r"loss_and_grad: labels need loss 'ce'"),
    "loss_and_grad labels shape": (lambda n: _lag(n, np.zeros((5, 3)),
                                                  labels=np.zeros(4, np.int64), loss=L.ce),
                                   ValueError, r"loss_and_grad: labels must have shape"),
    "loss_and_grad labels int32": (lambda n: _lag(n, np.zeros((5, 3)),
                                                  labels=np.zeros(5, np.int32), loss=L.ce),
                                   TypeError, r"incompatible function arguments"),
    "loss_and_grad label range": (lambda n: _lag(n, np.zeros((5, 3)),
                                                 labels=np.full(5, 2, np.int64), loss=L.ce),
                                  ValueError, r"loss_and_grad: label out of range"),
    "loss_and_grad loss code": (lambda n: _lag(n, np.zeros((5, 3)), np.zeros((5, 2)), loss=L(9)),
                                ValueError, r"loss_and_grad: unknown loss code"),
    "loss_and_grad bce without Sigmoid": (lambda n: _lag(n, np.zeros((5, 3)),
                                                         np.zeros((5, 2)), loss=L.bce),
                                          ValueError, r"bce needs a final Sigmoid"),
    "evaluate X": (lambda n: _core.evaluate(n, np.zeros((5, 4)), np.zeros((5, 2)), None,
                                            L.mse, 0.0, 0.0),
                   ValueError, r"evaluate: X must have shape \(n >= 1, 3\)"),
    "train_step Y": (lambda n: _core.train_step(n, np.zeros((5, 3)), np.zeros((5, 3)), None,
                                                _core.FitConfig(), _core.OptimizerConfig(),
                                                None, None, 0, 0.1),
                     ValueError, r"train_step: Y must have shape \(n, n_out\)"),
}


@pytest.mark.parametrize("case", list(CORE_BAD_CALLS))
def test_private_core_refuses_wrong_shapes(case):
    f, exc, msg = CORE_BAD_CALLS[case]
    net = core_net()
    with pytest.raises(exc, match=msg):
        f(net)


@pytest.mark.parametrize("specs,msg", [
    ([], r"Network: needs at least one layer"),
    ([S(K(99), 3, 4)], r"Network: unknown layer kind 99"),
    ([S(K(-1), 3, 4)], r"Network: unknown layer kind -1"),
    ([S(K.tanh, 3, 3)], r"Network: the first layer must be Dense or Maxout"),
    ([dense(3, 4), dense(5, 2)], r"layer 1 \(Dense\) has inconsistent widths"),
    ([dense(0, 4)], r"layer 0 \(Dense\) has inconsistent widths"),
    ([S(K.maxout, 3, 4, k=0)], r"layer 0 \(Maxout\) has inconsistent widths"),
    ([dense(3, 4), S(K.prelu, n_alpha=3)], r"PReLU needs 1 or width parameters"),
    ([dense(3, 4), S(K.softmax), dense(4, 2)],
     r"Softmax may only be the last layer"),
])
@pytest.mark.parametrize("cls", [_core.Network64, _core.Network32], ids=["64", "32"])
def test_private_core_refuses_bad_layer_specs(specs, msg, cls):
    with pytest.raises(ValueError, match=msg):
        cls(specs)


def test_private_core_zero_rows_predict_and_trace_are_harmless():
    net = core_net()
    net.predict(np.zeros((0, 3)), np.zeros((0, 2)))
    assert [a.shape for a in net.trace(np.zeros((0, 3)))] == [(0, 4), (0, 4), (0, 2)]


def run_isolated(code):
    """Run `code` in a fresh interpreter (a crash must not take pytest down)."""
    prelude = textwrap.dedent("""
        import numpy as np
        from nncore import _core
        K, S = _core.LayerKind, _core.LayerSpec
        net = _core.Network64([S(K.dense, 3, 4), S(K.tanh), S(K.dense, 4, 2)])
        X = np.zeros((5, 3)); labels = np.zeros(5, np.int64)
    """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=60)


CORE_LABEL_MISUSE = {
    "evaluate": "_core.evaluate(net, X, None, labels, _core.LossKind.mse, 0.0, 0.0)",
    "train_step": "_core.train_step(net, X, None, labels, _core.FitConfig(), "
                  "_core.OptimizerConfig(), None, None, 0, 0.1)",
    "fit": "_core.fit(net, X, None, labels, None, None, None, _core.FitConfig(), "
           "_core.OptimizerConfig(), None, None, 0, None, False)",
}


@pytest.mark.parametrize("fn", list(CORE_LABEL_MISUSE))
def test_private_core_labels_with_mse_raise_instead_of_crashing(fn):
    code = f"""
        try:
            {CORE_LABEL_MISUSE[fn]}
        except (ValueError, TypeError) as e:
            print("raised", type(e).__name__, e)
    """
    proc = run_isolated(code)
    assert proc.returncode == 0, f"exit code {proc.returncode}: {proc.stderr[-500:]}"
    assert proc.stdout.startswith("raised")


def test_private_core_evaluate_validates_the_loss_code():
    net = core_net()
    with pytest.raises(ValueError, match=r"unknown loss code"):
        _core.evaluate(net, np.zeros((5, 3)), np.zeros((5, 2)), None, L(9), 0.0, 0.0)


def _config(cls, **fields):
    c = cls()
    for name, value in fields.items():
        setattr(c, name, value)
    return c


@pytest.mark.parametrize("opt,cfg,msg", [
    (dict(kind=_core.OptimizerKind(9)), {}, r"unknown optimizer kind or momentum form"),
    (dict(form=_core.MomentumForm(-1)), {}, r"unknown optimizer kind or momentum form"),
    ({}, dict(schedule=_config(_core.ScheduleConfig, kind=_core.ScheduleKind(7))),
     r"fit: unknown schedule kind"),
])
def test_private_core_refuses_unknown_codes_in_configs(opt, cfg, msg):
    net = core_net()
    with pytest.raises(ValueError, match=msg):
        _core.fit(net, np.zeros((5, 3)), np.zeros((5, 2)), None, None, None, None,
                  _config(_core.FitConfig, **cfg), _config(_core.OptimizerConfig, **opt),
                  None, None, 0, None, False)
