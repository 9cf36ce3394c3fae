"""--lang de and the slide mapping: every section has its slides' German title."""
from __future__ import annotations

import pytest

from nncore.__main__ import main
from nncore.lecture.slides import SLIDES
from nncore.lecture.walkthrough import SECTIONS, run_all


def test_every_section_has_its_slides():
    assert set(SLIDES) == set(SECTIONS)
    assert all(title and slides for title, slides in SLIDES.values())


def test_german_headings(tmp_path):
    ctx = run_all(out=str(tmp_path), quick=True, only="xor", echo=False, plots=False,
                  lang="de")
    text = "\n".join(ctx.lines)
    assert "== 1. Beispiel: XOR" in text and "Zusammenfassung" in text
    assert "output [0, 1, 1, 0]" in text        # the numbers stay as they are
    with pytest.raises(ValueError, match="lang"):
        run_all(out=None, only="xor", echo=False, plots=False, lang="fr")


def test_cli_list_in_german(capsys):
    assert main(["--list", "--lang", "de"]) == 0
    out = capsys.readouterr().out
    assert "Lernrate muss „gut“ gewählt werden" in out
    assert len(out.strip().splitlines()) == len(SECTIONS)


def _ctx_sub_calls():
    """(file, line, keyword names) of every ctx.sub(...) call in nncore.lecture."""
    import ast
    import pathlib
    import nncore.lecture
    folder = pathlib.Path(nncore.lecture.__file__).parent
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "sub" and getattr(node.func.value, "id", "") == "ctx":
                yield path.name, node.lineno, {k.arg for k in node.keywords}


def test_every_sub_headline_has_a_german_form():
    calls = list(_ctx_sub_calls())
    assert len(calls) >= 15
    assert [c for c in calls if "de" not in c[2]] == []


def test_german_sub_headlines_in_the_whole_walkthrough(tmp_path):
    runs = {lang: run_all(out=None, quick=True, echo=False, plots=False, lang=lang)
            for lang in ("en", "de")}
    subs = {lang: [line for line in ctx.lines if line.startswith("-- ")]
            for lang, ctx in runs.items()}
    assert len(subs["de"]) == len(subs["en"]) >= 18
    assert all(de != en for de, en in zip(subs["de"], subs["en"]))
    heads = [line for line in runs["de"].lines if line.startswith("== ")]
    assert [h.split(". ", 1)[1].rstrip(" =") for h in heads[:-1]] == \
        [SLIDES[k][0] for k in SECTIONS]
    text = "\n".join(subs["de"])
    # the slides' own words where a slide says it
    for phrase in ("→ Overfitting?", "„Nicht konvex: viele lokale Optima“", "Local Minima:",
                   "Saddle points:", "Etwas komplizierter:", "Einfaches Beispiel:",
                   "„Kosten sind quadratisch in der Zahl der Neuronen pro Schicht“",
                   "„Benutze ReLU, aber justiere die Lernrate und die Initialisierung der "
                   "Parameter“", "„exp() ist aufwändig zu berechnen“",
                   "„Parameter α muss/kann gelernt werden“", "„Wenn Input klein: Flach → Kein "
                   "Gradient“", "Jacobi-Matrix"):
        assert phrase in text, phrase
    # the sections without sub-headlines have a German headline line under their title
    for key in ("symmetry", "activation-choice", "digits", "width-depth", "feature-space"):
        lines = {lang: ctx.lines[ctx.lines.index(next(l for l in ctx.lines if l.startswith(
                     f"== {SECTIONS[key][0]}. "))) + 1] for lang, ctx in runs.items()}
        assert lines["de"] != lines["en"] and lines["de"].startswith("  "), key
    assert "„Tiefere neuronale Netze können mit weniger Parametern bessere Modelle liefern" \
        in "\n".join(runs["de"].lines)
    # numbers and tables stay as they are: everything but the headlines is the same
    rest = {lang: [l for l in ctx.lines if not l.startswith(("-- ", "== ", "nncore —"))
                   and "seconds" not in l and not l.lstrip().startswith(tuple("0123456789"))]
            for lang, ctx in runs.items()}
    assert len(rest["de"]) == len(rest["en"])
