"""Every printed line checks on a calculator: each numeric segment of every formula of every
document, recomputed from exactly the digits printed on it (tests/calculator.py, a parser of
its own), rounds at the printed digits of the next segment to that segment. Sheets (examples
and random networks, both carries, every detail and precision, both languages), answer keys
and booklets, training sheets and every optimizer's worked steps; feedback sheets are checked
in tests/test_checker.py."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from calculator import check
from conftest import make_spec
from hypothesis import given, settings
from hypothesis import strategies as st
from test_optimizers import CASES as OPTIMIZER_CASES
from test_property import DETERMINISTIC, specs, with_samples

from derive.engine.batch import derive_batch
from derive.engine.network import build_network
from derive.engine.optimizers import OPTIMIZERS
from derive.engine.spec import load_spec
from derive.engine.training import OptimizerRule, descend, train
from derive.errors import InputError
from derive.exercises.documents import answer_keys, question_booklet
from derive.exercises.exercise_set import build_set
from derive.sheets.builder import DocumentBuilder
from derive.sheets.document import Document, formulas
from derive.sheets.training import TrainingSheet
from derive.sheets.training_lines import worked_lines
from derive.solution import Solving
from derive.trainer import Training, rules
from derive.verify.verification import verify_sample

EXAMPLES = sorted(
    p for p in (Path(__file__).parents[1] / "examples").glob("*.toml") if p.stem != "answers_seed"
)


def mismatches(document: Document) -> tuple[int, list[str]]:
    """(numeric segments checked, the lines that do not add up) of every formula, inline
    math included."""
    checked, wrong = 0, []
    for tex, _ in formulas(document):
        count, bad = check(tex)
        checked += count
        wrong += [str(m) for m in bad]
    return checked, wrong


def sheet_document(solving: Solving, lang: str, places: int, carry: str, detail: str) -> Document:
    batch, update = solving.batch, solving.update
    if carry == "rounded":
        batch = derive_batch(batch.network, places)
        update = descend(batch)
    return DocumentBuilder(batch, update, lang, places, carry, detail).document(None)


# the calculator itself: it reads what sheets print and catches what does not add up


@pytest.mark.parametrize(
    "line",
    [
        r"h_{1} = \sigma\left(z_{1}\right) = \sigma\left(0.470\right) = 0.615",
        r"\frac{\partial C}{\partial o_{1}} = {-}2\left(1.0 - 0.6457\right) = {-0.709}",
        r"o_{1} = \frac{e^{0.315}}{e^{0.315} + e^{{-0.0600}} + e^{0.145}} = 0.395",
        r"C = {-}\left(1 \times \ln\left(0.650\right) + \left(1 - 1\right) \times "
        r"\ln\left(1 - 0.650\right)\right) = 0.431",
        r"h_{2} = \tanh\left({-0.260}\right) = {-0.254}",
        r"C = \frac{1}{4} \left(0.3 + 0.25 - 0.05 + 0.1\right) = 0.150",
        r"\frac{\partial o}{\partial z} = 1 - 0.0208^{2} = 1.000",
        r"a = \left(1 - 3.20 \times 10^{-400}\right)\left(1 - \left(1 - 3.20 \times "
        r"10^{-400}\right)\right) = 3.20 \times 10^{-400}",
        r"h = \operatorname{ReLU}\left({-0.500}\right) = 0.000",
        r"w_{2}' = 0.3 - 0.1 \times \left({-0.00887}\right) = 0.3009",
        r"\begin{aligned} z_{5} &= 0.702 \times \left({-0.2}\right) + 0.375 \times 0.4 \\ "
        r"&= 0.00960 \end{aligned}",
    ],
)
def test_the_calculator_reads_what_sheets_print(line):
    assert check(line) == (1, [])


@pytest.mark.parametrize(
    "line",
    [
        r"\frac{\partial C}{\partial o_{1}} = {-}2\left(1.0 - 0.646\right) = {-0.709}",
        r"\left({-0.162}\right) \times 0.615 = {-0.0998}",
        r"C = \left(1.0 - 0.646\right)^{2} = 0.126",
        r"1.035 \times 0.250 = 0.258",
        r"h_{1} = \sigma\left(0.470\right) = 0.616",
        r"a = \left(1 - 3.20 \times 10^{-400}\right)\left(1 - \left(1 - 3.20 \times "
        r"10^{-400}\right)\right) = 3.21 \times 10^{-400}",
    ],
)
def test_the_calculator_catches_a_line_that_does_not_add_up(line):
    checked, wrong = check(line)
    assert checked == 1 and len(wrong) == 1


def test_the_calculator_leaves_names_and_abbreviations_alone():
    assert check(r"z_{1} = x_{1} w_{1} + x_{2} w_{3}") == (0, [])
    assert check(r"z = 0.5 \times 0.7 + \cdots + 0.3 = 0.470") == (0, [])


# every document derive builds


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_line_of_every_example_sheet_checks(example):
    solving = Solving(load_spec(example))
    total = 0
    for lang in ("en", "ko"):
        for carry in ("exact", "rounded"):
            for detail in ("some", "all"):
                checked, wrong = mismatches(sheet_document(solving, lang, 3, carry, detail))
                assert wrong == [], (lang, carry, detail)
                total += checked
    assert total >= 80  # the lines are read, not skipped


@pytest.mark.parametrize("places", [1, 2, 4, 6])
def test_every_line_checks_at_other_precisions(places):
    for example in ("seed", "classifier_3-4-3", "xor"):
        solving = Solving(load_spec(Path(__file__).parents[1] / f"examples/{example}.toml"))
        for carry in ("exact", "rounded"):
            try:
                document = sheet_document(solving, "en", places, carry, "all")
            except InputError:  # rounded to one decimal, a value may round to 0 or 1
                continue
            assert mismatches(document)[1] == [], (example, carry)


@settings(max_examples=40, **DETERMINISTIC)
@given(
    specs(),
    st.lists(st.integers(-20, 20), min_size=1, max_size=12),
    st.booleans(),
    st.sampled_from(["exact", "rounded"]),
    st.integers(1, 5),
)
def test_every_line_of_random_networks_checks(spec, numbers, batch, carry, places):
    """All activations, losses, bias modes, saturated units (a value by its distance from
    ±1 where its digits would run long), several samples, both carries."""
    solving = Solving(with_samples(spec, numbers) if batch else spec)
    try:
        document = sheet_document(solving, "en", places, carry, "all")
    except InputError:  # rounded by hand, a value may round to exactly 0 or 1
        return
    assert mismatches(document)[1] == []


# training sheets: every worked optimizer step


def _step_rows(network, rule, steps: int = 2) -> list[str]:
    run = train(network, rule, steps)
    param = network.params[len(network.weights) - 1]  # a weight of the output layer
    rows = []
    for t in range(1, steps + 1):
        step = run.steps[t - 1].update
        before = rule.initial_state(step.params) if t == 1 else run.steps[t - 2].update.state
        rows += worked_lines(rule, step.params[param], t, before, step.state, param, 3)
    return rows


@pytest.mark.parametrize(("name", "given"), OPTIMIZER_CASES)
def test_every_worked_optimizer_step_checks(name, given):
    """Every variant of every rule (decay, dampening, lr_decay, centered, momentum, amsgrad),
    two steps (the second carries state)."""
    network = build_network(make_spec(bias="neuron", biases=[0.1, -0.2, 0.3]))
    rows = _step_rows(network, OptimizerRule.named(name, Decimal("0.3"), given))
    checked = 0
    for row in rows:
        count, wrong = check(rf"\begin{{aligned}} {row} \end{{aligned}}")
        assert wrong == [], row
        checked += count
    assert checked >= 2


@pytest.mark.parametrize("example", ["seed", "xor"])
def test_every_line_of_a_training_sheet_checks(example):
    spec = load_spec(Path(__file__).parents[1] / f"examples/{example}.toml")
    training = Training(spec, rules(spec), 3)
    checked, wrong = mismatches(TrainingSheet(training, "ko").worked)
    assert wrong == [] and checked >= 8


@settings(max_examples=25, **DETERMINISTIC)
@given(specs(), st.sampled_from(list(OPTIMIZERS)), st.sampled_from(["0.0001", "0.05", "1", "5"]))
def test_worked_steps_of_random_networks_check(spec, name, rate):
    network = build_network(spec)
    try:
        rows = _step_rows(network, OptimizerRule.named(name, Decimal(rate), {}))
    except InputError:  # a run that leaves the numbers derive can hold (said in one line)
        return
    for row in rows:
        assert check(rf"\begin{{aligned}} {row} \end{{aligned}}")[1] == [], row


# exercise sets: the answer key (each variant's worked solution) and the booklet


@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_line_of_an_answer_key_and_booklet_checks(level):
    exercises = build_set(None, 3, seed=2026, level=level)
    checks = [verify_sample(v.derivation, descend(v.batch)) for v in exercises.variants]
    checked = 0
    for lang in ("en", "ko"):
        whole, _ = answer_keys(exercises, lang, checks)
        for document in (whole, question_booklet(exercises, lang)[0]):
            count, wrong = mismatches(document)
            assert wrong == [], (lang, wrong[:3])
            checked += count
    assert checked >= 3 * 2 * 20
