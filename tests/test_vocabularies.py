"""Each string vocabulary is an enum whose values are the very strings its readers look up: the
locales' words, the template's blocks and the stylesheet's page classes. A value that names
nothing there is a typo the enum would otherwise carry into a sheet."""

from __future__ import annotations

from importlib import resources

import pytest

from derive import LANGUAGES
from derive.exercises.questions import KINDS, QuestionKind
from derive.grading.responses import ProblemKind
from derive.sheets.document import BlockKind, DocumentKind
from derive.text.locale import strings


def _template(name: str) -> str:
    return resources.files("derive").joinpath(f"templates/{name}").read_text("utf-8")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_kind_of_question_and_problem_has_its_words(lang):
    words = strings(lang)
    for kind in QuestionKind:
        assert kind in words["booklet"] and kind in words["lms"], kind
    for kind in ProblemKind:
        assert f"row_{kind}" in words["grade"], kind


def test_the_template_lays_out_every_block_and_styles_the_pages():
    sheet, css = _template("sheet.html.j2"), _template("sheet.css")
    for kind in BlockKind:
        assert f'block.kind == "{kind}"' in sheet, kind
    for kind in (DocumentKind.QUESTIONS, DocumentKind.KEY):
        assert f"body.{kind}" in css, kind


def test_a_typo_is_an_error_not_a_new_kind():
    assert tuple(QuestionKind) == KINDS and f"{QuestionKind.OUTPUT_GRADIENT}" == "output_gradient"
    with pytest.raises(ValueError):
        QuestionKind("output_gradients")
