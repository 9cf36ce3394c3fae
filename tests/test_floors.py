"""The house: floors with arrows only downward, one door to the compiled core, a
reference that stands alone, and one optimizer-state shape for both models."""
from __future__ import annotations

import ast
import os
import pathlib
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = pathlib.Path(nc.__file__).resolve().parent


def _imports_of(path):
    """Every module a file imports (absolute names; relative imports resolved)."""
    pkg = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        pkg = pkg.rsplit(".", 1)[0] + "." if "." in pkg else pkg
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")
                if path.name != "__init__.py":
                    parts = parts[:-1]
                parts = parts[:len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            yield base
            yield from (f"{base}.{a.name}" for a in node.names)


def test_only_the_native_model_imports_the_compiled_core():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "native" or rel.name == "__init__.py" and len(rel.parts) == 1:
            continue
        if any(name == "nncore._core" or name.startswith("nncore._core.")
               for name in _imports_of(path)):
            offenders.append(str(rel))
    assert offenders == []


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter not installed")
def test_import_contracts_hold():
    # The contracts live in pyproject.toml; lint-imports must see the package being tested.
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    res = subprocess.run(["lint-imports", "--config", str(ROOT / "pyproject.toml")],
                         capture_output=True, text=True, cwd=PACKAGE.parent, env=env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]


def test_reference_stands_alone_without_the_compiled_core():
    code = """
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "nncore._core":
            raise ImportError("hidden", name=name)
sys.meta_path.insert(0, Hide())
import numpy as np, pickle, nncore as nc, nncore.reference as ref
m = ref.Sequential(ref.Dense(2, 3), ref.Tanh(), ref.Dense(3, 1), ref.Sigmoid(), seed=0)
X = np.random.default_rng(0).normal(size=(8, 2)); y = (X[:, 0] > 0).astype(float)
m.fit(X, y, optimizer=ref.Adam(lr=0.1), epochs=3)
back = pickle.loads(pickle.dumps(m))
assert back.optimizer_state["t"] == m.optimizer_state["t"] > 0
assert "nncore._core" not in sys.modules
try:
    nc.Sequential
except ImportError as e:
    assert "pip install ." in str(e), e
else:
    raise AssertionError("nc.Sequential without the core should say how to build")
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stdout + res.stderr


@pytest.mark.parametrize("make_opt", [lambda m: m.Adam(lr=0.05), lambda m: m.Momentum(lr=0.1),
                                      lambda m: m.RMSprop(lr=0.01), lambda m: m.SGD(lr=0.1)],
                         ids=["adam", "momentum", "rmsprop", "sgd"])
@pytest.mark.parametrize("kind", ["reference", "native"])
def test_save_load_and_pickle_keep_the_optimizer_state(tmp_path, kind, make_opt):
    lib = ref if kind == "reference" else nc
    X = np.random.default_rng(1).normal(size=(20, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)
    layers = (lib.Dense(2, 4), lib.Tanh(), lib.Dense(4, 1), lib.Sigmoid())
    m = lib.Sequential(*layers, seed=3)
    m.fit(X, y, optimizer=make_opt(lib), epochs=4, batch_size=8)
    path = tmp_path / "m.nncore"
    m.save(path, include_optimizer=True)
    cls = type(m)
    loaded = nc.load(path, cls)
    for back in (loaded, pickle.loads(pickle.dumps(m))):
        assert type(back) is cls
        a, b = m.optimizer_state, back.optimizer_state
        assert b["t"] == a["t"] == 12 and b["optimizer"].hyperparameters() == \
            a["optimizer"].hyperparameters()
        for key in ("m", "v"):
            assert (a[key] is None) == (b[key] is None)
            if a[key] is not None:
                np.testing.assert_array_equal(a[key], b[key])
        # Continuing after the round trip equals continuing the original.
        m2 = pickle.loads(pickle.dumps(m))
        m2.fit(X, y, epochs=2, batch_size=8)
        back.fit(X, y, epochs=2, batch_size=8)
        np.testing.assert_array_equal(back.get_flat_parameters(), m2.get_flat_parameters())


def test_both_models_keep_optimizer_state_in_one_shape():
    for lib in (nc, ref):
        m = lib.Sequential(lib.Dense(2, 1), lib.Sigmoid(), seed=0)
        assert m.optimizer_state is None
        m.train_step(np.ones((2, 2)), np.ones(2) / 2, optimizer=lib.Adam())
        st = m.optimizer_state
        assert set(st) == {"optimizer", "t", "m", "v"} and st["t"] == 1
        assert st["m"].shape == st["v"].shape == (m.num_parameters,)


@pytest.mark.parametrize("lib", [nc, ref], ids=["native", "reference"])
def test_a_layer_subclass_with_a_new_kind_is_refused_clearly(lib):
    class Swish(nc.layers.Activation):
        kind = "swish"

    with pytest.raises(TypeError, match=r"layer 1 \(Swish\) has kind 'swish', which nncore "
                                        r"does not implement; the layers are "
                                        r"\['Dense', 'Dropout', 'ELU'"):
        lib.Sequential(lib.Dense(2, 3), Swish(), lib.Dense(3, 1))


@pytest.mark.parametrize("lib", [nc, ref], ids=["native", "reference"])
def test_unseeded_models_differ_and_record_their_seed(lib):
    a, b = (lib.Sequential(lib.Dense(3, 4), lib.Tanh(), lib.Dense(4, 1)) for _ in range(2))
    assert a.seed != b.seed and 0 <= a.seed < 2**63
    assert not np.array_equal(a.get_flat_parameters(), b.get_flat_parameters())
    again = lib.Sequential(lib.Dense(3, 4), lib.Tanh(), lib.Dense(4, 1), seed=a.seed)
    np.testing.assert_array_equal(again.get_flat_parameters(), a.get_flat_parameters())
    assert f"seed={a.seed}" in repr(a)  # the repr rebuilds the same model


@pytest.mark.parametrize("lib", [nc, ref], ids=["native", "reference"])
def test_validation_split_warns_when_the_held_out_rows_miss_classes(lib):
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = np.repeat([0, 1, 2], 20)            # sorted by label: the last 20 % are all class 2
    m = lib.Sequential(lib.Dense(2, 3), lib.Softmax(), seed=0)
    with pytest.warns(UserWarning, match=r"fit: validation_split holds out the last rows.*"
                                         r"classes only in training \[0, 1\]"):
        m.fit(X, y, epochs=1, validation_split=0.2)
    rng = np.random.default_rng(1)
    order = rng.permutation(60)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # shuffled: no warning
        m.fit(X[order], y[order], epochs=1, validation_split=0.2)


def test_no_import_circles_at_run_time():
    grimp = pytest.importorskip("grimp")
    sys.path.insert(0, str(PACKAGE.parent))
    try:
        g = grimp.build_graph("nncore", cache_dir=None, exclude_type_checking_imports=True)
    finally:
        sys.path.pop(0)
    mods = [m for m in g.modules if m != "nncore"]
    circles = set()
    for m in mods:
        for other in g.find_modules_directly_imported_by(m):
            if other != "nncore" and other != m and g.chain_exists(importer=other, imported=m):
                circles.add(tuple(sorted((m, other))))
    assert not circles, sorted(circles)
