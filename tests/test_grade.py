"""Class grading (`derive grade`): a synthetic class of a small set graded against its verified
variants, with rounding drift, slips, carried errors, empty cells and bad rows."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import pytest
from fontTools.ttLib import TTFont

from derive.commands.cli import main
from derive.engine.batch import Batch
from derive.engine.exact import round_fixed
from derive.engine.names import Name
from derive.engine.quantities import compute_all, quantities
from derive.engine.spec import load_spec
from derive.engine.training import descend
from derive.exercises.exercise_set import ExerciseSet, build_set, fingerprint, to_json
from derive.exercises.generator import Variant
from derive.grading.checker import check
from derive.grading.exercise_file import ExerciseFile
from derive.grading.grades import (
    DEFAULT_MARKS,
    NOT_SLIPS,
    SYMBOLS,
    grade_class,
    histogram,
    inert,
    number,
    parse_marks,
)
from derive.grading.responses import read_responses
from derive.text.locale import LANGUAGES, strings

# the columns as students write them, in another order than the set's (h1, o1, C, dC/dw5,
# dC/dw1, w5')
HEADER = ["student", "variant", "o1", "h1", "C", "∂C/∂w5", "dC / dw1", "w5′"]


def write_set(folder: Path, exercises: ExerciseSet) -> Path:
    folder.mkdir()
    text = json.dumps(to_json(exercises), ensure_ascii=False, indent=1) + "\n"
    (folder / "exercises.json").write_text(text, "utf-8")
    return folder


@pytest.fixture(scope="module")
def level1() -> ExerciseSet:
    return build_set(None, 3, seed=4, level=1)


@pytest.fixture(scope="module")
def level3() -> ExerciseSet:
    return build_set(None, 3, seed=4, level=3)


def shown(variant: Variant) -> dict[Name, Decimal]:
    """Every answer right, to the decimals asked."""
    return {q.name: q.shown for q in variant.questions}


def drifted(variant: Variant) -> dict[Name, Decimal]:
    """Every intermediate rounded by hand and carried on: the set's `rounded` values, written
    to the decimals asked."""
    return {q.name: round_fixed(q.rounded, q.decimals) for q in variant.questions}


def sign_slip(variant: Variant) -> dict[Name, Decimal]:
    """Right, but the update written p + η·∂C/∂p."""
    answers = shown(variant)
    update = next(q for q in variant.questions if q.kind == "update")
    spec = variant.spec
    before = variant.derivation.network.given[update.name.of]
    gradient = variant.derivation.gradients[update.name.of].value
    answers[update.name] = round_fixed(before + spec.learning_rate * gradient, update.decimals)
    return answers


def carried(variant: Variant, wrong: Name, by: Decimal) -> dict[Name, Decimal]:
    """`wrong` off by `by`, and every later answer computed correctly from the student's own
    earlier (rounded) answers."""
    table = quantities(variant.derivation.network, descend(Batch((variant.derivation,))).rule)
    answers: dict[Name, Decimal] = {}
    for q in variant.questions:
        if q.name == wrong:
            answers[q.name] = q.shown + by
        else:
            answers[q.name] = round_fixed(compute_all(table, answers)[q.name], q.decimals)
    return answers


def row(student: str, variant: str, answers: dict[Name, Decimal | str | None]) -> list[str]:
    cells = [student, variant]
    for column in HEADER[2:]:
        value = answers.get(Name.parse(column))
        cells.append("" if value is None else value if isinstance(value, str) else f"{value:f}")
    return cells


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))  # as Excel saves it
    return path


def by_name(variant: Variant) -> dict[str, Name]:
    return {str(q.name): q.name for q in variant.questions}


@pytest.fixture(scope="module")
def klass(tmp_path_factory, level1):
    """The set's folder and RESPONSES.csv of a class of seven rows, two of them bad."""
    folder = tmp_path_factory.mktemp("class")
    set_dir = write_set(folder / "set", level1)
    v1, v2, v3 = level1.variants
    o1 = Name("o1")
    move = Decimal("-0.1") if shown(v1)[o1] > Decimal("0.5") else Decimal("0.1")
    empty = {n: v for n, v in shown(v2).items() if str(n) in ("h1", "o1")}
    rows = [
        row("ana", "V01", shown(v1)),
        row("ben", "V02", drifted(v2)),
        row("cho", "v3", sign_slip(v3)),  # the variant as a student may write it
        row("dan", "V01", carried(v1, o1, move)),
        row("eve", "V02", empty),
        row("fay", "V09", shown(v1)),  # line 7: no such variant
        row("gus", "V01", {**shown(v1), Name("C"): "0.4x"}),  # line 8: C in column 5
    ]
    return folder, set_dir, write_csv(folder / "responses.csv", rows)


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory):
    """Two runs of the command: the JSON, the stderr lines, the exit code and the files."""
    _, set_dir, responses = klass
    runs = []
    for k in range(2):
        out = tmp_path_factory.mktemp(f"out{k}")
        with pytest.MonkeyPatch.context() as patch:
            capture = io.StringIO(), io.StringIO()
            patch.setattr("sys.stdout", capture[0])
            patch.setattr("sys.stderr", capture[1])
            code = main(
                [
                    "grade",
                    str(responses),
                    "--set",
                    str(set_dir),
                    "-o",
                    str(out),
                    "--json",
                    "--lang",
                    "en,ko",
                ]
            )
        files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
        runs.append((code, capture[0].getvalue(), capture[1].getvalue(), files))
    return runs


