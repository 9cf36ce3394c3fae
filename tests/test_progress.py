"""nncore.progress: the bar fit draws (80-column terminal, notebook) and the per-epoch lines."""
from __future__ import annotations

import io
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import nncore as nc
from nncore.progress import EpochLines, ProgressBar

PYTHONPATH = str(pathlib.Path(nc.__file__).resolve().parents[1])
FIT = """
import numpy as np, nncore as nc
rng = np.random.default_rng(0)
X = rng.normal(size=(2000, 2)); y = (X[:, 0] > 0).astype(float)
m = nc.Sequential(nc.Dense(2, 64), nc.Tanh(), nc.Dense(64, 1), nc.Sigmoid(), seed=0)
m.fit(X, y, optimizer=nc.Adam(0.01), epochs=40, batch_size=8, validation_split=0.25,
      verbose={verbose})
"""


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    return X, (X[:, 0] > 0).astype(float)


def _run_in_pty(code, columns):
    """Run `code` with stderr on a pseudo-terminal of `columns` columns; return what it drew."""
    import fcntl
    import pty
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {**os.environ, "PYTHONPATH": PYTHONPATH, "COLUMNS": str(columns)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_bar_fits_an_80_column_terminal_and_ends_with_rate():
    out = _run_in_pty(FIT.format(verbose='"auto"'), 80)  # auto: stderr is a terminal
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out)    # drop cursor/erase sequences
    frames = [f for f in re.split(r"[\r\n]", text) if f.strip()]
    assert frames, out
    assert max(len(f) for f in frames) <= 80, max(frames, key=len)
    last = frames[-1]
    assert "40/40" in last and "samples/s" in last and "loss" in last, last
    assert re.search(r" \d\d:\d\d<", last), last       # elapsed time shown


def test_verbose_2_prints_one_line_per_epoch_when_piped():
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    res = subprocess.run([sys.executable, "-c", FIT.format(verbose=2).replace("40", "5")],
                         capture_output=True, text=True, env=env, timeout=120)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 0 and "\r" not in res.stderr
    assert [ln.split()[1] for ln in lines[:-1]] == [f"{e}/5" for e in range(1, 6)]
    assert all("loss" in ln and "val_acc" in ln for ln in lines[:-1])
    assert re.fullmatch(r"5 epochs in [0-9.]+s, [0-9.]+[kM]? samples/s", lines[-1]), lines[-1]


def test_auto_verbose_is_silent_off_a_terminal(capsys):
    X, y = _data()
    m = nc.Sequential(nc.Dense(2, 1), nc.Sigmoid(), seed=0)
    m.fit(X, y, epochs=3)  # pytest's stderr is not a terminal
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("bad", ["loud", 3, True, None, -1])
def test_bad_verbose_is_refused_before_training(bad):
    X, y = _data()
    m = nc.Sequential(nc.Dense(2, 1), nc.Sigmoid(), seed=0)
    before = m.get_flat_parameters()
    with pytest.raises(ValueError, match=r"^fit: verbose must be 'auto', 0, 1 or 2"):
        m.fit(X, y, epochs=3, verbose=bad)
    np.testing.assert_array_equal(m.get_flat_parameters(), before)
    assert m.optimizer_state is None


def test_bar_and_lines_report_the_metrics_they_are_given():
    out = io.StringIO()
    bar = ProgressBar(10, first_epoch=0, samples_per_epoch=100, stream=out)
    bar.update({"epoch": 4, "loss": 0.5, "accuracy": 0.75, "time": 2.5})
    bar.close()
    text = out.getvalue()
    assert "5/10" in text and "loss 0.5" in text and "acc 0.750" in text
    assert "samples/s" in text
    out = io.StringIO()
    lines = EpochLines(3, first_epoch=7, samples_per_epoch=10, stream=out)
    lines.update({"epoch": 7, "loss": 0.25, "val_loss": 0.5, "time": 0.1})
    assert out.getvalue() == "epoch 1/3  loss 0.25  val_loss 0.5  0.10s\n"


def test_notebook_kernel_shows_the_bar_under_auto():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {PYTHONPATH!r})\n" + FIT.format(verbose='"auto"')
        .replace("40", "3"))]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    shown = "".join(o.get("text", "") for o in outputs if o.output_type == "stream") + \
        "".join(str(o.get("data", {})) for o in outputs if o.output_type == "display_data")
    assert "3/3" in shown or "HBox" in shown or "FloatProgress" in shown, outputs
