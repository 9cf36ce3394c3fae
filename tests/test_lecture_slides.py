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
