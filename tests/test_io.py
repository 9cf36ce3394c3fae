"""nncore.io: the data-only model file (npz + JSON header), pickle and deepcopy.

A model file must round-trip bit for bit (parameters and, if asked, the
optimizer state), and loading anything else — truncated, random, crafted or
pickled data — must fail with a ValueError that says what is wrong, without
ever running code from the file.

Longer than 400 lines on purpose: round trips and the damaged-file table share the file builders.
"""
import copy
import io
import json
import os
import pickle
import pickletools
import re
import zipfile

import numpy as np
import pytest

import crafted
import nncore as nc
from conftest import assert_clean_exit, run_isolated
from nncore import io as ncio

RNG = np.random.default_rng(2024)
INVALID = "not a valid nncore model file"


# -- helpers -------------------------------------------------------------------

def small_model(dtype=np.float64, seed=0):
    return nc.Sequential(nc.Dense(3, 5), nc.Tanh(), nc.Dense(5, 2), dtype=dtype, seed=seed)


def data(n=40):
    return RNG.normal(size=(n, 3)), RNG.normal(size=(n, 2))


def trained(dtype=np.float64, optimizer=None, epochs=3):
    m = small_model(dtype)
    X, Y = data()
    m.fit(X, Y, optimizer=optimizer or nc.Adam(lr=0.01), epochs=epochs, batch_size=16,
          verbose=0)
    return m


def arrays_of(blob):
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def header_of(arrays):
    return json.loads(arrays["__nncore__"].tobytes().decode("utf-8"))


