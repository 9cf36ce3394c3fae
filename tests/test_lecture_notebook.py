"""examples/lecture.ipynb runs from top to bottom (so it cannot rot)."""
from __future__ import annotations

import os
import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "examples" / "lecture.ipynb"


def test_lecture_notebook_executes():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    import nncore   # the kernel imports the same nncore as this test (source tree or installed)
    python_dir = str(pathlib.Path(nncore.__file__).resolve().parents[1])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = python_dir + (os.pathsep + old if old else "")
    try:
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert "failed for 14 of 30 seeds" in outputs
    assert "by hand: [0. 1. 1. 0.]" in outputs
    assert "p 0.5: train loss" in outputs
