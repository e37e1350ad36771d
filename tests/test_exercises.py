"""Exercise sets: seeded, reproducible variants that are never degenerate nor alike, and
questions whose answers are the engine's verified values."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from derive.engine.names import Name
from derive.engine.quantities import solution_values
from derive.engine.spec import load_spec
from derive.exercises.exercise_set import build_set, to_json
from derive.exercises.generator import SATURATION, canonical_form, variant_ids
from derive.exercises.questions import KINDS
from derive.solution import solve

# slow (builds thousands of variants and whole sets): make test-fast leaves it out
pytestmark = pytest.mark.slow


def test_same_arguments_give_the_same_set():
    first = json.dumps(to_json(build_set(None, 8, seed=11, level=3)))
    assert first == json.dumps(to_json(build_set(None, 8, seed=11, level=3)))
    assert first != json.dumps(to_json(build_set(None, 8, seed=12, level=3)))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_one_variant_alone_equals_its_entry_in_the_set(level):
    whole = to_json(build_set(None, 12, seed=5, level=level))
    alone = to_json(build_set(None, 12, seed=5, level=level, only="V09"))
    assert alone["variants"] == [whole["variants"][8]]


def test_variant_ids_are_padded_to_the_set():
    assert variant_ids(3) == ["V01", "V02", "V03"]
    assert variant_ids(120)[:2] == ["V001", "V002"] and variant_ids(120)[-1] == "V120"


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("level", [1, 2, 3])
def test_thousands_of_variants_are_distinct_and_never_degenerate(level, seed):
    # 4 seeds × 175 variants per level: 2,100 variants in all, a seed and level a test
    exercises = build_set(None, 175, seed=seed, level=level)
    shapes = {v.spec.layers + v.spec.activations for v in exercises.variants}
    assert len(shapes) == 1  # one shape per set: every student answers the same names
    forms = [canonical_form(v.derivation.network) for v in exercises.variants]
    assert len(set(forms)) == len(forms)
    names = {tuple(str(q.name) for q in v.questions) for v in exercises.variants}
    assert len(names) == 1 and len(next(iter(names))) == 6
    for v in exercises.variants:
        net, values = v.derivation.network, v.derivation.values
        for n in net.neurons:
            z, act = values[n.z], v.spec.activations[n.layer - 1]
            if act == "relu":
                assert z > Decimal("0.001")  # alive, and off its kink
            else:
                assert abs(z) <= SATURATION
        for q in v.questions:
            assert abs(q.answer) >= Decimal("0.01")
            # the same decimals for every question of every variant: the number of
            # decimals asked gives nothing of the answer's size away
            assert q.decimals == 4
            assert q.shown != 0
            # numbers a student can work by hand
        assert all(len(str(w).split(".")[-1]) <= 2 for w in v.spec.weights + v.spec.inputs)
        assert v.spec.learning_rate in (Decimal("0.1"), Decimal("0.5"))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_answers_are_the_engines_verified_values(level):
    for v in build_set(None, 3, seed=3, level=level).variants:
        solution = solve(v.spec)  # raises if any check fails
        values = solution_values(solution.derivation, solution.update)
        for q in v.questions:
            assert q.answer == values[q.name]
            # full credit: half a unit of the asked digit, around the exact and the carried value
            assert q.tolerance == Decimal(5).scaleb(-(q.decimals + 1))
            assert abs(q.rounded - q.answer) < Decimal(10).scaleb(-q.decimals) * 10


def test_a_spec_alone_is_its_own_variant_and_with_a_count_its_shape_varies():
    spec = load_spec("examples/tanh_2-3-2.toml")
    (own,) = build_set(spec, None).variants
    assert own.spec == spec and own.id == "V01"
    assert [str(q.name) for q in own.questions] == ["h1", "o1", "C", "dC/dw7", "dC/dw1", "w7'"]
    varied = build_set(spec, 4, seed=2).variants
    assert all(v.spec.layers == spec.layers and v.spec.bias == "neuron" for v in varied)
    assert all(v.spec.activations == spec.activations for v in varied)
    assert len({v.spec.weights for v in varied}) == 4


def test_ask_picks_the_kinds_of_question():
    exercises = build_set(None, 2, seed=1, level=1, kinds=["loss", "update"])
    assert exercises.kinds == ("loss", "update")
    assert [str(q.name) for q in exercises.variants[0].questions] == ["C", "w5'"]
    assert set(KINDS) >= set(exercises.kinds)


def test_json_holds_every_answer_and_tolerance():
    data = to_json(build_set(None, 2, seed=9, level=2))
    assert (data["seed"], data["level"], data["precision"]) == (9, 2, 3)
    question = data["variants"][0]["questions"][0]
    assert set(question) == {"name", "kind", "answer", "rounded", "decimals", "tolerance"}
    assert Name.parse(question["name"]) == Name("h1")


def _run(tmp_path, name: str, *args: str) -> dict[str, bytes]:
    from derive.commands.cli import main

    out = tmp_path / name
    assert main(["exercises", *args, "-o", str(out)]) == 0
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_the_command_writes_booklets_keys_and_json_the_same_every_time(tmp_path):
    import io

    import pypdf

    args = ("--count", "2", "--level", "3", "--seed", "4", "--lang", "en,ko")
    first = _run(tmp_path, "a", *args)
    assert sorted(first) == [
        "answers.en.html",
        "answers.en.pdf",
        "answers.ko.html",
        "answers.ko.pdf",
        "exercises.json",
        "questions.en.html",
        "questions.en.pdf",
        "questions.ko.html",
        "questions.ko.pdf",
    ]
    assert _run(tmp_path, "b", *args) == first  # byte for byte
    data = json.loads(first["exercises.json"])
    for lang, level in (("en", "Level 3"), ("ko", "난이도 3")):
        # per variant: givens and questions on a page, then a page to work on; every page
        # headed by the set's title and level, and numbered n / N within its variant (a
        # student's handout is their variant's pages)
        pages = pypdf.PdfReader(io.BytesIO(first[f"questions.{lang}.pdf"])).pages
        text = [page.extract_text() for page in pages]
        assert len(pages) == 4
        assert all(level in t and f"{n % 2 + 1} / 2" in t for n, t in enumerate(text))
        assert "V01" in text[0] and "V01" in text[1] and "V02" in text[2]
    html = first["questions.en.html"].decode()
    assert html.count("Student ID") == 4 and html.count("to 4 decimals") == 12
    assert "$m$" not in html and "is the number of outputs" in html
    # students see the level, not what regenerates the key; the key names it
    assert "Level 3" in html and "seed" not in html.lower() and "--count" not in html
    key = first["answers.en.html"].decode()
    assert "--seed\u00a04" in key
    grid = key[key.index('<table class="grid">') : key.index("</table>")]
    for variant in data["variants"]:  # the grid holds every answer to its asked decimals
        for q in variant["questions"]:
            shown = f"{Decimal(str(q['answer'])):.{q['decimals']}f}".replace("-", "−")
            assert shown in grid
    # each variant's worked solution tags the line of each asked value with its number and
    # the answer to the asked decimals (the line itself carries the sheet's 3)
    for variant in data["variants"]:
        for n, q in enumerate(variant["questions"], 1):
            shown = f"{Decimal(str(q['answer'])):.{q['decimals']}f}".replace("-", "−")
            assert f'<span class="tag">Q{n}\n{shown}</span>' in key
    assert key.count('<span class="tag">') == 12


def test_one_variant_of_a_set_alone(tmp_path):
    whole = json.loads(_run(tmp_path, "a", "--count", "3", "--format", "html")["exercises.json"])
    alone = _run(tmp_path, "b", "--count", "3", "--variant", "V02", "--format", "html")
    assert json.loads(alone["exercises.json"])["variants"] == [whole["variants"][1]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "0"], "--count: a whole number from 1 to 500"),
        (["--count", "501"], "--count: a whole number from 1 to 500"),
        (["--level", "4"], "--level: invalid choice: 4"),
        (["--count", "3", "--variant", "V09"], "no variant 'V09' in this set (V01…V03)"),
        (["--ask", "gradients"], "unknown kind 'gradients'"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path, capsys, args, message):
    from derive.commands.cli import main

    with pytest.raises(SystemExit) if "--variant" not in args else _nothing():
        code = main(["exercises", *args, "-o", str(tmp_path)])
        assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def _nothing():
    import contextlib

    return contextlib.nullcontext()


def test_progress_shows_on_a_terminal_only():
    import io

    from derive.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    log, terminal = io.StringIO(), Terminal()
    for stream in (log, terminal):
        progress = Progress(4, stream)
        progress.step("verifying", 2)
        progress.step("answer keys (en)", 2)
        progress.finish()
    assert log.getvalue() == ""
    assert terminal.getvalue().split("\r")[-1].startswith("derive: [" + "#" * 24 + "] 4/4 answer")


def test_a_network_too_big_to_work_by_hand_is_refused_in_one_line():
    from derive.errors import InputError
    from tests.conftest import make_spec

    big = make_spec(layers=[4, 8, 2], inputs=[0.1] * 4, targets=[0.5, 0.5], weights=[0.1] * 48)
    with pytest.raises(InputError, match="48 parameters is too many to vary for a hand exercise"):
        build_set(big, 3)
    assert len(build_set(big, None).variants) == 1  # its own numbers: nothing to vary
