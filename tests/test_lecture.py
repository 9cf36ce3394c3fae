"""The lecture walkthrough (nncore.lecture, `python -m nncore`): every section in
quick mode, and the numbers the report claims."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import nncore as nc
import nncore.lecture as L
from nncore.lecture.walkthrough import SECTIONS, resolve_section, run_all


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick walkthrough with pictures (single-threaded, deterministic)."""
    out = tmp_path_factory.mktemp("nncore-out")
    ctx = run_all(out=str(out), quick=True, echo=False)
    return ctx, out


# -- section 1 -------------------------------------------------------------------

def test_xor_by_hand_is_exact_and_matches_the_slide():
    r = L.xor_by_hand()
    np.testing.assert_array_equal(r["XW"], [[0, 0], [1, 1], [1, 1], [2, 2]])
    np.testing.assert_array_equal(r["XW+c"], [[-0.5, -1.5], [0.5, -0.5], [0.5, -0.5], [1.5, 0.5]])
    np.testing.assert_array_equal(r["step(XW+c)"], [[0, 0], [1, 0], [1, 0], [1, 1]])
    np.testing.assert_array_equal(r["output"], [0, 1, 1, 0])  # exact, not approximately


def test_xor_learned_with_smooth_activation():
    r = L.xor_learned()
    np.testing.assert_array_equal(r["predictions"], [0, 1, 1, 0])
    # the learned representation is linearly separable: the output layer separates it
    p = r["model"].named_parameters()
    logits = r["hidden"] @ p["2.W"].ravel() + p["2.b"][0]
    assert np.all((logits > 0) == np.array([0, 1, 1, 0], bool))


# -- section 2 -------------------------------------------------------------------

def test_linear_layers_collapse():
    r = L.linear_collapse()
    assert r["max_abs_diff"] < 1e-12
    assert r["single_layer_diff"] < 1e-12


def test_activation_curves_derivatives_match_finite_differences():
    a = np.array([-1.7, -0.3, 0.4, 1.9])  # away from the kinks
    curves = L.activation_curves(a)
    eps = 1e-6
    up, down = L.activation_curves(a + eps), L.activation_curves(a - eps)
    for name in curves:
        numeric = (up[name][1] - down[name][1]) / (2 * eps)
        np.testing.assert_allclose(curves[name][2], numeric, atol=1e-6, err_msg=name)
    assert set(curves) == {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "prelu", "maxout",
                           "step"}


# -- section 3 -------------------------------------------------------------------

def test_two_d_example_accuracies_as_on_the_slide():
    r = L.fit_models()
    rows = {name: (p, a, b) for name, p, a, b in r["rows"]}
    p, train, test = rows["neural network 2-10-1, tanh"]
    assert p == 41
    assert train == 1.0
    assert test > 0.98
    assert round(test * 1000) == 996
    # the slide's network exactly: σ hidden, σ output without a bias, 40 parameters, model
    # seed 0 (data seeds 3 and 1003): 100 % of the 100 training points, 996 of the 1000
    # test points
    p, train, test = rows[L.classification.SLIDE_NAME]
    assert p == 40 and train == 1.0 and test > 0.98
    assert round(test * 1000) == 996
    slide = r["models"][L.classification.SLIDE_NAME]
    assert slide.param_names == ["0.W", "0.b", "2.W"]
    assert [repr(l) for l in slide.layers] == ["Dense(2, 10)", "Sigmoid()",
                                               "Dense(10, 1, bias=False)", "Sigmoid()"]
    # linear and logistic regression are nncore models without a hidden layer
    assert rows["linear regression"][0] == rows["logistic regression"][0] == 3
    assert rows["linear regression"][2] < 0.95 and rows["logistic regression"][2] < 0.95
    (X, y), (Xt, yt) = r["data"]
    assert X.shape == (100, 2) and Xt.shape[0] >= 500