def test_a_synthetic_class(graded, level1):
    code, stdout, stderr, _ = graded[0]
    assert code == 1  # two rows not graded
    students = {s["student"]: s for s in json.loads(stdout)}
    assert list(students) == ["ana", "ben", "cho", "dan", "eve"]
    verdicts = {
        student: {v["name"]: v["verdict"] for v in data["verdicts"]}
        for student, data in students.items()
    }
    names = [str(q.name) for q in level1.variants[0].questions]
    assert [v["name"] for v in students["ana"]["verdicts"]] == names  # the set's order
    assert set(verdicts["ana"].values()) == {"correct"}
    # rounding drift: correct where the hand-carried value is the shown one, else accepted
    v2 = level1.variants[1]
    drift = {
        str(q.name): "correct" if round_fixed(q.rounded, q.decimals) == q.shown else "accepted"
        for q in v2.questions
    }
    assert verdicts["ben"] == drift and "accepted" in drift.values()
    assert verdicts["cho"] == {**dict.fromkeys(names, "correct"), "w5'": "wrong"}
    slip = next(v for v in students["cho"]["verdicts"] if v["name"] == "w5'")
    assert slip["note"].startswith("update sign")
    assert verdicts["dan"] == {
        "h1": "correct",
        "o1": "wrong",
        **dict.fromkeys(names[2:], "carried"),
    }
    causes = [v["because_of"] for v in students["dan"]["verdicts"][2:]]
    assert causes == [["o1"], ["o1"], ["o1"], ["dC/dw5"]]  # the nearest wrong or carried claim
    assert verdicts["eve"] == {
        "h1": "correct",
        "o1": "correct",
        **dict.fromkeys(names[2:], "empty"),
    }
    scores = {s: (d["score"], d["max"]) for s, d in students.items()}
    assert scores == {"ana": (6, 6), "ben": (6, 6), "cho": (5, 6), "dan": (3, 6), "eve": (2, 6)}
    assert students["cho"]["variant"] == "V03"
    # the bad rows, one line each, by line and column
    assert stderr.splitlines()[:2] == [
        f"derive: {graded_source(stderr)}: line 7, column 2: no variant 'V09' in the set "
        "(V01, V02, V03)",
        f"derive: {graded_source(stderr)}: line 8, column 5: C: '0.4x' is not a number",
    ]


def graded_source(stderr: str) -> str:
    return re.match(r"derive: (.*?): line", stderr).group(1)


