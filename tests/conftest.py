"""Shared test helpers: tolerances, random data, twin models (nncore + nncore.reference).

Tolerances (docs/design.md; the project conventions, "Tests") come from ONE place,
`tolerance()`:

* float64 core vs float64 reference: rtol 1e-12. Documented exceptions, up to
  1e-10, where the summation order differs by design (pass ``reordered=True``);
  none of the current tests needs one — measured errors are ~1e-15.
* float32 core vs the float64 reference (same rounded weights and inputs):
  rtol 1e-5 plus an atol of ``eps32 · n_reduce · scale``, where ``n_reduce`` is the
  longest sum behind a value (batch rows for ∂W, fan-in for a pre-activation) and
  ``scale`` is max|expected| of the array — the classical γₙ bound of a float32 sum.

Both use an absolute floor relative to the array's own scale, so elements that are
small because of cancellation are judged against the size of the array, not themselves.
`max_rel_err` is that normwise error, max|a − e| / max|e|; tests record it with
`record_error` and the largest values per component are printed at the end of the run.
"""
from __future__ import annotations

import os
import sys
import zlib

import numpy as np
import pytest

# The thread tests must run real teams even while other jobs load the machine
# (the pool would otherwise shrink its team to the free cores; test_scaling
# checks that path on its own).
os.environ.setdefault("NNCORE_BUSY_CHECK", "0")


class _HideCompiledCore:
    """With NNCORE_HIDE_CORE=1 the compiled core cannot be imported, as on a machine
    where it was never built (CI runs the reference's tests so: it must stand alone)."""

    def find_spec(self, name, path=None, target=None):
        if name == "nncore._core":
            raise ImportError("nncore._core hidden by NNCORE_HIDE_CORE", name=name)
        return None


if os.environ.get("NNCORE_HIDE_CORE"):
    sys.meta_path.insert(0, _HideCompiledCore())

import nncore as nc  # noqa: E402
import nncore.reference as ref  # noqa: E402

F64_RTOL = 1e-12
F64_RTOL_REORDERED = 1e-10  # documented exceptions: a different summation order
F32_RTOL = 1e-5
EPS32 = float(np.finfo(np.float32).eps)

# -- tolerances -------------------------------------------------------------------


def tolerance(dtype, scale, n_reduce=1, reordered=False):
    """(rtol, atol) for comparing a `dtype` core result with the float64 reference."""
    scale = float(scale)
    tiny = float(np.finfo(dtype).tiny)  # results that are 0 in one and subnormal in the other
    if np.dtype(dtype) == np.float64:
        rtol = F64_RTOL_REORDERED if reordered else F64_RTOL
        return rtol, max(rtol * scale, tiny)
    return F32_RTOL, max(EPS32 * max(int(n_reduce), 1) * scale, tiny)


def max_rel_err(actual, expected):
    """Normwise relative error max|a − e| / max|e| (0 when both are all zero)."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    diff = float(np.max(np.abs(a - e), initial=0.0))
    scale = float(np.max(np.abs(e), initial=0.0))
    if scale == 0.0:
        return diff
    return diff / scale


_ERRORS: dict = {}


def record_error(component, dtype, err):
    """Keep the largest measured error per (component, dtype) for the summary."""
    key = (component, np.dtype(dtype).name)
    _ERRORS[key] = max(_ERRORS.get(key, 0.0), float(err))


def assert_close(actual, expected, dtype=np.float64, n_reduce=1, reordered=False,
                 component=None, what=""):
    """Compare a core result with the reference under `tolerance()`; record the error."""
    actual = np.asarray(actual)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert np.all(np.isfinite(actual)), f"{what}: non-finite values"
    scale = float(np.max(np.abs(expected), initial=0.0))
    rtol, atol = tolerance(dtype, scale, n_reduce, reordered)
    if component is not None:
        record_error(component, dtype, max_rel_err(actual, expected))
    np.testing.assert_allclose(actual.astype(np.float64), expected, rtol=rtol, atol=atol,
                               err_msg=what)


def pytest_terminal_summary(terminalreporter):
    if not _ERRORS:
        return
    tr = terminalreporter
    tr.section("nncore vs nncore.reference: max normwise relative error")
    comps = sorted({c for c, _ in _ERRORS})
    tr.write_line(f"{'component':<28}{'float64':>12}{'float32':>12}")
    for c in comps:
        cells = []
        for dt in ("float64", "float32"):
            v = _ERRORS.get((c, dt))
            cells.append(f"{v:12.2e}" if v is not None else f"{'-':>12}")
        tr.write_line(f"{c:<28}{''.join(cells)}")


# -- random data ------------------------------------------------------------------


def rng_for(*key):
    """A Generator seeded from a test's parameters (reproducible, independent)."""
    return np.random.default_rng([zlib.crc32(repr(k).encode()) for k in key])


