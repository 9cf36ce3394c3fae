"""nncore.sklearn without scikit-learn: an ImportError that names the extra to install."""
from conftest import assert_clean_exit, run_isolated

HIDDEN = """
import sys
# None in sys.modules makes `import name` raise ImportError, as if it were not installed.
for name in ("sklearn", "scipy"):
    sys.modules[name] = None
import nncore  # the core package needs neither
try:
    import nncore.sklearn
except ImportError as e:
    print("MESSAGE:", e)
else:
    print("imported without scikit-learn")
"""


def test_import_without_sklearn_names_the_extra():
    proc = run_isolated(HIDDEN)
    assert_clean_exit(proc, expect="MESSAGE:")
    assert "pip install nncore[sklearn]" in proc.stdout, proc.stdout


def test_the_extra_is_declared():
    import pathlib
    import re
    text = (pathlib.Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert re.search(r'^sklearn = \["scikit-learn>=[\d.]+"\]$', text, re.M), \
        "pyproject.toml: [project.optional-dependencies] sklearn"