def test_the_json_shape(graded, level1):
    students = json.loads(graded[0][1])
    for student in students:
        assert list(student) == ["student", "variant", "score", "max", "verdicts"]
        for v in student["verdicts"]:
            assert list(v) == ["name", "claimed", "expected", "verdict", "note", "because_of"]
    eve = {v["name"]: v for v in students[4]["verdicts"]}
    w5 = next(q for q in level1.variants[1].questions if str(q.name) == "w5'")
    assert eve["w5'"] == {
        "name": "w5'",
        "claimed": None,
        "expected": f"{w5.shown:f}",
        "verdict": "empty",
        "note": f"not answered (true value {w5.shown:f})",
        "because_of": [],
    }
    assert eve["h1"]["claimed"] == eve["h1"]["expected"]


def test_grades_csv(graded):
    files = graded[0][3]
    assert set(files) == {
        "grades.csv",
        "report.en.html",
        "report.en.pdf",
        "report.ko.html",
        "report.ko.pdf",
    }
    data = files["grades.csv"]
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "student",
        "variant",
        "score",
        "max",
        "h1",
        "o1",
        "C",
        "dC/dw5",
        "dC/dw1",
        "w5'",
    ]
    assert [r[:4] for r in rows[1:]] == [
        ["ana", "V01", "6", "6"],
        ["ben", "V02", "6", "6"],
        ["cho", "V03", "5", "6"],
        ["dan", "V01", "3", "6"],
        ["eve", "V02", "2", "6"],
    ]
    assert rows[4][4:] == ["correct", "wrong", *["carried"] * 4]
    assert rows[5][4:] == ["correct", "correct", *["empty"] * 4]


def _cells(html: str, style: str) -> list[list[str]]:
    html = re.sub(r'<span class="w">(.*?)</span>', r"\1", html)
    table = re.search(rf'<table class="{style}">.*?</table>', html, re.S).group()
    return [re.findall(r"<t[dh]>(.*?)</t[dh]>", r) for r in re.findall(r"<tr.*?</tr>", table, re.S)]


def test_the_class_report_counts(graded):
    files = graded[0][3]
    students = json.loads(graded[0][1])
    html = files["report.en.html"].decode("utf-8")
    table = _cells(html, "class-verdicts")
    assert table[0] == ["quantity", "✓ correct", "≈ accepted", "⇒ carried", "✖ wrong", "○ empty"]
    verdicts = ("correct", "accepted", "carried", "wrong", "empty")
    for line, name in zip(table[1:], [v["name"] for v in students[0]["verdicts"]]):
        counts = [
            sum(v["name"] == name and v["verdict"] == k for s in students for v in s["verdicts"])
            for k in verdicts
        ]
        assert line[0] == Name.parse(name).label and line[1:] == list(map(str, counts))
    assert table[6][3:] == ["1", "1", "1"]  # w5′: dan's carried, cho's slip, eve's blank
    assert _cells(html, "class-slips")[1:] == [
        ["w₅′", "update sign: p + η·∂C/∂p for p − η·∂C/∂p", "1"]
    ]
    # five students: a row per whole mark (0–0.5, …, 5–5.5), full marks a row of their own
    histogram = {r[0]: (r[1], r[2]) for r in _cells(html, "class-histogram")[1:]}
    assert list(histogram) == [f"{k}–{k}.5" for k in range(6)] + ["6"]
    assert histogram["6"] == ("2", "■■") and histogram["5–5.5"] == ("1", "■")
    assert histogram["3–3.5"] == ("1", "■") and histogram["2–2.5"] == ("1", "■")
    assert histogram["4–4.5"] == ("0", "")
    facts = dict(_cells(html, "facts"))
    assert facts["students graded"] == "5"
    assert facts["rows not graded"] == "2"
    assert facts["set"] == "level 1, seed 4"
    assert facts["marks"].startswith("✓ correct 1 · ≈ accepted 1 · ⇒ carried 0.5")
    assert facts["mean score"] == "4.4 / 6" and facts["median score"] == "5 / 6"
    ko = files["report.ko.html"].decode("utf-8")
    assert _cells(ko, "class-verdicts")[0][1:] == [
        "✓ 정답",
        "≈ 인정",
        "⇒ 연쇄 오류",
        "✖ 오답",
        "○ 무응답",
    ]
    assert _cells(ko, "class-histogram")[1:] == _cells(html, "class-histogram")[1:]
    assert files["report.en.pdf"].startswith(b"%PDF") and files["report.ko.pdf"].startswith(b"%PDF")