@pytest.mark.parametrize("model_seed", [1, 2, 3])
def test_two_d_example_is_not_a_lucky_seed(model_seed):
    r = L.fit_models(seed=model_seed)
    _, _, train, test = r["rows"][2]
    assert train == 1.0 and test > 0.98


def test_moons_generator_is_seeded_and_balanced():
    X1, y1 = L.make_moons(100, 0.1, 3)
    X2, y2 = L.make_moons(100, 0.1, 3)
    np.testing.assert_array_equal(X1, X2)
    assert y1.sum() == 50


# -- section 4 -------------------------------------------------------------------

def test_constant_init_keeps_hidden_units_identical():
    r = L.symmetry_experiment(epochs=100)
    assert r["constant"]["spread"].max() < 1e-12          # identical through training
    assert r["random"]["spread"][-1] > 0.5                  # broken symmetry
    assert r["random"]["train_acc"] > r["constant"]["train_acc"]


# -- section 5 -------------------------------------------------------------------

def test_optimizers_all_train_and_paths_descend():
    r = L.optimizer_comparison(epochs=60)
    assert len(r["rows"]) == 5
    for label, final, _, _, _ in r["rows"]:
        assert final < r["histories"][label][0], label
    decayed = r["lr"][r["labels"][-1]]
    assert decayed[-1] < decayed[0]  # the learning-rate decay run really decays
    v = L.valley_paths(steps=50)
    for label, losses in v["losses"].items():
        assert losses[-1] < 0.1 * losses[0], label  # J(w*) ≈ 0.005, start 0.35


# -- section 6 -------------------------------------------------------------------

def test_activation_choice_table():
    r = L.activation_choice(epochs=40, seeds=(0,))
    names = [row[0] for row in r["rows"]]
    assert names == ["ReLU", "Leaky ReLU (0.1)", "ELU", "tanh", "sigmoid"]
    acc = {row[0]: row[1] for row in r["rows"]}
    assert acc["ReLU"] > acc["sigmoid"]


# -- section 7 -------------------------------------------------------------------

def test_digits_accuracy_at_least_97_percent():
    pytest.importorskip("sklearn")
    old = nc.get_num_threads()
    nc.set_num_threads(1)
    try:
        r = L.digits(epochs=30)  # the quick run's setting
    finally:
        nc.set_num_threads(old)
    assert r["n_train"] + r["n_test"] == 1797
    assert r["test_acc"] >= 0.97
    assert r["confusion"].sum() == r["n_test"]
    assert np.trace(r["confusion"]) / r["n_test"] == pytest.approx(r["test_acc"])


# -- section 8 -------------------------------------------------------------------

def test_mac_counts_follow_the_lecture_rule():
    m = nc.Sequential(nc.Dense(64, 128), nc.ReLU(), nc.Dense(128, 64), nc.ReLU(),
                      nc.Dense(64, 10), nc.Softmax())
    c = L.count_macs(m)
    assert c["weights"] == 64 * 128 + 128 * 64 + 64 * 10
    assert c["forward"] == c["weights"]                                  # ≈ 1 per weight
    assert c["backward"] == 2 * c["weights"] - 64 * 128                   # ≈ 2 per weight
    t = L.measure(m, n=512, repeats=1)
    assert t["forward_s"] > 0 and t["train_s"] > 0


# -- the walkthrough -------------------------------------------------------------

def test_quick_walkthrough_runs_every_section(quick_run):
    ctx, out = quick_run
    assert list(ctx.timings) == list(SECTIONS)
    res = ctx.results
    assert res["xor"]["output"] == [0, 1, 1, 0]
    assert res["classification"]["nn_train"] == 1.0 and res["classification"]["nn_test"] > 0.98
    slide = res["classification"]
    assert (slide["slide_parameters"], slide["slide_train"]) == (40, 1.0)
    assert slide["slide_test"] > 0.98
    claim = [l for l in ctx.lines if "->  the slide's network here" in l]
    assert len(claim) == 1 and claim[0].endswith("(as on the slide)")
    assert res["symmetry"]["constant_spread"] < 1e-12
    if res["digits"] is not None:
        assert res["digits"]["test_acc"] >= 0.97
    assert all(v["max_error"] < 1e-6 for v in res["graphs"].values())
    assert (out / "report.txt").exists()
    text = (out / "report.txt").read_text(encoding="utf-8")
    assert "output [0, 1, 1, 0]" in text and "Summary" in text
    assert ctx.total_seconds > 0   # measured and printed; no timing asserted (shared machines)


