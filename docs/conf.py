"""Sphinx configuration: the API reference from the docstrings (autodoc +
autosummary, numpydoc sections), the guides as Markdown (MyST).

    pip install ".[docs]"  &&  sphinx-build -W -b html docs build/docs

Built with -W in CI: a broken reference or a malformed docstring fails it.
"""
from __future__ import annotations

import os
import sys

import glob  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The package built in place (tools/dev-build) if there is one, else as installed.
SOURCE = os.path.join(HERE, "..", "python")
if glob.glob(os.path.join(SOURCE, "nncore", "_core*.so")) or \
        glob.glob(os.path.join(SOURCE, "nncore", "_core*.pyd")):  # not the .pyi stubs
    sys.path.insert(0, SOURCE)

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

# --- The house docstrings are plain text (the lecture's formulas, indented under
# a line ending in ':'), read with help() as often as here. Rather than rewrite
# them in reStructuredText, the docs read them as what they are: an indented
# block after a ':' line is a literal block, |x| and name_ are text, not markup.
import re  # noqa: E402

_SECTION_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_TRAILING_UNDERSCORE = re.compile(r"(\w)_(?=[\s.,;:)\]'\"]|$)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _escape_text(line: str) -> str:
    # Only outside ``inline literals``.
    parts = line.split("``")
    for k in range(0, len(parts), 2):
        parts[k] = _TRAILING_UNDERSCORE.sub(r"\1\\_", parts[k].replace("|", r"\|"))
    return "``".join(parts)


def _plain_text_docstring(app, what, name, obj, options, lines):
    out: list[str] = []
    in_section = False  # numpydoc sections (Parameters, ...) keep their own layout
    literal_indent = None
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _SECTION_UNDERLINE.match(nxt) and line.strip():
            in_section = line.strip() not in ("Examples", "Notes")
        if literal_indent is not None and line.strip() and _indent(line) <= literal_indent:
            literal_indent = None
            if out and out[-1].strip():
                out.append("")
        if literal_indent is None:
            line = _escape_text(line)
        out.append(line)
        if (literal_indent is None and not in_section and line.strip() and nxt.strip()
                and _indent(nxt) > _indent(line) and not _SECTION_UNDERLINE.match(nxt)):
            if not line.rstrip().endswith("::"):
                out[-1] = line.rstrip() + (":" if line.rstrip().endswith(":") else "::")
            out.append("")
            literal_indent = _indent(line)
        elif literal_indent is None and line.rstrip().endswith("::"):
            literal_indent = _indent(line)
    lines[:] = out


def _skip_sklearn_members(app, what, name, obj, skip, options):
    # scikit-learn's generated set_*_request methods cite its own glossary.
    module = getattr(obj, "__module__", "") or ""
    return True if module.startswith("sklearn") else None


def setup(app):
    app.connect("autodoc-process-docstring", _plain_text_docstring, priority=100)
    app.connect("autodoc-skip-member", _skip_sklearn_members)