def make_X(n, d, rng, scale=1.0):
    return rng.normal(scale=scale, size=(n, d))


def make_targets(loss, n, out, rng, form="default"):
    """Targets for `loss`.

    mse / mse_mean: normal values, (n,) when out == 1 else (n, out).
    bce: 0/1 values (form="soft": probabilities), (n,) when out == 1.
    ce:  form "labels" (int64), "float_labels" (integral floats), "one_hot" or "probs".
    """
    if loss in ("mse", "mse_mean"):
        y = rng.normal(size=(n, out))
    elif loss == "bce":
        y = rng.random(size=(n, out)) if form == "soft" else \
            (rng.random(size=(n, out)) < 0.5).astype(np.float64)
    elif loss == "ce":
        labels = rng.integers(0, out, size=n)
        if form in ("default", "labels"):
            return labels
        if form == "float_labels":
            return labels.astype(np.float64)
        if form == "one_hot":
            return np.eye(out)[labels]
        if form == "probs":
            p = rng.random(size=(n, out)) + 0.05
            return p / p.sum(axis=1, keepdims=True)
        raise ValueError(form)
    else:
        raise ValueError(loss)
    return y[:, 0] if out == 1 else y


# -- twin models ------------------------------------------------------------------


def build(module, specs, dtype=np.float64, seed=0):
    """Sequential from [(LayerClassName, args, kwargs)] in `module` (nncore or reference)."""
    layers = [getattr(module, name)(*args, **kwargs) for name, args, kwargs in specs]
    return module.Sequential(*layers, dtype=dtype, seed=seed)


def randomize(model, rng, weight_scale=None):
    """Random values for every parameter (biases too, so the bias path is exercised;
    PReLU α in [0.05, 0.5]). Returns the state dict that was loaded."""
    sd = {}
    for slot in model.layout:
        if slot.role == "alpha":
            sd[slot.name] = rng.uniform(0.05, 0.5, size=slot.shape)
        elif slot.role == "weight":
            layer = model.layers[slot.layer]
            s = weight_scale if weight_scale is not None else 1.0 / np.sqrt(layer.in_features)
            sd[slot.name] = rng.normal(scale=s, size=slot.shape)
        else:
            sd[slot.name] = rng.normal(scale=0.3, size=slot.shape)
    model.load_state_dict(sd)
    return sd


def twins(specs, dtype=np.float64, seed=0, rng=None, weight_scale=None):
    """(nncore model of `dtype`, float64 reference model) with identical weights.

    Built from the same seed; with `rng` every parameter is randomised first. For a
    float32 core the reference holds the float32-rounded weights, so only the
    arithmetic differs.
    """
    core = build(nc, specs, dtype=dtype, seed=seed)
    twin = build(ref, specs, dtype=np.float64, seed=seed)
    if rng is not None:
        randomize(core, rng, weight_scale)
    twin.load_state_dict({k: v.astype(np.float64) for k, v in core.state_dict().items()})
    return core, twin


def pre_activations(ref_model, X):
    """{layer index: input of that layer} for every layer, from a reference forward pass."""
    outs = ref_model.forward_trace(X)
    return {i: (X if i == 0 else outs[i - 1]) for i in range(len(ref_model.layers))}


