"""nncore.shuffle: the SplitMix64 + Fisher–Yates permutation shared with the C++ core."""

import numpy as np
import pytest

from nncore.shuffle import (_mulhi64, _splitmix64_outputs, initial_state, permutation,
                            permutation_spec, splitmix64)


def test_splitmix64_published_test_vector():
    # SplitMix64 from state 0: the first outputs of the reference C implementation
    state, r1 = splitmix64(0)
    _, r2 = splitmix64(state)
    assert r1 == 0xE220A8397B1DCDAF
    assert r2 == 0x6E789E6AA1B965F4


def test_vectorised_splitmix_matches_python_ints():
    for state0 in (0, 1, 12345, (1 << 64) - 1, initial_state(7, 3)):
        expected, state = [], state0
        for _ in range(50):
            state, r = splitmix64(state)
            expected.append(r)
        assert _splitmix64_outputs(state0, 50).tolist() == expected


def test_mulhi_matches_python_ints():
    rng = np.random.default_rng(0)
    r = rng.integers(0, 1 << 64, size=2000, dtype=np.uint64, endpoint=False)
    r[:3] = [0, (1 << 64) - 1, 1 << 63]
    s = rng.integers(1, 1 << 32, size=2000, dtype=np.uint64)
    s[:3] = [(1 << 32) - 1, (1 << 32) - 1, 2]
    got = _mulhi64(r, s).tolist()
    assert got == [(int(a) * int(b)) >> 64 for a, b in zip(r, s)]


def test_initial_state_formula():
    assert initial_state(0, 5) == 5
    assert initial_state(1, 0) == 0xD1B54A32D192ED03
    assert initial_state(3, 2) == (3 * 0xD1B54A32D192ED03 + 2) % (1 << 64)


@pytest.mark.parametrize("seed,epoch,n", [(0, 0, 0), (0, 0, 1), (0, 0, 2), (1, 2, 3),
                                          (42, 0, 100), (7, 9, 1000), ((1 << 64) - 1, 5, 257),
                                          (123456789, 1 << 40, 64)])
def test_fast_path_equals_the_specification(seed, epoch, n):
    assert permutation(seed, epoch, n).tolist() == permutation_spec(seed, epoch, n).tolist()


def test_pinned_values():
    # Pinned so the C++ core can check itself against the same numbers.
    assert permutation(0, 0, 10).tolist() == [4, 9, 2, 5, 1, 7, 6, 0, 3, 8]
    assert permutation(0, 0, 1).tolist() == [0]
    assert permutation(0, 0, 0).tolist() == []


@pytest.mark.parametrize("n", [1, 2, 5, 33, 1000])
def test_is_a_permutation(n):
    p = permutation(3, 1, n)
    assert p.dtype == np.int64 and p.shape == (n,)
    assert np.array_equal(np.sort(p), np.arange(n))


def test_deterministic_and_depends_on_seed_and_epoch():
    a = permutation(5, 2, 500)
    assert np.array_equal(a, permutation(5, 2, 500))
    assert not np.array_equal(a, permutation(5, 3, 500))
    assert not np.array_equal(a, permutation(6, 2, 500))


def test_roughly_uniform_positions():
    n, trials = 4, 4000
    counts = np.zeros((n, n))
    for e in range(trials):
        counts[np.arange(n), permutation(11, e, n)] += 1
    assert np.all(np.abs(counts - trials / n) < 0.1 * trials / n)


def test_mnist_sized_permutation_is_a_permutation():
    # (Its speed, ~10 ms, is a benchmark matter: no timing is asserted in tests.)
    perm = permutation(1, 0, 60_000)
    assert perm.shape == (60_000,) and np.array_equal(np.sort(perm), np.arange(60_000))


@pytest.mark.parametrize("args", [(-1, 0, 5), (0, -1, 5), (0, 0, -1), (1.5, 0, 5),
                                  (True, 0, 5), (0, 0, "5")])
def test_bad_arguments(args):
    with pytest.raises(ValueError, match="permutation: .* must be a non-negative integer"):
        permutation(*args)