def pack(arrays, header=None):
    """An npz blob from {name: array}; `header` (a dict) replaces __nncore__."""
    arrays = dict(arrays)
    if header is not None:
        arrays["__nncore__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def assert_same_model(a, b):
    assert type(a) is type(b)
    assert a.dtype == b.dtype and a.seed == b.seed
    assert [type(l) for l in a.layers] == [type(l) for l in b.layers]
    assert [l.get_config() for l in a.layers] == [l.get_config() for l in b.layers]
    assert a.param_names == b.param_names
    for (na, va), (nb, vb) in zip(a.named_parameters().items(), b.named_parameters().items()):
        assert na == nb and va.dtype == vb.dtype and va.shape == vb.shape
        assert np.array_equal(va, vb)
        assert va.tobytes() == vb.tobytes()  # bit-exact (also the sign of zeros)
    assert a._epochs_done == b._epochs_done


def assert_same_optimizer_state(a, b):
    sa, sb = a.optimizer_state, b.optimizer_state
    assert type(sa["optimizer"]) is type(sb["optimizer"])
    assert sa["optimizer"].hyperparameters() == sb["optimizer"].hyperparameters()
    assert sa["t"] == sb["t"]
    for key in ("m", "v"):
        if sa[key] is None:
            assert sb[key] is None
        else:
            assert sb[key].dtype == sa[key].dtype and sa[key].tobytes() == sb[key].tobytes()


class Marker:
    """A pickle payload: unpickling it creates the file `path`."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


# -- round trips -----------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_save_load_round_trip_is_bit_exact(tmp_path, dtype):
    m = trained(dtype)
    path = tmp_path / "model.nncore"
    m.save(path)
    assert not os.path.exists(f"{path}.tmp")
    back = nc.load(path)
    assert_same_model(m, back)
    assert back.optimizer_state is None  # include_optimizer=False by default
    X, _ = data(7)
    assert np.array_equal(m.predict(X), back.predict(X))
    # save(load(f)) writes the same arrays again
    back.save(tmp_path / "again.nncore")
    a1, a2 = arrays_of(path.read_bytes()), arrays_of((tmp_path / "again.nncore").read_bytes())
    assert a1.keys() == a2.keys()
    for k in a1:
        assert a1[k].dtype == a2[k].dtype and a1[k].tobytes() == a2[k].tobytes()


def test_the_file_is_an_npz_with_a_json_header(tmp_path):
    m = trained(np.float32)
    m.save(tmp_path / "m.npz", include_optimizer=True)
    arrays = arrays_of((tmp_path / "m.npz").read_bytes())
    h = header_of(arrays)
    assert h["format"] == "nncore" and h["version"] == 1 and h["dtype"] == "float32"
    assert h["epochs_done"] == 3 and h["seed"] == 0
    assert [l["type"] for l in h["layers"]] == ["Dense", "Tanh", "Dense"]
    assert h["optimizer"]["kind"] == "adam" and h["optimizer"]["t"] == 9
    assert sorted(arrays) == ["__nncore__", "opt/m", "opt/v", "param/0.W", "param/0.b",
                              "param/2.W", "param/2.b"]
    assert all(arrays[k].dtype == np.float32 for k in arrays if k != "__nncore__")


OPTIMIZER_CASES = {
    "SGD": lambda: nc.SGD(lr=0.05),
    "Momentum-nesterov": lambda: nc.Momentum(lr=0.02, gamma=0.8, form="nesterov"),
    "RMSprop-eps_outside": lambda: nc.RMSprop(lr=0.01, gamma=0.95, eps=1e-7, eps_inside=False),
    "Adam-weight_decay": lambda: nc.Adam(lr=0.01, beta1=0.85, beta2=0.99, eps=1e-7,
                                         weight_decay=0.01),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opt_name", list(OPTIMIZER_CASES))
def test_optimizer_state_round_trips_and_training_continues_identically(tmp_path, dtype,
                                                                        opt_name):
    X, Y = data(50)
    opt = OPTIMIZER_CASES[opt_name]()
    a = small_model(dtype)
    a.fit(X, Y, optimizer=opt, epochs=3, batch_size=16, verbose=0)
    a.save(tmp_path / "a.nncore", include_optimizer=True)
    b = nc.load(tmp_path / "a.nncore")
    assert_same_model(a, b)
    assert_same_optimizer_state(a, b)
    assert b.optimizer_state["optimizer"] is not opt
    # a continues with its optimizer object; b with the loaded one (optimizer=None)
    ha = a.fit(X, Y, optimizer=opt, epochs=4, batch_size=16, verbose=0)
    hb = b.fit(X, Y, epochs=4, batch_size=16, verbose=0)
    assert ha.epoch == hb.epoch == [3, 4, 5, 6]  # the shuffle order continues too
    assert ha.history["loss"] == hb.history["loss"]
    assert_same_model(a, b)
    assert_same_optimizer_state(a, b)


def test_without_the_optimizer_training_restarts_it(tmp_path):
    X, Y = data(50)
    a = trained(epochs=2)
    a.save(tmp_path / "a.nncore")  # include_optimizer=False
    b = nc.load(tmp_path / "a.nncore")
    assert b.optimizer_state is None and b._epochs_done == 2
    b.fit(X, Y, optimizer=nc.Adam(lr=0.01), epochs=1, verbose=0)
    assert b.optimizer_state["t"] == 2  # 50 rows, batch_size 32: 2 steps, counted from zero


def every_layer_model(dtype):
    return nc.Sequential(
        nc.Dense(4, 6), nc.LeakyReLU(slope=0.2),
        nc.Maxout(6, 5, k=3), nc.PReLU(num_parameters=5, init=0.3),
        nc.Dense(5, 5), nc.ELU(alpha=0.7),
        nc.Dense(5, 5), nc.PReLU(),
        nc.Dense(5, 5), nc.ReLU(),
        nc.Dense(5, 5), nc.Sigmoid(),
        nc.Dense(5, 5), nc.Identity(),
        nc.Dense(5, 5), nc.Step(),
        nc.Dense(5, 5), nc.Exp(),
        nc.Dense(5, 5), nc.Tanh(), nc.Dropout(p=0.25),
        nc.Dense(5, 3), nc.Softmax(), dtype=dtype, seed=5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_layer_type_round_trips(tmp_path, dtype):
    m = every_layer_model(dtype)
    # non-default values everywhere (α of PReLU too)
    m.set_flat_parameters(RNG.normal(size=m.num_parameters).astype(dtype))
    kinds = {type(l).__name__ for l in m.layers}
    assert kinds == set(nc.layers.LAYERS)  # really every layer type
    m.save(tmp_path / "all.nncore")
    back = nc.load(tmp_path / "all.nncore")
    assert_same_model(m, back)
    assert back.layers[1].slope == 0.2 and back.layers[5].alpha == 0.7
    assert back.layers[2].k == 3 and back.layers[3].num_parameters == 5
    assert back.layers[3].alpha_init == 0.3 and back.layers[-3].p == 0.25
    X = RNG.normal(size=(25, 4))
    assert np.array_equal(m.predict(X), back.predict(X))
    for ta, tb in zip(m.forward_trace(X), back.forward_trace(X)):
        assert np.array_equal(ta, tb)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pickle_goes_through_the_model_file_bytes(dtype):
    m = trained(dtype)
    fn, (blob, cls) = m.__reduce__()
    assert fn is ncio.from_bytes and cls is nc.Sequential
    assert header_of(arrays_of(blob))["format"] == "nncore"  # the same data-only bytes
    ref_arrays, arrays = arrays_of(ncio.to_bytes(m, include_optimizer=True)), arrays_of(blob)
    assert ref_arrays.keys() == arrays.keys()
    for k in arrays:
        assert arrays[k].tobytes() == ref_arrays[k].tobytes()
    payload = pickle.dumps(m)
    assert blob in payload
    # the only things the pickle stream imports are the loader and the class
    names = [arg for op, arg, _ in pickletools.genops(payload) if op.name in
             ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "GLOBAL")]
    assert "nncore.io" in names and "from_bytes" in names
    back = pickle.loads(payload)
    assert_same_model(m, back)
    assert_same_optimizer_state(m, back)  # pickle keeps the optimizer state
    X, _ = data(9)
    assert np.array_equal(m.predict(X), back.predict(X))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_deepcopy_is_an_independent_identical_model(dtype):
    m = trained(dtype)
    c = copy.deepcopy(m)
    assert c is not m
    assert_same_model(m, c)
    assert_same_optimizer_state(m, c)
    X, Y = data(9)
    assert np.array_equal(m.predict(X), c.predict(X))
    # independent arenas and optimizer buffers
    c.fit(X, Y, epochs=1, verbose=0)
    assert not np.array_equal(m.get_flat_parameters(), c.get_flat_parameters())
    assert m.optimizer_state["t"] == 9 and c.optimizer_state["t"] == 10
    assert copy.copy(m) is not m  # shallow copy uses the same path


def test_from_bytes_and_to_bytes_round_trip():
    m = trained(np.float32)
    back = ncio.from_bytes(ncio.to_bytes(m, include_optimizer=True), nc.Sequential)
    assert_same_model(m, back)
    assert_same_optimizer_state(m, back)


# -- refusing bad files ---------------------------------------------------------------

def write(tmp_path, blob, name="bad.nncore"):
    path = tmp_path / name
    path.write_bytes(blob)
    return path


def expect_invalid(tmp_path, blob, match=INVALID):
    with pytest.raises(ValueError, match=match) as info:
        nc.load(write(tmp_path, blob))
    return str(info.value)


@pytest.fixture
def good():
    m = trained(np.float64, optimizer=nc.Adam(lr=0.01))
    arrays = arrays_of(ncio.to_bytes(m, include_optimizer=True))
    return arrays, header_of(arrays)


def test_truncated_files(tmp_path):
    blob = ncio.to_bytes(trained())
    for cut in [0, 1, 4, 30, 100, len(blob) // 3, len(blob) // 2, len(blob) - 22,
                len(blob) - 1]:
        msg = expect_invalid(tmp_path, blob[:cut])
        assert "bad.nncore" in msg  # names the file


def test_random_bytes(tmp_path):
    rng = np.random.default_rng(7)
    for i in range(30):
        blob = rng.bytes(int(rng.integers(1, 4000)))
        prefix = [b"", b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"\x80\x04"][i % 4]
        expect_invalid(tmp_path, prefix + blob)


def test_a_pickle_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "PWNED"
    expect_invalid(tmp_path, pickle.dumps(Marker(marker)), match="pickle")
    expect_invalid(tmp_path, pickle.dumps({"__nncore__": Marker(marker)}))
    assert not marker.exists()


def test_an_object_array_npy_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "PWNED"
    buf = io.BytesIO()
    np.save(buf, np.array([Marker(marker), 1], dtype=object), allow_pickle=True)
    expect_invalid(tmp_path, buf.getvalue(), match="single .npy array")
    assert not marker.exists()


def test_an_npz_with_an_object_array_is_refused_and_never_executed(tmp_path, good):
    marker = tmp_path / "PWNED"
    arrays, header = good
    # a complete, valid model file plus one pickled entry
    evil = dict(arrays, extra=np.array([Marker(marker)], dtype=object))
    expect_invalid(tmp_path, pack(evil), match=r"unexpected entries \['extra.npy'\] \(refused unread")
    # the header itself as an object array
    evil = dict(arrays, __nncore__=np.array([Marker(marker)], dtype=object))
    expect_invalid(tmp_path, pack(evil), match="[Oo]bject arrays|pickle")
    # a parameter as an object array
    evil = dict(arrays)
    evil["param/0.W"] = np.array([[Marker(marker)] * 5] * 3, dtype=object)
    expect_invalid(tmp_path, pack(evil), match="[Oo]bject arrays|pickle")
    assert not marker.exists()


def test_a_plain_npy_file_is_refused_with_valueerror(tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.arange(12.0))
    expect_invalid(tmp_path, buf.getvalue())


def test_a_zip_with_a_non_npy_member_is_refused_with_valueerror(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("__nncore__", json.dumps({"format": "nncore", "version": 1}))
    expect_invalid(tmp_path, buf.getvalue())


def _patch_central_directory(blob, offset, value):
    """Set a 2-byte field of the first central-directory record of a zip."""
    i = blob.index(b"PK\x01\x02")
    b = bytearray(blob)
    b[i + offset:i + offset + 2] = int(value).to_bytes(2, "little")
    return bytes(b)


@pytest.mark.parametrize("field,value", [(8, 0x0001), (10, 99)],
                         ids=["encrypted_flag", "unknown_compression"])
def test_a_corrupted_zip_directory_is_refused_with_valueerror(tmp_path, field, value):
    blob = _patch_central_directory(ncio.to_bytes(trained()), field, value)
    expect_invalid(tmp_path, blob)


def test_no_header(tmp_path, good):
    arrays, _ = good
    del arrays["__nncore__"]
    expect_invalid(tmp_path, pack(arrays), match="no __nncore__ header")


@pytest.mark.parametrize("raw,match", [
    (np.frombuffer(b"\xff\xfe\x00garbage", dtype=np.uint8), "not JSON"),
    (np.frombuffer(b"{not json", dtype=np.uint8), "not JSON"),
    (np.frombuffer(b"[1, 2]", dtype=np.uint8), "format 'nncore'"),
    (np.arange(5, dtype=np.int64), "byte string"),
    (np.zeros((2, 2), dtype=np.uint8), "byte string"),
])
def test_a_bad_header_array(tmp_path, good, raw, match):
    arrays, _ = good
    arrays["__nncore__"] = raw
    expect_invalid(tmp_path, pack(arrays), match=match)


def test_a_deeply_nested_header_is_refused_with_valueerror(tmp_path, good):
    arrays, _ = good
    arrays["__nncore__"] = np.frombuffer(b"[" * 100_000 + b"]" * 100_000, dtype=np.uint8)
    expect_invalid(tmp_path, pack(arrays))


@pytest.mark.parametrize("change,match", [
    (lambda h: h.update(format="pickle"), "format 'nncore'"),
    (lambda h: h.update(version=2), "version 2"),
    (lambda h: h.update(version="1"), "version '1'"),
    (lambda h: h.pop("version"), "version None"),
    (lambda h: h.update(dtype="float16"), "dtype 'float16'"),
    (lambda h: h.update(dtype="object"), "dtype 'object'"),
    (lambda h: h.update(layers=[]), "no layers"),
    (lambda h: h.update(layers="Dense"), "no layers"),
    (lambda h: h["layers"].__setitem__(1, {"type": "Lambda", "config": {}}),
     "layer 1 is not a known layer type"),
    (lambda h: h["layers"].__setitem__(1, {"type": "os.system", "config": {"command": "x"}}),
     "layer 1 is not a known layer type"),
    (lambda h: h["layers"].__setitem__(1, {"type": "__import__", "config": {"name": "os"}}),
     "layer 1 is not a known layer type"),
    (lambda h: h["layers"].__setitem__(0, {"type": "Layer", "config": {}}),
     "layer 0 is not a known layer type"),
    (lambda h: h["layers"].__setitem__(1, {"type": "Tanh"}), "layer 1 is not a known"),
    (lambda h: h["layers"][0]["config"].update(in_features=-3), "layer 0"),
    (lambda h: h["layers"][0]["config"].update(evil="x"), "layer 0"),
    (lambda h: h["layers"][1].update(config={"slope": 0.1}), "layer 1"),
    (lambda h: h["layers"][2]["config"].update(in_features=4), "architecture"),
    (lambda h: h.update(seed=-1), "seed"),
    (lambda h: h.update(seed="0"), "seed"),
    (lambda h: h.update(epochs_done=1.5), "epochs_done"),
    (lambda h: h["optimizer"].update(kind="lbfgs"), "bad optimizer record"),
    (lambda h: h["optimizer"].update(t=-1), "bad optimizer record"),
    (lambda h: h["optimizer"].update(hyperparameters={"lr": "0.1"}), "optimizer"),
    (lambda h: h["optimizer"].update(hyperparameters={"lr": float("nan")}), "optimizer"),
    (lambda h: h["optimizer"]["hyperparameters"].update(__class__="x"), "optimizer"),
])
def test_a_bad_header(tmp_path, good, change, match):
    arrays, header = good
    change(header)
    expect_invalid(tmp_path, pack(arrays, header), match=match)


@pytest.mark.parametrize("change,match", [
    (lambda a: a.__setitem__("param/0.W", a["param/0.W"].T.copy()), "parameter '0.W' has"),
    (lambda a: a.__setitem__("param/0.b", a["param/0.b"][:-1]), "parameter '0.b' has"),
    (lambda a: a.__setitem__("param/2.b", a["param/2.b"][None]), "parameter '2.b' has"),
    (lambda a: a.__setitem__("param/0.W", a["param/0.W"].astype(np.float32)),
     "parameter '0.W' has float32"),
    (lambda a: a.__setitem__("param/0.W", a["param/0.W"].astype(np.int64)),
     "parameter '0.W' has int64"),
    (lambda a: a.pop("param/2.W"), "parameter '2.W' is missing"),
    (lambda a: a["param/2.W"].__setitem__((0, 0), np.nan), "NaN"),
    (lambda a: a["param/0.b"].__setitem__(1, np.inf), "NaN or inf"),
    (lambda a: a.__setitem__("param/4.W", np.zeros((2, 2))), "unexpected entries"),
    (lambda a: a.__setitem__("evil", np.zeros(3)), "unexpected entries"),
    (lambda a: a.__setitem__("opt/x", np.zeros(3)), "unexpected entries"),
    (lambda a: a.__setitem__("opt/m", a["opt/m"][:-1]), "buffer 'm'"),
    (lambda a: a.__setitem__("opt/v", a["opt/v"].astype(np.float32)), "buffer 'v'"),
    (lambda a: a["opt/v"].__setitem__(0, np.nan), "buffer 'v'"),
    (lambda a: a.pop("opt/m"), "needs its 'm' buffer"),
])
def test_bad_arrays(tmp_path, good, change, match):
    arrays, _ = good
    change(arrays)
    expect_invalid(tmp_path, pack(arrays), match=match)


def test_optimizer_buffers_without_an_optimizer_record_are_extra_entries(tmp_path, good):
    arrays, header = good
    header["optimizer"] = None
    expect_invalid(tmp_path, pack(arrays, header), match="unexpected entries")


def test_a_failed_load_leaves_no_partial_state(tmp_path, good):
    # loading is all-or-nothing: the exception carries no half-built model, and a
    # good file still loads afterwards
    arrays, header = good
    bad = dict(arrays)
    bad["param/2.W"] = bad["param/2.W"].copy()
    bad["param/2.W"][0, 0] = np.nan
    expect_invalid(tmp_path, pack(bad), match="NaN")
    m = nc.load(write(tmp_path, pack(arrays), "good.nncore"))
    assert np.isfinite(m.get_flat_parameters()).all()
    assert m.optimizer_state["t"] == header["optimizer"]["t"]


def test_loading_a_missing_file_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        nc.load(tmp_path / "nope.nncore")


# -- bounded loading: crafted files (tests/crafted.py) ------------------------------

BOMB = 256 * 2**20  # each bomb inflates to 256 MiB; the loader may use far less


@pytest.mark.parametrize("make,match", [
    (lambda: crafted.bomb_in_unknown_member(BOMB), r"unexpected entries \['junk.npy'\]"),
    (lambda: crafted.bomb_in_parameter(BOMB), "parameter '0.W' holds more data than its header"),
    (lambda: crafted.bomb_with_declared_shape(BOMB), r"parameter '0.W' has float64 \(33554432, 1\)"),
    (lambda: crafted.bomb_in_header(BOMB), "entry '__nncore__' declares 268435456 bytes"),
    (lambda: crafted.huge_declared_model(10**6, 10**6),
     "1000001000000 parameters, more than max_parameters=100000000"),
    (lambda: crafted.deep_identity(100_000), "100001 layers, more than max_layers=10000"),
], ids=["unknown member", "parameter", "declared shape", "header", "declared model", "layers"])
def test_crafted_files_are_refused_within_a_memory_limit(tmp_path, make, match):
    path = tmp_path / "crafted.nncore"
    path.write_bytes(make())
    # The address-space limit is 128 MiB above what the interpreter has after importing
    # nncore: inflating any of these files (as np.load did) raises MemoryError instead.
    proc = run_isolated(f"""
        import nncore as nc
        cap_memory()
        try:
            nc.load({str(path)!r})
        except ValueError as e:
            print("OK", e)
    """, memory_cap_mib=128)
    assert_clean_exit(proc)
    assert re.search(match, proc.stdout), proc.stdout


def test_the_limits_can_be_raised_per_call(tmp_path):
    path = write(tmp_path, crafted.deep_identity(20_000, width=3), "deep.nncore")
    with pytest.raises(ValueError, match="20001 layers, more than max_layers=10000"):
        nc.load(path)
    m = nc.load(path, max_layers=20_001)
    assert len(m.layers) == 20_001
    with pytest.raises(ValueError, match="3 parameters, more than max_parameters=2"):
        nc.load(write(tmp_path, ncio.to_bytes(nc.Sequential(nc.Dense(2, 1))), "s.nncore"),
                max_parameters=2)
    with pytest.raises(ValueError, match="load: max_layers must be a positive integer"):
        nc.load(path, max_layers=0)


def test_a_pickle_is_named_as_such_without_suggesting_allow_pickle(tmp_path):
    msg = expect_invalid(tmp_path, pickle.dumps({"a": 1}), match="it is a pickle")
    assert "allow_pickle" not in msg