KINKED = {"relu", "leaky_relu", "prelu", "elu", "step"}


def rows_away_from_kinks(ref_model, X, margin=1e-4, saturation=None):
    """Boolean mask of the rows of X whose every pre-activation is at least `margin`
    from a kink (ReLU family, Step at 0; Maxout: top two pieces at least `margin` apart).

    With `saturation`, rows where a Tanh/Sigmoid input exceeds it in magnitude are
    dropped too: there σ' = 1 − h² (or h(1 − h)) is computed from a rounded h with
    cancellation, so float32 loses digits for reasons of conditioning, not of code.
    """
    keep = np.ones(X.shape[0], dtype=bool)
    inputs = pre_activations(ref_model, X)
    params = ref_model.named_parameters()
    for i, layer in enumerate(ref_model.layers):
        if layer.kind in KINKED:
            keep &= np.all(np.abs(inputs[i]) >= margin, axis=1)
        elif layer.kind in ("tanh", "sigmoid") and saturation is not None:
            keep &= np.all(np.abs(inputs[i]) <= saturation, axis=1)
        elif layer.kind == "maxout" and layer.k > 1:
            W, b = params[f"{i}.W"], params[f"{i}.b"]
            pieces = np.stack([inputs[i] @ W[j] + b[j] for j in range(layer.k)])
            top2 = np.sort(pieces, axis=0)[-2:]
            keep &= np.all(top2[1] - top2[0] >= margin, axis=1)
    return keep


@pytest.fixture
def restore_threads():
    """Put the core's thread count back after a test that changes it."""
    requested = nc.native.threads.requested_num_threads()
    yield nc.get_num_threads()
    nc.set_num_threads(requested)


SANITIZED = os.environ.get("NNCORE_SANITIZED") == "1"

# Defines cap_memory() in a child of run_isolated(memory_cap_mib=N): caps its memory N MiB
# above what it holds when called. RLIMIT_AS normally; under tools/sanitize ASan reserves
# terabytes of address space, so there the cap is ASan's on every single allocation
# (set by run_isolated), which catches one oversized buffer (an inflated zip bomb, a
# huge declared shape), not many small ones.
_CAP_MEMORY = """
def cap_memory():
    import os, re, resource
    if os.environ.get("NNCORE_SANITIZED") == "1":
        return
    vm = int(re.search(r"VmSize:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
    limit = (vm + {mib} * 1024) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
"""


def run_isolated(code, timeout=120, memory_cap_mib=None):
    """Run `code` in a fresh interpreter (crash and hang cases: a regression fails one
    test, not the suite). Returns the CompletedProcess; a hang fails the test.
    memory_cap_mib: the code may call cap_memory() (see _CAP_MEMORY)."""
    import subprocess
    import textwrap
    code = textwrap.dedent(code)
    env = None
    if memory_cap_mib is not None:
        code = _CAP_MEMORY.format(mib=int(memory_cap_mib)) + code
        if SANITIZED:  # too big an allocation returns NULL: MemoryError, as under RLIMIT_AS
            env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                       f":max_allocation_size_mb={int(memory_cap_mib)}:allocator_may_return_null=1")
    try:
        return subprocess.run([sys.executable, "-c", code], capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung for more than {timeout} s:\n{code}")


def assert_clean_exit(proc, expect="OK"):
    """The isolated run ended normally (no signal) and printed `expect`."""
    assert proc.returncode == 0, (f"exit code {proc.returncode} (negative: killed by signal)\n"
                                  f"{proc.stdout}\n{proc.stderr[-3000:]}")
    assert expect in proc.stdout, proc.stdout + proc.stderr[-3000:]


# Under tools/sanitize (AddressSanitizer preloaded) the address space cannot be capped:
# ASan reserves terabytes of it for its shadow memory. Those tests are skipped there.
limits_address_space = pytest.mark.skipif(
    SANITIZED,
    reason="RLIMIT_AS cannot apply under AddressSanitizer (tools/sanitize)")