def test_the_class_report_lists_students_and_the_rows_not_graded(graded, klass):
    """A roster (student, variant, score, named slips) and each row left out with who and
    why, in the teacher's words: no program's terms, the responses file named once."""
    files = graded[0][3]
    html = files["report.en.html"].decode("utf-8")
    assert _cells(html, "class-roster") == [
        ["student", "variant", "score", "named slips"],
        ["ana", "V01", "6 / 6", ""],
        ["ben", "V02", "6 / 6", ""],
        ["cho", "V03", "5 / 6", "w₅′ — update sign: p + η·∂C/∂p for p − η·∂C/∂p"],
        ["dan", "V01", "3 / 6", ""],
        ["eve", "V02", "2 / 6", ""],
    ]
    assert _cells(html, "class-rows") == [
        ["line", "student", "why"],
        ["7", "fay", "no variant &#39;V09&#39; in the set (V01, V02, V03)"],
        ["8", "gus", "C: &#39;0.4x&#39; is not a number"],
    ]
    ko = files["report.ko.html"].decode("utf-8")
    assert _cells(ko, "class-rows")[1:] == [
        ["7", "fay", "세트에 없는 버전이다: &#39;V09&#39; (세트의 버전: V01, V02, V03)"],
        ["8", "gus", "C 칸: 수로 읽을 수 없는 값 &#39;0.4x&#39;"],
    ]
    assert _cells(ko, "class-roster")[3][3].startswith("w₅′ — 갱신 부호")
    name = klass[2].name
    for text, jargon in ((html, "stderr"), (ko, "표준 오류")):
        assert jargon not in text
        assert text.count(name) == 1 and name in re.search(r"<footer>.*</footer>", text).group()


@pytest.mark.parametrize(
    ("students", "questions", "marks", "rows"),
    [
        (5, 6, "", ["0–0.5", "1–1.5", "2–2.5", "3–3.5", "4–4.5", "5–5.5", "6"]),
        (50, 6, "", [number(Decimal(k) / 2) for k in range(13)]),  # 2√50 ≈ 14 rows
        (5, 10, "", ["0–1.5", "2–3.5", "4–5.5", "6–7.5", "8–9.5", "10"]),
        (30, 10, "", [f"{k}–{k}.5" for k in range(10)] + ["10"]),
        (5, 6, "carried=0.25", [f"{k}–{k}.75" for k in range(6)] + ["6"]),
        (
            5,
            7,
            "correct=2,accepted=2,carried=1",
            [f"{k}–{k + 1}" for k in range(0, 14, 2)] + ["14"],
        ),
    ],
)
def test_histogram_rows_suit_the_class(students, questions, marks, rows):
    """About 2√N rows for N students (8 to 25): a row per possible score when the class
    fills them, else rows of a whole mark, two, four, five, …; full marks a row of their own."""
    graded = SimpleNamespace(
        max=questions * parse_marks(marks or "correct=1")["correct"],
        marks=parse_marks(marks) if marks else DEFAULT_MARKS,
        grades=[SimpleNamespace(score=Decimal(0))] * students,
    )
    bins = histogram(graded)
    assert [
        number(b.low) if b.low == b.high else f"{number(b.low)}–{number(b.high)}" for b in bins
    ] == rows
    assert bins[0].students == students and sum(b.students for b in bins) == students


def test_same_input_same_bytes(graded):
    first, second = graded
    assert first[1] == second[1]  # the JSON
    assert first[3] == second[3]  # grades.csv and the reports, HTML and PDF


def test_the_report_footer_names_no_absolute_path(graded, klass):
    folder = klass[0]
    html = graded[0][3]["report.en.html"].decode("utf-8")
    footer = re.search(r"<footer>(.*?)</footer>", html, re.S).group(1)
    assert (
        "Graded by derive" in footer and "--marks\u00a0correct=1,accepted=1,carried=0.5" in footer
    )
    assert str(folder) not in html


