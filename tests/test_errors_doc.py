"""docs/errors.md is generated from the tests' bad-input tables (tools/gen-errors-doc)
and must not go stale: this fails until the page is regenerated."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docs_errors_md_is_up_to_date():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen-errors-doc"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + "\nrun tools/gen-errors-doc and commit the page"
