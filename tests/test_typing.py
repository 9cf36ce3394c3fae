"""nncore's typed face: a user script type-checks with mypy --strict and gets the right
types for Sequential.fit, predict, loss_and_grad, evaluate, load and History."""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest


pytest.importorskip("mypy")
SCRIPT = pathlib.Path(__file__).parent / "typing" / "user_script.py"
ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_user_script_gets_the_documented_types(tmp_path):
    # From the repository root, so pyproject's [tool.mypy] (mypy_path = python: the typed
    # sources and the compiled core's stubs) applies, installed package or not.
    res = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                          "--cache-dir", str(tmp_path), "--hide-error-context",
                          "--follow-imports=silent", str(SCRIPT)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    got = {}
    for line in res.stdout.splitlines():
        m = re.match(r".*user_script\.py:(\d+): (?:note|error): (.*)", line)
        if m:
            got.setdefault(int(m.group(1)), []).append(m.group(2))
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    expected = {i + 1: line.split("# E: ", 1)[1] for i, line in enumerate(lines) if "# E: " in line}
    assert expected, "no expectations in the script"
    for lineno, want in expected.items():
        messages = got.get(lineno, [])
        assert any(want in msg for msg in messages), (lineno, want, messages, res.stdout[-2000:])
    unexpected = {k: v for k, v in got.items() if k not in expected}
    assert not unexpected, unexpected