def test_a_level3_class(tmp_path, level3):
    set_dir = write_set(tmp_path / "set", level3)
    exercises = ExerciseFile(set_dir)
    v1, v2 = level3.variants[:2]
    names = [q.name for q in v1.questions]
    header = ["student", "variant", *map(str, names)]
    o1 = names[1]
    move = Decimal("-0.1") if shown(v1)[o1] > Decimal("0.5") else Decimal("0.1")

    def cells(student: str, variant: str, answers: dict[Name, Decimal]) -> list[str]:
        return [student, variant, *(f"{answers[n]:f}" for n in names)]

    rows = [
        cells("ana", "V01", shown(v1)),
        cells("ben", "V02", drifted(v2)),
        cells("dan", "V01", carried(v1, o1, move)),
    ]
    responses = read_responses(str(write_csv(tmp_path / "r.csv", rows, header)), exercises)
    grades = grade_class(exercises, responses, DEFAULT_MARKS).grades
    assert [v.verdict for v in grades[0].verdicts] == ["correct"] * 6
    assert {v.verdict for v in grades[1].verdicts} <= {"correct", "accepted"}
    assert [v.verdict for v in grades[2].verdicts] == ["correct", "wrong", *["carried"] * 4]
    assert [g.score for g in grades] == [6, 6, 3]


def test_each_variant_is_verified_once(tmp_path, level1, monkeypatch):
    import derive.grading.exercise_file as exercise_file

    solved = []
    real = exercise_file.solve
    monkeypatch.setattr(exercise_file, "solve", lambda spec: solved.append(spec.name) or real(spec))
    exercises = ExerciseFile(write_set(tmp_path / "set", level1))
    v1, v2, _ = level1.variants
    rows = [row(f"s{k}", ("V02", "V01")[k % 2], shown((v2, v1)[k % 2])) for k in range(6)]
    responses = read_responses(str(write_csv(tmp_path / "r.csv", rows)), exercises)
    grade_class(exercises, responses, DEFAULT_MARKS)
    assert solved == ["V01", "V02"]  # the set's order; V03, never answered, not at all


def test_marks_are_configurable(klass, capsys):
    _, set_dir, responses = klass
    marks = "carried=0.25,accepted=0.5"
    assert main(["grade", str(responses), "--set", str(set_dir), "--json", "--marks", marks]) == 1
    scores = {s["student"]: s["score"] for s in json.loads(capsys.readouterr().out)}
    ben = (
        6
        - sum(
            round_fixed(q.rounded, q.decimals) != q.shown
            for q in build_set(None, 3, seed=4, level=1).variants[1].questions
        )
        / 2
    )
    assert scores == {"ana": 6, "ben": ben, "cho": 5, "dan": 2, "eve": 2}
    assert parse_marks("correct=2") == {**DEFAULT_MARKS, "correct": Decimal(2)}


@pytest.mark.parametrize(
    ("marks", "problem"),
    [
        ("carried=2", "carried=2 is more than a correct answer's 1"),
        ("correct=0", "correct=0: must be above 0"),
        ("half=1", "'half=1' is not verdict=mark"),
        ("wrong=-1", "wrong=-1: a mark is a number from 0"),
        ("wrong=0,wrong=0", "wrong given twice"),
    ],
)
def test_bad_marks_are_one_line(klass, capsys, marks, problem):
    _, set_dir, responses = klass
    with pytest.raises(SystemExit) as exit_:
        main(["grade", str(responses), "--set", str(set_dir), "--marks", marks])
    assert exit_.value.code == 2
    error, hint = capsys.readouterr().err.splitlines()
    assert error.startswith(f"derive: grade: --marks: {problem}") and hint.startswith("try")


