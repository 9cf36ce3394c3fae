"""Sphinx configuration: the API reference from the docstrings (autodoc +
autosummary, numpydoc sections), the guides as Markdown (MyST).

    pip install ".[docs]"  &&  sphinx-build -W -b html docs build/docs

Built with -W in CI: a broken reference or a malformed docstring fails it.
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The package as installed (pip install .) or built in place (tools/dev-build).
sys.path.insert(0, os.path.join(HERE, "..", "python"))

import nncore  # noqa: E402

project = "nncore"
author = "the nncore authors"
copyright = "nncore authors, MIT licence"
release = version = nncore.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"        # the numpydoc Parameters sections say the types
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()   # house style is checked by review, not here
numpydoc_xref_param_type = False

# Links to repository files outside docs/ (README's tests/, examples/) are not pages.
suppress_warnings = ["myst.xref_missing"]

html_theme = "alabaster"
html_title = f"nncore {release}"
