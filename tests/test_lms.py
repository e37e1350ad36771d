"""LMS export of exercise sets: Moodle XML (cloze) and a QTI 1.2 package (Canvas), parsed the
way the LMS reads them and held against the set's key (exercises.json)."""

from __future__ import annotations

import base64
import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal

import pytest

from derive.commands.cli import main
from derive.engine.network import build_network
from derive.exercises.exercise_set import build_set, to_json
from derive.exercises.moodle import FRACTIONS, category_path, feedback_text, moodle_xml
from derive.exercises.qti import qti_zip
from derive.sheets.diagram import layout
from derive.sheets.document import Document, Figure, Section
from derive.text.numbers import given_text
from derive.typeset.html import HtmlRenderer
from derive.typeset.svg import DiagramFiles
from tests.conftest import make_spec

SVG = "{http://www.w3.org/2000/svg}svg"
QTI = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}
CP = {"m": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}
HANGUL = re.compile("[\uac00-\ud7a3]")

# Moodle's cloze parser (question/type/multianswer/questiontype.php), ported: Python's
# lookbehinds are fixed-width, so (?<!\\|&|&amp;) is written as three
FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALTERNATIVE = f"({FRACTION})?({ANSWER})(#({FEEDBACK}))?"
CLOZE = re.compile(
    r"\{([0-9]*):(NUMERICAL|NM):(" + ALTERNATIVE + "(~" + ALTERNATIVE + r")*)\}", re.S
)
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL = re.compile(f"^({NUMBER})(:{NUMBER})?$", re.S)


def moodle_cloze(text: str) -> list[list[tuple[Decimal, str, str, str]]]:
    """Every sub-question of a question text as Moodle's importer reads it: per answer its
    fraction (percent), answer, tolerance and feedback (entities decoded, \\} and \\# undone)."""
    found = []
    while (match := CLOZE.search(text)) is not None:
        answers, rest = [], match.group(3)
        while (alt := re.search("~?" + ALTERNATIVE, rest, re.S)) is not None:
            fraction = Decimal(100) if alt.group(1) == "=" else Decimal(alt.group(2) or 0)
            feedback = html.unescape(alt.group(5) or "").replace("\\}", "}").replace("\\#", "#")
            number = NUMERICAL.match(alt.group(3))
            assert number is not None, alt.group(3)
            answers.append((fraction, number.group(1), number.group(6) or "0", feedback))
            rest = rest.split(alt.group(0), 1)[1]
        found.append(answers)
        text = text.replace(match.group(0), "", 1)
    return found


@pytest.fixture(scope="module")
def exercises():
    return build_set(None, 3, seed=4, level=2)


@pytest.fixture(scope="module")
def moodle(exercises) -> bytes:
    return moodle_xml(exercises, "en")


@pytest.fixture(scope="module")
def qti(exercises) -> bytes:
    return qti_zip(exercises, "en")