def test_the_terminal_table(klass, capsys):
    _, set_dir, responses = klass
    assert main(["grade", str(responses), "--set", str(set_dir)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "student",
        "variant",
        "score",
        "h1",
        "o1",
        "C",
        "dC/dw5",
        "dC/dw1",
        "w5'",
    ]
    assert out[4].split() == ["dan", "V01", "3/6", "✓", "✖", "⇒", "⇒", "⇒", "⇒"]
    assert out[-1] == "5 rows graded, 2 not graded"


@pytest.mark.parametrize(
    ("header", "where", "problem"),
    [
        (["name", *HEADER[1:]], "line 1, column 1", "expected 'student' (found 'name')"),
        (["student", "id", *HEADER[2:]], "line 1, column 2", "expected 'variant'"),
        (
            [*HEADER[:4], "dC/dw9", *HEADER[5:]],
            "line 1, column 5",
            "'dC/dw9' is not asked by this set (did you mean 'dC/dw5'?",
        ),
        (
            [*HEADER[:6], "dC/dw5", *HEADER[7:]],
            "line 1, column 7",
            "'dC/dw5' again: the same quantity as column 6",
        ),
        (HEADER[:-1], "line 1", "no column for w5' (the set asks: h1, o1, C,"),
        ([*HEADER[:3], "h 1 +", *HEADER[4:]], "line 1, column 4", "'h 1 +' is not a quantity"),
    ],
)
def test_a_bad_header_is_one_line(tmp_path, klass, capsys, header, where, problem):
    set_dir = klass[1]
    path = write_csv(tmp_path / "r.csv", [["ana", "V01", *["0.1"] * 6]], header)
    assert main(["grade", str(path), "--set", str(set_dir), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"derive: {path}: {where}: {problem}") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("cells", "where", "problem"),
    [
        (["ana", "V01", "0.1"], "line 2, column 4", "3 cells where the header has 8"),
        (["ana", "V01", *["0.1"] * 7], "line 2, column 9", "9 cells where the header has 8"),
        (["", "V01", *["0.1"] * 6], "line 2, column 1", "no student name"),
        (
            ["ana", "V01", "0,5", *["0.1"] * 5],
            "line 2, column 3",
            "o1: '0,5' is not a number (write a decimal point: 0.5)",
        ),
        (
            ["ana", "V01", "1e-99", *["0.1"] * 5],
            "line 2, column 3",
            "o1: 1e-99 has 99 decimals (at most 20)",
        ),
    ],
)
def test_bad_rows_are_named_by_line_and_column(tmp_path, klass, capsys, cells, where, problem):
    set_dir = klass[1]
    good = ["bo", "V02", *["0.5"] * 6]
    path = write_csv(tmp_path / "r.csv", [cells, good])
    assert main(["grade", str(path), "--set", str(set_dir), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"derive: {path}: {where}: {problem}\n"
    assert [s["student"] for s in json.loads(captured.out)] == ["bo"]


def test_the_report_names_a_bad_cell_as_documents_print_it(tmp_path, klass, capsys):
    """stderr names the column as the file's header writes it (o1, for the teacher's editor);
    the class report as every page prints it (o₁), and counts the questions in words."""
    good = ["bo", "V02", *["0.5"] * 6]
    path = write_csv(tmp_path / "r.csv", [["ana", "V01", "0,5", *["0.1"] * 5], good])
    out = tmp_path / "out"
    command = ["grade", str(path), "--set", str(klass[1]), "-o", str(out), "--format", "html"]
    assert main([*command, "--lang", "en,ko"]) == 1
    assert "column 3: o1: '0,5'" in capsys.readouterr().err
    en = (out / "report.en.html").read_text("utf-8")
    ko = (out / "report.ko.html").read_text("utf-8")
    assert _cells(en, "class-rows")[1][2].startswith("o₁: &#39;0,5&#39; is not a number")
    assert _cells(ko, "class-rows")[1][2].startswith("o₁ 칸: ")
    assert dict(_cells(en, "facts"))["questions"] == "6: h₁, o₁, C, ∂C/∂w₅, ∂C/∂w₁, w₅′"
    assert dict(_cells(ko, "facts"))["문항"].startswith("6개: h₁, o₁, ")


def test_a_real_minus_sign_and_a_repeated_student(tmp_path, klass, level1, capsys):
    set_dir = klass[1]
    v1 = level1.variants[0]
    answers = {n: f"{v:f}".replace("-", "\u2212") for n, v in shown(v1).items()}
    path = write_csv(tmp_path / "r.csv", [row("ana", "V01", answers), row("ana", "V01", answers)])
    assert main(["grade", str(path), "--set", str(set_dir), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"derive: {path}: line 3, column 1: 'ana' again (first on line 2)\n"
    assert json.loads(captured.out)[0]["score"] == 6


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"student,variant\xff\n", "is not UTF-8 text (byte 0xff on line 1); save it as UTF-8"),
        (b"\xff\xfes\x00", "is UTF-16 text; save it as UTF-8"),
        (b"\n\n", "empty: expected a header student,variant,<quantities>"),
        (",".join(HEADER).encode() + b"\n", "no students: the file has a header line only"),
        (b"x" * 2_000_001, "too large (at most 2,000,000 bytes)"),
    ],
)
def test_a_bad_file_is_one_line(tmp_path, klass, capsys, content, problem):
    path = tmp_path / "r.csv"
    path.write_bytes(content)
    assert main(["grade", str(path), "--set", str(klass[1])]) == 2
    assert capsys.readouterr().err == f"derive: {path}: {problem}\n"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(level=2),
        # by_target numbers w2 and w3 the other way: no asked answer of 2-2-1 changes
        lambda d: d["variants"][0]["spec"]["network"].update(numbering="by_target"),
        lambda d: d["variants"][1]["spec"]["values"].update(learning_rate=0.100000000000001),
        lambda d: d["variants"][0]["questions"][3].update(answer=0.5),
        lambda d: d.update(seed=5),
    ],
)
def test_an_edited_set_is_refused(tmp_path, klass, level1, capsys, change):
    """Any change to exercises.json after derive exercises wrote it, even one that leaves
    every answer the same, is refused before anything is graded."""
    data = to_json(level1)
    change(data)
    path = tmp_path / "exercises.json"
    path.write_text(json.dumps(data))
    assert main(["grade", str(klass[2]), "--set", str(path), "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        f"derive: {path}: fingerprint: not the one the set's content gives: the set was "
        "changed after derive exercises wrote it; make it again (derive exercises with the "
        "same arguments)\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_set_laid_out_anew_or_without_fingerprint(tmp_path, klass, level1, capsys):
    """Spacing and the order of keys are not content; a set without a fingerprint is from
    an earlier derive."""
    data = to_json(level1)
    path = tmp_path / "exercises.json"
    path.write_text(json.dumps(dict(reversed(data.items())), indent=4, sort_keys=True))
    assert main(["grade", str(klass[2]), "--set", str(path), "--json"]) == 1  # two bad rows
    capsys.readouterr()
    del data["fingerprint"]
    path.write_text(json.dumps(data))
    assert main(["grade", str(klass[2]), "--set", str(path)]) == 2
    assert capsys.readouterr().err.startswith(
        f"derive: {path}: fingerprint: missing: the set was written by an earlier version"
    )


def test_a_set_another_derive_computes_otherwise_is_refused(tmp_path, klass, level1, capsys):
    """Its fingerprint matches (as another version of derive would write it), but its
    numbers are not what this derive computes for its network."""
    data = to_json(level1)
    data["variants"][0]["questions"][3]["answer"] += 0.001  # dC/dw5 of V01
    data["fingerprint"] = fingerprint(data)
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "exercises.json").write_text(json.dumps(data))
    assert main(["grade", str(klass[2]), "--set", str(tmp_path / "set"), "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"derive: {tmp_path / 'set' / 'exercises.json'}: variants[0].questions[3].answer: "
    )
    assert "the set was changed after derive exercises wrote it" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (lambda d: d.pop("precision"), "precision", "must be a whole number, got a NoneType"),
        (lambda d: d["variants"][1].update(id="V01"), "variants[1].id", "'V01' is given twice"),
        (
            lambda d: d["variants"][2]["spec"]["values"].update(weights=[0.1]),
            "variants[2].spec.values.weights",
            "expected 6 numbers",
        ),
        (
            lambda d: d["variants"][1]["questions"].pop(),
            "variants[1].questions",
            "asks other quantities than the first variant",
        ),
    ],
)
def test_a_malformed_set_is_one_line(tmp_path, klass, level1, capsys, change, key, problem):
    data = to_json(level1)
    change(data)
    (tmp_path / "exercises.json").write_text(json.dumps(data))
    assert main(["grade", str(klass[2]), "--set", str(tmp_path / "exercises.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"derive: {tmp_path / 'exercises.json'}: {key}: {problem}"), err


def test_every_language_has_the_report_words_and_every_slip_a_name():
    english = set(strings("en")["grade"])
    for lang in LANGUAGES:
        words = strings(lang)["grade"]
        assert set(words) == english, lang
        assert not any("$" in text for text in words.values())  # no math: Hangul in $…$ is boxes
    slips = {k.removeprefix("note_") for k in strings("en")["check"] if k.startswith("note_")}
    for slip in slips - set(NOT_SLIPS):
        assert f"slip_{slip}" in english, slip


def test_the_report_symbols_have_glyphs():
    """○ (empty) and ■ (the histogram's bars) are set in NanumGothic, plain and bold."""
    for weight in ("", "Bold"):
        cmap = TTFont(
            str(resources.files("derive") / f"fonts/NanumGothic{weight}.ttf")
        ).getBestCmap()
        assert ord(SYMBOLS["empty"]) in cmap and ord("■") in cmap


def test_a_spec_with_its_own_numbers(tmp_path):
    spec = load_spec("examples/tanh_2-3-2.toml")
    own = build_set(spec, None)
    set_dir = write_set(tmp_path / "set", own)
    assert json.loads((set_dir / "exercises.json").read_text())["level"] is None
    variant = own.variants[0]
    names = [str(q.name) for q in variant.questions]
    right = [f"{q.shown:f}" for q in variant.questions]
    path = write_csv(tmp_path / "r.csv", [["ana", "V01", *right]], ["student", "variant", *names])
    exercises = ExerciseFile(set_dir / "exercises.json")
    grades = grade_class(exercises, read_responses(str(path), exercises), DEFAULT_MARKS)
    assert [v.verdict for v in grades.grades[0].verdicts] == ["correct"] * len(names)


def test_a_missing_set_is_one_line(klass, capsys):
    assert main(["grade", str(klass[2]), "--set", "nowhere"]) == 2
    assert capsys.readouterr().err == (
        "derive: nowhere: no such directory or file (--set: the directory derive exercises "
        "wrote, or its exercises.json)\n"
    )


def test_sharing_the_checker_work_changes_no_verdict(klass, level1):
    exercises = ExerciseFile(klass[1])
    responses = read_responses(str(klass[2]), exercises)
    graded = grade_class(exercises, responses, DEFAULT_MARKS)
    for response, grade in zip(responses.rows, graded.grades):
        solution = exercises.solved(response.variant).solution
        claims = [c for c in response.claims if c is not None]
        alone = {r.name: r for r in check(solution.batch, solution.update, claims)}
        assert {v.name: v.result for v in grade.verdicts if v.result} == alone


def test_grades_csv_runs_no_formula(tmp_path, klass, level1):
    """A name a spreadsheet would run (=HYPERLINK(…), +1, -2, @SUM) is written with ' before
    it, as OWASP advises against CSV injection; the scores stay numbers."""
    set_dir = klass[1]
    v1 = level1.variants[0]
    names = ['=HYPERLINK("http://x","y")', "+1", "-Choi", "@SUM(A1)", "Kim =1"]
    path = write_csv(tmp_path / "r.csv", [row(name, "V01", shown(v1)) for name in names])
    assert main(["grade", str(path), "--set", str(set_dir), "-o", str(tmp_path / "out")]) == 0
    data = (tmp_path / "out" / "grades.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert [r[:4] for r in rows[1:]] == [
        ["'" + name if name[0] in "=+-@" else name, "V01", "6", "6"] for name in names
    ]
    assert inert("\tx") == "'\tx" and inert("\rx") == "'\rx" and inert("0.5") == "0.5"
