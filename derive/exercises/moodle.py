"""An exercise set as Moodle XML: a category, then one cloze question per variant.

Facts from Moodle's importer (question/format/xml/format.php, question/type/multianswer):
- `$course$/derive/<set>` puts what follows in that category (Moodle 3.5+ adds `top/`; a `/`
  inside a name is written `//`), so a quiz's "random question from this category" gives
  each student a variant.
- A cloze sub-question `{1:NUMERICAL:=0.304:0.0005#feedback~%50%0.304:0.002#feedback}`: the
  1 is its mark, `=` is 100 %, `%50%` a fraction that must be one of Moodle's (FRACTIONS), the
  tolerance is absolute, the first matching answer wins, and one answer must be 100 %.
- A feedback ends at the first `~` or `}` that has no backslash before it; the importer then
  decodes HTML entities and turns `\\}` and `\\#` into `}` and `#`, and nothing else. So `}` and
  `#` are escaped with a backslash, and `~`, `\\`, `&`, `<`, `>` as entities that decode to
  what the feedback shows (a backslash before any other character would stay visible).
- Images: `<file name="V01.svg" path="/" encoding="base64">` inside `<questiontext>`, shown
  by `<img src="@@PLUGINFILE@@/V01.svg">`; HTML cleaning drops inline SVG and data: URLs.

Same set, same bytes: nothing here depends on time, order of a dict, or the machine.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

from markupsafe import Markup

from derive.exercises import lms
from derive.exercises.exercise_set import ExerciseSet
from derive.text.locale import fill, strings

# Moodle's grade options (question_bank::fraction_options_full, in percent): any other
# fraction makes the import fail
FRACTIONS = (
    "100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333",
    "30", "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5", "0",
)  # fmt: skip
PENALTY = "0.3333333"  # Moodle's default penalty for a wrong try
_FEEDBACK = re.compile(r"[\\~}#&<>]")
_FEEDBACK_ESCAPES = {
    "\\": "&#92;",
    "~": "&#126;",
    "}": "\\}",
    "#": "\\#",
    "&": "&amp;amp;",  # decoded once by the importer: the stored HTML keeps &amp;
    "<": "&amp;lt;",
    ">": "&amp;gt;",
}


def category_path(exercises: ExerciseSet) -> str:
    return "$course$/derive/" + lms.set_label(exercises).replace("/", "//")


def moodle_xml(exercises: ExerciseSet, lang: str) -> bytes:
    """The set as a Moodle XML file (UTF-8), questions' words in `lang`."""
    html = lms.Html()
    label = lms.set_label(exercises)
    quiz = ET.Element("quiz")
    category = ET.SubElement(quiz, "question", type="category")
    _text(ET.SubElement(category, "category"), category_path(exercises))
    info = fill(strings(lang)["lms"]["category_info"], set=label)
    _text(ET.SubElement(category, "info", format="html"), f"<p>{Markup.escape(info)}</p>")
    for page in lms.pages(exercises, lang):
        question = ET.SubElement(quiz, "question", type="cloze")
        _text(ET.SubElement(question, "name"), f"{label} {page.id}")
        text = ET.SubElement(question, "questiontext", format="html")
        boxes = [Markup(cloze(asked)) for asked in page.asked]
        _text(text, html.cloze(page, f"@@PLUGINFILE@@/{page.image}", boxes))
        image = ET.SubElement(text, "file", name=page.image, path="/", encoding="base64")
        image.text = base64.b64encode(page.svg).decode("ascii")
        feedback = ET.SubElement(question, "generalfeedback", format="html")
        _text(feedback, html.worked(page, page.asked))
        ET.SubElement(question, "penalty").text = PENALTY
        ET.SubElement(question, "hidden").text = "0"
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"


def cloze(asked: lms.Asked) -> str:
    """One NUMERICAL sub-question of mark 1: each accepted range as value:tolerance."""
    answers = []
    for a in asked.accepted:
        if a.percent not in FRACTIONS:
            raise ValueError(f"{a.percent}% is not one of Moodle's fractions")
        mark = "=" if a.full else f"%{a.percent}%"
        tolerance = lms.number(a.tolerance)
        answers.append(f"{mark}{lms.number(a.value)}:{tolerance}#{feedback_text(a.feedback)}")
    return "{1:NUMERICAL:" + "~".join(answers) + "}"


def feedback_text(text: str) -> str:
    """Plain text as a cloze answer's feedback that Moodle imports as exactly that text."""
    return _FEEDBACK.sub(lambda m: _FEEDBACK_ESCAPES[m.group()], text)


def _text(parent: ET.Element, value: str) -> None:
    ET.SubElement(parent, "text").text = value
