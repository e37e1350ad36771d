"""derive train's sheets: written in both languages, byte-identical across runs and processes,
every number on them the engine's, the charts deterministic SVG, bad input one line."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.commands.cli import main
from derive.engine.network import build_network
from derive.engine.optimizers import OPTIMIZERS
from derive.engine.spec import load_spec
from derive.engine.training import OptimizerRule, train
from derive.errors import InputError
from derive.sheets.document import Chart, Formula, Table, blocks
from derive.sheets.lines import LINE_WIDTH, width
from derive.sheets.training import TrainingSheet
from derive.sheets.training_lines import worked_lines
from derive.sheets.training_rows import aligned_rows, given_latex
from derive.text import numbers
from derive.trainer import Training, rules, within_budget
from derive.typeset.charts import chart_svg
from derive.typeset.mathsvg import typeset
from derive.typeset.publish import Rendered
from tests.calculator import check
from tests.conftest import make_spec
from tests.test_optimizers import CASES
from tests.test_property import DETERMINISTIC, specs

# slow (trains, checks and renders training sheets): make test-fast leaves it out
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
XOR = ROOT / "examples" / "xor.toml"


@pytest.fixture(scope="module")
def seed_training() -> Training:
    spec = load_spec(None)
    return Training(spec, rules(spec, ["sgd", "momentum", "adam"]), 3)


def test_the_sheet_holds_the_runs_numbers(seed_training):
    sheet = TrainingSheet(seed_training, "en")
    sections = {s.key: s for s in sheet.document.sections}
    assert list(sections) == [
        "given", "optimizer-sgd", "optimizer-momentum", "optimizer-adam", "verification",
        "comparison", "guide",
    ]  # fmt: skip
    adam = seed_training.runs[2]
    w5 = adam.steps[0].update.params["w5"]
    formulas = [b.latex for b in blocks(sections["optimizer-adam"]) if isinstance(b, Formula)]
    step_one = formulas[1:3]  # after the rule: the step in two parts, g₁ … v₁, m̂₁ … θ₁
    assert step_one[1].startswith(r"\begin{aligned} \hat m_{1} &=")
    assert f"= {float(w5.after):.3f}" in step_one[-1]
    table = [b for b in blocks(sections["optimizer-adam"]) if isinstance(b, Table)][-1]
    w5_row = next(r for r in table.rows if r[0] == "w₅")
    assert w5_row[1] == "0.55" and w5_row[2].startswith(f"{float(w5.after):.4f}"[:5])
    loss_row = table.rows[-1]
    assert loss_row[0] == "C(θ)" and len(loss_row) == 5  # θ₀..θ₃
    charts = [b for b in blocks(sections["comparison"]) if isinstance(b, Chart)]
    assert [c.plot for c in charts] == ["losses", "paths"]
    assert charts[0].data.steps == 100 and len(charts[0].data.losses["adam"]) == 101
    assert charts[0].data.losses["adam"][0] == pytest.approx(float(adam.losses[0]), rel=1e-14)
    # a reader sees the optimizers' names (the spec's keys stay in the data), the sizes en-dashed
    facts = dict(next(b for b in blocks(sections["given"]) if isinstance(b, Table)).rows)
    assert facts["Optimizers"] == "SGD, SGD with momentum, Adam"
    assert facts["Network"] == "2–2–1 neurons (input, 1 hidden, output)"
    assert charts[0].labels["momentum"] == "SGD with momentum"
    verification = next(b for b in blocks(sections["verification"]) if isinstance(b, Table))
    assert [r[0] for r in verification.rows if r[0]] == ["SGD", "SGD with momentum", "Adam"]


def test_charts_are_the_same_bytes_each_time(seed_training):
    comparison = seed_training.checked.comparison
    chart = Chart("losses", comparison, {"x": "step", "y": "C"}, "")
    first, second = chart_svg(chart), chart_svg(chart)
    assert first == second
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", first).group(1)).decode()
    assert "<dc:date>" not in svg and "Date" not in svg


def test_xor_boundary_separates_and_says_so():
    spec = load_spec(XOR)
    training = Training(spec, rules(spec), 3)
    boundary = training.checked.boundary
    assert boundary is not None and boundary.separated and boundary.optimizer == "adam"
    assert 0 < boundary.steps < 200
    sheet = TrainingSheet(training, "ko")
    keys = [s.key for s in sheet.document.sections]
    assert "boundary" in keys
    text = " ".join(str(b) for s in sheet.document.sections for b in blocks(s))
    assert "(0, 1)과 (1, 0)" in text  # the XOR point, in Korean


def test_train_writes_both_languages_byte_identical_across_processes(tmp_path):
    def run(out: Path) -> dict[str, bytes]:
        command = [sys.executable, "-m", "derive", "train", str(XOR), "--optimizer", "adam,sgd",
                   "--lang", "en,ko", "-o", str(out)]  # fmt: skip
        printed = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
        assert printed.stderr == ""
        return {p.name: p.read_bytes() for p in out.iterdir()}

    first, second = run(tmp_path / "a"), run(tmp_path / "b")
    assert sorted(first) == [
        "xor.train.en.html", "xor.train.en.pdf", "xor.train.ko.html", "xor.train.ko.pdf"
    ]  # fmt: skip
    assert first == second


def test_train_json_prints_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--optimizer", "sgd", "--steps", "1", "--json"]) == 0
    assert '"sgd"' in capsys.readouterr().out and list(tmp_path.iterdir()) == []


def test_learning_rate_order(tmp_path):
    spec = load_spec(XOR)
    assert rules(spec)[0].learning_rate == Decimal("0.1")  # [training] lr
    assert rules(spec, ["sgd"], Decimal("2"))[0].learning_rate == 2  # --lr
    assert [r.name for r in rules(load_spec(None))][-1] == "adamw"  # all seven
    assert rules(load_spec(None))[0].learning_rate == Decimal("0.1")  # values.learning_rate


def test_a_run_of_minutes_is_refused_before_any_work(tmp_path, capsys):
    """4,095 parameters × 7 optimizers × 35 steps: more exact gradients than derive train
    works within a minute; one line, exit 2, nothing written. One optimizer fits."""
    spec = tmp_path / "wide.json"
    weights = ", ".join(["0.01"] * (64 * 63 + 63))
    spec.write_text(
        '{"network": {"layers": [64, 63, 1]}, "values": {"inputs": [' + ", ".join(["0.5"] * 64)
        + '], "targets": [1], "weights": [' + weights + '], "learning_rate": 0.1}}'
    )  # fmt: skip
    out = tmp_path / "out"
    assert main(["train", str(spec), "--steps", "35", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"derive: {spec}: train: 4,095 parameters × 1 sample × 35 steps × 7 optimizers is "
        "1,003,275 exact gradients, more than the 1,000,000 derive train works within a minute: "
        "choose fewer optimizers (--optimizer) or steps (--steps)\n"
    )
    assert not out.exists()
    network = build_network(load_spec(spec))
    within_budget(network, 7, 34)  # 975,100: runs


def test_a_diverging_run_is_refused_in_one_line(capsys):
    linear = str(ROOT / "examples" / "linear_by_target.toml")
    assert main(["train", linear, "--lr", "1000", "--optimizer", "sgd", "--steps", "5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lr: sgd diverges with learning rate 1000" in err


def test_large_steps_and_diverging_comparisons_still_make_a_sheet(tmp_path):
    """lr 100: Adam, RMSprop and Adagrad take steps of ~1000 whose float64 sums cancel (held
    to the terms' scale), gradients print as m × 10^e and are squared (bracketed), and in
    the 100-step comparison a run at the worked rate diverges (said in the table)."""
    spec = load_spec(ROOT / "examples" / "linear_by_target.toml")
    training = Training(spec, rules(spec, ["adam", "rmsprop", "adagrad"], Decimal(100)), 3)
    sheet = TrainingSheet(training, "en")
    assert Rendered(sheet.publication()).pdf.startswith(b"%PDF")
    spec_sgd = Training(spec, rules(spec, ["adam", "sgd"], Decimal("0.5")), 3)
    comparison = spec_sgd.checked.comparison
    assert not comparison.trial("sgd", Decimal("0.5")).finished(100)  # the worked rate
    assert comparison.trial("adam", Decimal("0.5")).finished(100)
    assert len(comparison.losses["sgd"]) == 101  # shown at a rate of the grid that suits it
    text = " ".join(
        str(b) for s in TrainingSheet(spec_sgd, "en").document.sections for b in blocks(s)
    )
    assert "diverged at step" in text


OPTIMIZER_CHOICES = st.lists(st.sampled_from(list(OPTIMIZERS)), min_size=1, max_size=3, unique=True)


@settings(max_examples=6, **DETERMINISTIC)
@given(specs(), OPTIMIZER_CHOICES, st.sampled_from(["0.0001", "0.01"]))
def test_random_networks_make_a_training_sheet_at_small_rates(spec, names, lr):
    """Every valid network, optimizer and small rate gives a sheet (HTML: the document,
    formulas and charts)."""
    _sheet_or_refusal(spec, names, lr)


@settings(max_examples=6, **DETERMINISTIC)
@given(specs(), OPTIMIZER_CHOICES, st.sampled_from(["0.5", "5"]))
def test_random_networks_make_a_training_sheet_or_one_clear_refusal(spec, names, lr):
    """Large rates: a sheet, or, when the run diverges, a refusal naming lr."""
    _sheet_or_refusal(spec, names, lr)


def _sheet_or_refusal(spec, names, lr) -> None:
    try:
        training = Training(spec, rules(spec, names, Decimal(lr)), 3, "w1")
        html = Rendered(TrainingSheet(training, "en").publication()).html
    except InputError as error:
        assert error.key == "lr" and "diverges" in error.problem
    else:
        assert html.count('<img class="chart"') >= 2


@pytest.mark.parametrize(("name", "given"), CASES)
def test_worked_rows_line_up_and_end_in_the_engines_values(name, given):
    """Every variant of every rule (decay, dampening, lr_decay, centered, momentum, amsgrad):
    each row is `one symbol &= …`, the last row ends in θ after the step, ε reads as given,
    and the formula typesets."""
    network = build_network(make_spec(bias="neuron", biases=[0.1, -0.2, 0.3]))
    rule = OptimizerRule.named(name, Decimal("0.3"), given)
    run = train(network, rule, 2)
    step = run.steps[1].update
    lines = worked_lines(rule, step.params["w5"], 2, run.steps[0].update.state, step.state,
                         "w5", 3)  # fmt: skip
    assert all(re.fullmatch(r"[^=&]+ &= .+", line) for line in lines)
    assert all(" " not in line.split(" &=")[0].replace(r"\hat ", "") for line in lines)
    assert lines[-1].endswith(numbers.updated_latex(step.params["w5"].after,
                                                    step.params["w5"].change, 3))  # fmt: skip
    if "eps" in rule.settings:
        eps = rule.settings["eps"]
        assert given_latex(eps) in lines[-1] or given_latex(eps) in " ".join(lines)
        assert "0.0000000" not in " ".join(lines)
    rows = aligned_rows(lines)
    equals = {_first_equals(typeset(row).svg) for row in rows}  # typesets, = under =
    assert len(rows) == (1 if len(lines) < 5 else 2) and len(equals) == 1


def _first_equals(svg: str) -> float:
    """The x of the first = a typeset formula sets (its glyphs are text)."""
    for xs, text in re.findall(r'<text x="([^"]+)"[^>]*>([^<]+)<', svg):
        if "=" in text:
            return float(xs.split()[text.index("=")])
    raise AssertionError("no =")


COLUMN_EM = 42  # A4's text column (168 mm) less a formula's indent, in em of its 11 pt


@pytest.mark.parametrize(("rate", "calculator"), [("0.1", True), ("10", False)])
def test_astronomical_steps_stay_within_the_page_and_check(rate, calculator):
    """Centered RMSprop at alpha = 0 on the seed: v − (g^ave)² is exactly 0, the first step
    ~10⁶ or 10⁸ and the second's gradient near 10^−1685538 (10^−168553713 at lr 10). The
    variance has a row of its own (put into the root, v and g^ave would need every digit
    that cancels: 30 and more), a row too wide for the line goes on in a `&=` row of its
    own, every part typesets within the column and every row checks on a calculator."""
    network = build_network(load_spec(None))
    rule = OptimizerRule.named("rmsprop", Decimal(rate), {"alpha": Decimal(0), "centered": True})
    run = train(network, rule, 2)
    wrapped = 0
    for t, step in enumerate(run.steps, 1):
        before = rule.initial_state(step.update.params) if t == 1 else run.steps[0].update.state
        lines = worked_lines(rule, step.update.params["w5"], t, before, step.update.state,
                             "w5", 3)  # fmt: skip
        assert any(line.startswith(rf"\tilde{{v}}_{{{t}}} &= v_{{{t}}} - ") for line in lines)
        for line in lines:
            if calculator:
                assert check(rf"\begin{{aligned}} {line} \end{{aligned}}")[1] == [], line
            lhs, rest = line.split(" &= ", 1)
            rows = rest.split(r" \\ &= ")
            wrapped += len(rows) - 1
            assert all(width(f"{lhs} = {row}") <= LINE_WIDTH for row in rows), line
        for part in aligned_rows(lines):
            svg = typeset(part).svg
            assert float(re.search(r"width:([\d.]+)em", svg).group(1)) <= COLUMN_EM
    assert wrapped >= 2  # v₂ and g^ave₂, their numbers near 10^−3371076 and 10^−1685538