def test_quick_walkthrough_writes_pngs(quick_run):
    pytest.importorskip("matplotlib")
    ctx, out = quick_run
    pngs = sorted(p.name for p in out.glob("*.png"))
    for expected in ("01_xor_representation.png", "02_activations.png",
                     "03_decision_boundaries.png", "03_overfitting.png", "04_symmetry.png",
                     "05_optimizer_loss_curves.png", "05_optimizer_valley.png",
                     "06_activation_choice.png", "08_cost.png", "09_graph_network.png"):
        assert expected in pngs
    # the quick run leaves out only its four most expensive pictures, and says so
    from nncore.lecture._report import FULL_RUN_ONLY, QUICK_REASON
    assert not FULL_RUN_ONLY & set(pngs)
    assert len(pngs) == 17
    quick_skips = sorted(what.split()[1] for _, what, why in ctx.skipped if why == QUICK_REASON)
    assert quick_skips == sorted(FULL_RUN_ONLY)
    for p in out.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "09_graph_network.dot").read_text().startswith("digraph")


def test_the_full_run_draws_the_pictures_the_quick_run_leaves_out(tmp_path):
    pytest.importorskip("matplotlib")
    # one such section, full mode (its full-mode training is a few seconds)
    ctx = run_all(out=str(tmp_path), quick=False, only="momentum", echo=False)
    assert (tmp_path / "12_momentum.png").read_bytes()[:4] == b"\x89PNG"
    assert not ctx.skipped


def test_without_matplotlib_and_sklearn_the_report_still_prints(tmp_path, monkeypatch):
    # simulate a core-only install: both imports fail
    for mod in ("matplotlib", "matplotlib.pyplot", "sklearn", "sklearn.datasets"):
        monkeypatch.setitem(sys.modules, mod, None)
    ctx = run_all(out=str(tmp_path), quick=True, only="xor", echo=False)
    assert ctx.results["xor"]["output"] == [0, 1, 1, 0]
    assert not list(tmp_path.glob("*.png"))
    assert any("matplotlib is not installed" in r for _, _, r in ctx.skipped)
    text = "\n".join(ctx.lines)
    assert "pip install 'nncore[demo]'" in text
    ctx = run_all(out=str(tmp_path), quick=True, only="digits", echo=False)
    assert ctx.results["digits"] is None
    assert any("scikit-learn is not installed" in r for _, _, r in ctx.skipped)


def test_only_accepts_names_and_numbers():
    assert resolve_section("3") == "classification"
    assert resolve_section("graphs") == "graph"
    with pytest.raises(ValueError, match="unknown section"):
        resolve_section("nope")


def test_cli_only_one_section(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    res = subprocess.run([sys.executable, "-m", "nncore", "--quick", "--only", "xor", "--out",
                          str(tmp_path / "o")], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "output [0, 1, 1, 0]" in res.stdout
    assert (tmp_path / "o" / "report.txt").exists()
    bad = subprocess.run([sys.executable, "-m", "nncore", "--only", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown section" in bad.stderr


def test_main_is_importable_as_console_script_target():
    from nncore.__main__ import main
    assert main(["--list"]) == 0


def test_digits_read_without_importing_sklearn_equal_load_digits():
    # the walkthrough reads scikit-learn's digits file itself (importing scikit-learn costs
    # more CPU than the quick run's digits section); the arrays are load_digits' own
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    from nncore.lecture.data import _digits_arrays
    X, y = _digits_arrays()
    d = sklearn_datasets.load_digits()
    np.testing.assert_array_equal(X, d.data)
    np.testing.assert_array_equal(y, d.target)
