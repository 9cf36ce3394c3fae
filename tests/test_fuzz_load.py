"""Property-based fuzzing of nncore.load over mutated and crafted model files.

Property: whatever the bytes, `load` returns a model that round-trips and predicts
finite numbers, or raises ValueError, within a memory limit (RLIMIT_AS 256 MiB
above the interpreter; under tools/sanitize ASan's 256 MiB cap on any one allocation)
and without crashing. The fuzzing runs in a subprocess so
a crash fails this test, not the suite.

Budget: NNCORE_FUZZ_EXAMPLES examples per strategy (default 150, about 20 s in
all). Longer runs: NNCORE_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz_load.py
"""
from __future__ import annotations

import os

from conftest import assert_clean_exit, run_isolated

EXAMPLES = int(os.environ.get("NNCORE_FUZZ_EXAMPLES", "150"))

FUZZ = r'''
import io, json, resource, sys, zipfile
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st
sys.path.insert(0, TESTS)
import crafted
import nncore as nc

EXAMPLES = int(sys.argv[1])
cap_memory()

model = nc.Sequential(nc.Dense(3, 4), nc.PReLU(), nc.Maxout(4, 2, k=2), nc.Softmax(), seed=1)
model.fit(np.eye(3), [0, 1, 0], optimizer=nc.Adam(), epochs=2, batch_size=2, verbose=0)
GOOD = nc.io.to_bytes(model)
outcomes = {"loaded": 0, "refused": 0}


def check(blob):
    try:
        m = nc.io.from_bytes(blob, nc.Sequential)
    except ValueError as e:  # refused before allocating, not after running out of memory
        assert "MemoryError" not in str(e) and "emory" not in str(e), e
        outcomes["refused"] += 1
        return
    outcomes["loaded"] += 1
    assert nc.io.from_bytes(nc.io.to_bytes(m), nc.Sequential).get_flat_parameters().tobytes() \
        == m.get_flat_parameters().tobytes()
    assert np.isfinite(m.predict(np.ones((2, m.n_features)))).all()


cfg = settings(max_examples=EXAMPLES, deadline=None, database=None,
               suppress_health_check=list(HealthCheck))


@cfg
@given(st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), max_size=8),
       st.integers(0, len(GOOD)))
def bytes_mutated(flips, cut):
    b = bytearray(GOOD)
    for i, v in flips:
        b[i] = v
    check(bytes(b[:cut]) if cut < len(b) // 2 else bytes(b))


SIZES = st.one_of(st.integers(0, 6), st.sampled_from([2**20, 2**31, 2**62, 2**63 - 1, 2**64]),
                  st.integers(-3, -1))
LAYER = st.one_of(
    st.builds(lambda i, o: crafted.dense(i, o), SIZES, SIZES),
    st.builds(lambda i, o, k: {"type": "Maxout", "config": {"in_features": i,
                                                             "out_features": o, "k": k}},
              SIZES, SIZES, SIZES),
    st.sampled_from([{"type": t, "config": {}} for t in ("Identity", "Tanh", "ReLU", "Softmax",
                                                        "PReLU", "Lambda")]))
NAMES = st.sampled_from(["param/0.W", "param/0.b", "param/1.alpha", "param/2.W", "opt/m",
                         "opt/v", "junk", "param/0.W/../../x"])
ARRAY = st.tuples(st.lists(SIZES.filter(lambda n: n >= 0), max_size=3),
                  st.sampled_from(["<f8", "<f4", ">f8", "<i8", "|u1", "|O"]),
                  st.integers(0, 2**16))


def crafted_zip(header, members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        raw = json.dumps(header).encode()
        with z.open("__nncore__.npy", "w") as f:
            f.write(crafted.npy_header((len(raw),), np.uint8) + raw)
        for name, (shape, dt, payload) in members.items():
            with z.open(name + ".npy", "w", force_zip64=True) as f:
                hdr = io.BytesIO()
                np.lib.format.write_array_header_1_0(
                    hdr, {"descr": dt, "fortran_order": False, "shape": tuple(shape)})
                f.write(hdr.getvalue() + bytes(payload))
    return buf.getvalue()


@cfg
@given(st.lists(LAYER, min_size=1, max_size=4), st.dictionaries(NAMES, ARRAY, max_size=4),
       st.sampled_from(["float32", "float64", "float16"]),
       st.one_of(st.none(), st.fixed_dictionaries({"kind": st.sampled_from(["adam", "sgd"]),
                                                   "hyperparameters": st.just({}),
                                                   "t": SIZES})))
def structure_crafted(layers, members, dtype, opt):
    check(crafted_zip(crafted.header(layers, dtype, opt), members))


bytes_mutated()
structure_crafted()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print("OK", outcomes, f"peak RSS {peak} MiB")
'''


def test_load_survives_mutated_and_crafted_files():
    code = FUZZ.replace("sys.argv[1]", str(EXAMPLES)).replace(
        "TESTS)", repr(os.path.dirname(os.path.abspath(__file__))) + ")")
    proc = run_isolated(code, timeout=600, memory_cap_mib=256)
    assert_clean_exit(proc)
    print(proc.stdout)