def _unit(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def _full_credit(q: dict) -> list[Decimal]:
    """What earns full credit, from the key: the exact answer, and the hand-carried value
    where it reads differently at the asked digits."""
    exact, rounded = Decimal(repr(q["answer"])), Decimal(repr(q["rounded"]))
    unit = _unit(q["decimals"])
    differs = rounded.quantize(unit) != exact.quantize(unit)
    return [exact, rounded] if differs else [exact]


def test_moodle_xml_is_a_category_then_a_cloze_question_per_variant(exercises, moodle):
    questions = ET.fromstring(moodle).findall("question")
    assert [q.get("type") for q in questions] == ["category"] + ["cloze"] * 3
    assert questions[0].findtext("category/text") == "$course$/derive/level2 seed 4"
    names = [q.findtext("name/text") for q in questions[1:]]
    assert names == ["level2 seed 4 V01", "level2 seed 4 V02", "level2 seed 4 V03"]
    assert all(q.findtext("questiontext/text") for q in questions[1:])


def test_every_moodle_answer_and_tolerance_matches_the_key(exercises, moodle):
    key = to_json(exercises)
    clozes = ET.fromstring(moodle).findall("question[@type='cloze']")
    assert len(clozes) == len(key["variants"])
    for question, variant in zip(clozes, key["variants"], strict=True):
        asked = moodle_cloze(question.findtext("questiontext/text"))
        assert len(asked) == len(variant["questions"])
        for answers, q in zip(asked, variant["questions"], strict=True):
            unit, tolerance = _unit(q["decimals"]), Decimal(repr(q["tolerance"]))
            fractions = [a[0] for a in answers]
            assert all(f"{f.normalize():f}" in FRACTIONS for f in fractions), fractions
            assert fractions == sorted(fractions, reverse=True)  # tight full credit first
            first_fraction, first, first_tolerance, _ = answers[0]
            assert first_fraction == 100 and Decimal(first_tolerance) == tolerance
            assert abs(Decimal(first) - Decimal(repr(q["answer"]))) <= unit * Decimal("1e-6")
            full = [(Decimal(a), Decimal(t)) for f, a, t, _ in answers if f == 100]
            expected = _full_credit(q)
            assert len(full) == len(expected)
            for (value, width), want in zip(full, expected, strict=True):
                assert width == tolerance == unit / 2
                assert abs(value - want) <= unit * Decimal("1e-6")
            for _, _, width, _ in answers:
                assert Decimal(width) <= 2 * unit  # never wider than two units


def test_cloze_feedback_survives_moodles_parser_character_for_character():
    nasty = 'a } b # c ~ d / e " f \\ g \\} h <b> & i 100%'
    close = feedback_text("~}")
    box = "{1:NUMERICAL:=0.5:0.05#" + feedback_text(nasty) + "~%50%0.5:0.1#" + close + "}"
    text = f"<p>one {box} two {{1:NUMERICAL:=1:0#ok}}</p>"
    first, second = moodle_cloze(text)
    # Moodle stores the feedback as HTML: the text, with markup characters escaped (not tags)
    stored = html.escape(nasty, quote=False)
    assert first == [(100, "0.5", "0.05", stored), (50, "0.5", "0.1", "~}")]
    assert second == [(100, "1", "0", "ok")]


def test_the_diagram_is_a_file_referenced_by_pluginfile(moodle):
    for question in ET.fromstring(moodle).findall("question[@type='cloze']"):
        text = question.find("questiontext")
        name = re.search(r'<img src="@@PLUGINFILE@@/([^"]+)"', text.findtext("text")).group(1)
        files = text.findall("file")
        assert [(f.get("name"), f.get("path"), f.get("encoding")) for f in files] == [
            (name, "/", "base64")
        ]
        assert ET.fromstring(base64.b64decode(files[0].text)).tag == SVG
        assert "<svg" not in text.findtext("text")  # Moodle's HTML cleaning drops inline SVG


def test_general_feedback_is_the_worked_step_in_mathjax_delimiters(moodle):
    question = ET.fromstring(moodle).find("question[@type='cloze']")
    feedback = question.findtext("generalfeedback/text")
    assert feedback.count(r"\(") == feedback.count(r"\)") >= 6
    assert r"\frac{\partial C}{\partial w_{5}}" in feedback
    assert r"\delta_{3} = " in feedback  # a gradient's error signal, then the gradient


def test_same_set_same_bytes():
    one, two = build_set(None, 2, seed=9, level=3), build_set(None, 2, seed=9, level=3)
    assert moodle_xml(one, "ko") == moodle_xml(two, "ko")
    assert qti_zip(one, "ko") == qti_zip(two, "ko")


def test_korean_questions(exercises, moodle):
    korean = moodle_xml(exercises, "ko").decode("utf-8")
    text = ET.fromstring(korean).find("question[@type='cloze']").findtext("questiontext/text")
    assert "버전 V01" in text and "학습률" in text and "출력층 가중치의 기울기" in text
    assert not HANGUL.search(moodle.decode("utf-8"))
    qti = zipfile.ZipFile(io.BytesIO(qti_zip(exercises, "ko")))
    assert "신경망" in qti.read(qti.namelist()[1]).decode("utf-8")


def test_category_names_escape_slashes():
    spec = make_spec()
    one = build_set(spec, None)
    assert category_path(one) == "$course$/derive/test seed 1"
    renamed = type(one)(**{**one.__dict__, "name": "week 3/backprop"})
    assert category_path(renamed) == "$course$/derive/week 3//backprop seed 1"


def _qti_files(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}


def test_qti_package_has_a_manifest_naming_every_file(qti):
    files = _qti_files(qti)
    manifest = ET.fromstring(files["imsmanifest.xml"])
    resources = manifest.findall("m:resources/m:resource", CP)
    types = [r.get("type") for r in resources]
    assert types == ["imsqti_xmlv1p2"] + ["webcontent"] * 3
    hrefs = [f.get("href") for r in resources for f in r.findall("m:file", CP)]
    assert sorted(hrefs) == sorted(n for n in files if n != "imsmanifest.xml")
    for href in hrefs[1:]:
        assert ET.fromstring(files[href]).tag == SVG


def test_every_qti_item_bounds_the_keys_answers(exercises, qti):
    key = to_json(exercises)
    files = _qti_files(qti)
    test = ET.fromstring(files["derive_level2_seed_4/derive_level2_seed_4.xml"])
    sections = test.findall("q:assessment/q:section/q:section", QTI)
    assert [s.get("title") for s in sections] == ["V01", "V02", "V03"]
    for section, variant in zip(sections, key["variants"], strict=True):
        items = section.findall("q:item", QTI)
        assert section.findtext(".//q:selection_number", namespaces=QTI) == str(len(items))
        assert len(items) == len(variant["questions"])
        for item, q in zip(items, variant["questions"], strict=True):
            kind = item.findtext(".//q:fieldentry", namespaces=QTI)
            assert kind == "numerical_question"
            tolerance = Decimal(repr(q["tolerance"]))
            ranges = []
            for condition in item.findall("q:resprocessing/q:respcondition", QTI):
                either = condition.find("q:conditionvar/q:or", QTI)
                if either is None:
                    continue
                exact = Decimal(either.findtext("q:varequal", namespaces=QTI))
                low = Decimal(either.findtext("q:and/q:vargte", namespaces=QTI))
                high = Decimal(either.findtext("q:and/q:varlte", namespaces=QTI))
                # Canvas reads the margin as varlte − varequal
                assert high - exact == exact - low == tolerance
                assert condition.findtext("q:setvar", namespaces=QTI) == "100"
                ranges.append(exact)
            expected = _full_credit(q)
            assert len(ranges) == len(expected)
            for value, want in zip(ranges, expected, strict=True):
                assert abs(value - want) <= _unit(q["decimals"]) * Decimal("1e-6")
            text = item.findtext(".//q:presentation//q:mattext", namespaces=QTI)
            image = re.search(r'src="\$IMS-CC-FILEBASE\$/([^"]+)"', text).group(1)
            assert image in files and image.endswith(f"{variant['id']}.svg")
            worked = item.findtext("q:itemfeedback//q:mattext", namespaces=QTI)
            assert r"\(" in worked


def test_qti_zip_entries_carry_no_time_of_their_own(qti):
    infos = zipfile.ZipFile(io.BytesIO(qti)).infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_the_standalone_diagram_is_the_sheets_diagram():
    net = build_network(make_spec(bias="neuron", biases=[0.1, -0.2, 0.3]))
    diagram = layout(net, {name: given_text(value) for name, value in net.given.items()})
    document = Document(
        "en", "t", "s", (Section("givens", "Given", (Figure(diagram, "The network."),)),), ()
    )
    page = HtmlRenderer().render(document, "", {})
    inline = re.search(r"<svg .*?</svg>", page, re.S).group(0)
    standalone = DiagramFiles().svg(diagram, "The network.").decode("utf-8")
    assert standalone.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns=')
    bare = standalone.split("\n", 1)[1].strip()
    bare = bare.replace('xmlns="http://www.w3.org/2000/svg" ', "").replace(", sans-serif", "")
    assert bare == inline


def test_cli_writes_moodle_and_qti_files(tmp_path, capsys):
    out = tmp_path / "set"
    args = ["exercises", "--count", "2", "--level", "2", "--seed", "4", "--format", "html"]
    args += ["-o", str(out)]
    booklets = ["exercises.json", "questions.en.html", "answers.en.html"]
    assert main([*args, "--moodle", "--qti"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / n) for n in (*booklets, "moodle.xml", "qti.zip")]
    assert ET.fromstring((out / "moodle.xml").read_bytes()).tag == "quiz"
    assert main(args) == 0  # without the flags: no LMS files
    assert capsys.readouterr().out.split() == [str(out / n) for n in booklets]
