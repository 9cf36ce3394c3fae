"""Section 17 ("Sollten wir immer Backpropagation nutzen?"): its numbers, pinned by seeds."""
import pytest

import nncore as nc
import nncore.lecture as L
from nncore.lecture.backprop_alternatives import step_macs


@pytest.fixture(autouse=True)
def one_thread():
    old = nc.get_num_threads()
    nc.set_num_threads(1)
    yield
    nc.set_num_threads(old)


def test_steps_to_full_training_accuracy_per_method_and_seed():
    rows = {(r["task"], r["method"]): r for r in L.alternatives()}
    expected = {
        ("xor", "backprop"): [12, 12, 11],
        ("xor", "forward gradient, k=1"): [34, 80, 204],
        ("xor", "forward gradient, k=16"): [12, 87, 35],
        ("moons", "backprop"): [199, 225, 215],
        ("moons", "forward gradient, k=1"): [1263, 1477, 1183],
        ("moons", "forward gradient, k=4"): [688, 710, 741],
        ("moons", "forward gradient, k=16"): [362, 493, 507],
    }
    for key, steps in expected.items():
        assert rows[key]["steps"] == steps, key
    # perturbation with ε = 1e-3 follows the k=1 forward gradient (same tangents)
    for task in ("xor", "moons"):
        assert rows[(task, "weight perturbation (ε=1e-3), k=1")]["steps"] == \
            rows[(task, "forward gradient, k=1")]["steps"]
    assert rows[("moons", "backprop")]["test_acc"] == pytest.approx(0.964)
    assert rows[("moons", "forward gradient, k=4")]["test_acc"] == pytest.approx(0.969)
    assert rows[("moons", "forward gradient, k=16")]["macs_per_step"] == 67000


def test_multiply_adds_per_step():
    m = L.backprop_alternatives._model("moons", 0)   # 2-10-1: W = 30, W₁ = 20
    assert step_macs(m, "backprop", 1) == 30 + 30 + 10
    assert step_macs(m, "forward", 4) == 30 + 4 * (30 + 10)
    assert step_macs(m, "perturbation", 2) == 5 * 30


def test_forward_gradient_variance_grows_with_the_number_of_parameters():
    rows = L.estimate_variance(hidden=(2, 32), tangents=200)
    assert [r["parameters"] for r in rows] == [9, 129]
    assert rows[0]["relative_variance"] == pytest.approx(8.0, abs=0.05)
    assert rows[1]["relative_variance"] == pytest.approx(118.0, abs=0.05)
    for r in rows:  # E‖g − ∇‖²/‖∇‖² = P + 1 in theory; 200 draws: within ~25 %
        assert 0.75 < r["relative_variance"] / r["theory"] < 1.25
    assert rows[1]["mean_cosine"] < rows[0]["mean_cosine"] / 2


def test_section_runs_with_german_title():
    ctx = L.run_all(out=None, quick=True, only="alternatives", plots=False, echo=False,
                    lang="de")
    text = "\n".join(ctx.lines)
    assert "17. Sollten wir immer Backpropagation nutzen?" in text
    assert "Gradients without Backpropagation" in text
    assert "der* dominante Algorithmus" in text
    assert ctx.results["alternatives"]["rows"][0]["steps"] == [12]
