"""nc.show_config() and `python -m nncore --version/--config`: what was built,
what this CPU gets, where the thread count came from; the serial-build warning."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings

import pytest

import nncore as nc
from nncore.native import config, requested_num_threads


def test_build_info_is_consistent():
    i = config.build_info()
    assert i["version"] == nc.__version__
    assert i["compiler"] and i["compiler"] != "unknown"
    assert i["gemm_kernel"] in i["gemm_kernels_compiled"].split(",")
    if i["simd_clones_compiled"]:
        assert i["simd_clone"] in ("avx512", "avx2", "default")
    else:
        assert i["simd_clone"] == ""
    assert i["threads"] == nc.get_num_threads() >= 1
    if not i["openmp"]:
        assert i["threads"] == 1 and i["threads_from"] == "serial build"


@pytest.mark.skipif(not config.build_info()["openmp"], reason="serial build")
def test_thread_source_follows_set_num_threads():
    before = requested_num_threads()
    try:
        nc.set_num_threads(1)
        i = config.build_info()
        assert (i["threads"], i["threads_from"]) == (1, "set_num_threads")
        nc.set_num_threads(None)
        assert config.build_info()["threads_from"] != "set_num_threads"
    finally:
        nc.set_num_threads(before)


def test_show_config_prints_every_fact():
    out = io.StringIO()
    nc.show_config(file=out)
    text = out.getvalue()
    i = config.build_info()
    for fact in (f"nncore {nc.__version__}", i["compiler"], f"selected: {i['gemm_kernel']}",
                 f"threads:         {i['threads']} ({i['threads_from']})"):
        assert fact in text


def test_serial_build_warns_and_can_be_silenced():
    assert not config.warn_if_serial(True)
    with pytest.warns(nc.SerialBuildWarning, match="without OpenMP"):
        assert config.warn_if_serial(False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message="nncore was built without OpenMP")
        config.warn_if_serial(False)  # silenced: no error


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.run([sys.executable, "-m", "nncore", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_cli_version_and_config():
    r = _cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"nncore {nc.__version__}"
    r = _cli("--config")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"nncore {nc.__version__}\n") and "OpenMP:" in r.stdout
