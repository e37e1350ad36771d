"""The sheet and the checker with several samples: each sample's chain rule (every sample up to
four, else the first), the mean, the step; every number from the batch, which PyTorch's own
mean gradient checks; a student's batch calculation graded with its slips."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from derive.engine.names import Name
from derive.engine.quantities import batch_quantities, batch_values, compute_all
from derive.engine.spec import load_spec
from derive.grading.checker import Claim, check
from derive.sheet import Sheet
from derive.sheets.document import Formula, Group, Table, blocks
from derive.solution import Solving, solve
from tests.conftest import make_spec
from tests.test_batch import xor_in_pytorch

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SIX = """
[network]
layers = [3, 4, 3]
activation = ["relu", "softmax"]
loss = "cross_entropy"
bias = "neuron"
[values]
inputs = [[1.0, 0.5, -0.5], [0.2, -0.1, 0.4], [-0.3, 0.8, 0.1], [0.5, 0.5, 0.5],
          [0.0, 1.0, -1.0], [0.7, -0.2, 0.3]]
targets = [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1]]
weights = [0.2, -0.3, 0.4, 0.1, 0.5, 0.2, -0.1, 0.3, -0.4, 0.6, 0.2, -0.2,
           0.3, -0.1, 0.2, 0.4, 0.1, -0.3, -0.2, 0.5, 0.1, 0.3, -0.4, 0.2]
biases = [0.1, 0.0, -0.1, 0.05, 0.0, 0.1, -0.1]
learning_rate = 0.1
"""


@pytest.fixture(scope="module")
def six_spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("six") / "six.toml"
    path.write_text(SIX)
    return load_spec(path)


@pytest.fixture(scope="module")
def xor():
    return Sheet(load_spec(EXAMPLES / "xor.toml"))


@pytest.fixture(scope="module")
def six(six_spec):
    return Sheet(six_spec)


def test_every_sample_worked_then_the_mean_and_the_step(xor):
    document = xor.document
    headings = [s.heading for s in document.sections]
    assert headings[:4] == [
        "Given",
        *(
            f"Sample 1 · {h}"
            for h in ("Step 1 · Forward pass", "Step 2 · Loss", "Step 3 · Backpropagation")
        ),
    ]
    for n in (2, 3, 4):
        assert f"Sample {n} · Step 3 · Backpropagation" in headings
    assert headings[-3:] == [
        "Step 4 · Mean over the samples, and the update",
        "Summary: one gradient-descent step",
        "Verification",
    ]
    keys = [s.key for s in document.sections]
    assert len(keys) == len(set(keys))  # ids stay unique in the HTML
    # sample 3's forward pass carries its superscript, x = (1, 0)
    sample3 = next(s for s in document.sections if s.key == "sample3-forward")
    lines = [b.latex for b in blocks(sample3) if isinstance(b, Formula)]
    assert lines[0].startswith(r"z_{1}^{(3)} = x_{1}^{(3)} w_{1} + x_{2}^{(3)} w_{3} + b_{1}")
    assert "= 1 \\times 0.5 + 0 \\times 0.6 - 0.2 = 0.300" in lines[0]
    # the loss is defined for each sample, then worked for this one
    loss = next(s for s in document.sections if s.key == "sample1-loss")
    definition, line = [b.latex for b in blocks(loss) if isinstance(b, Formula)]
    assert definition.startswith(r"C^{(n)} = \frac{1}{m}\sum_{i=1}^{m} (y_{i}^{(n)} - o_{i}^{(n)})")
    assert line.startswith(r"C^{(1)} = \left(y_{1}^{(1)} - o_{1}^{(1)}\right)^{2}")
    # no update inside a sample's backpropagation: the step is taken on the mean
    backprop = next(s for s in document.sections if s.key == "sample2-backward")
    assert not any("'" in b.latex for b in blocks(backprop) if isinstance(b, Formula))


def test_the_mean_lines_hold_pytorchs_batch_gradient(xor):
    theirs = xor_in_pytorch()[1]
    mean = next(s for s in xor.document.sections if s.key == "mean")
    groups = [b for b in mean.blocks if isinstance(b, Group) and b.blocks]
    by_title = {g.title: [f.latex for f in g.blocks] for g in groups}
    w5 = by_title["Mean gradient and update: w₅"]
    last = re.search(r"= ([-\d.]+)(?: \\end\{aligned\})?$", w5[0].replace("{-}", "-"))
    shown = Decimal(last.group(1))
    assert float(shown) == pytest.approx(theirs["w5"], abs=5e-5)  # 0.0161 at 3 significant
    assert r"\frac{1}{4} \left(\frac{\partial C^{(1)}}{\partial w_{5}} + " in w5[0]
    assert "w_{5}' = w_{5} - \\eta" in w5[1] and w5[1].endswith("0.692")
    gradients = xor.solving.batch.gradients
    for param in ("b1", "w3"):
        assert float(gradients[param]) == pytest.approx(theirs[param], rel=1e-12)


def test_more_than_four_samples_work_the_first_and_tabulate_the_rest(six):
    document = six.document
    keys = [s.key for s in document.sections]
    assert "sample1-backward" in keys and "sample2-forward" not in keys
    mean = next(s for s in document.sections if s.key == "mean")
    text = " ".join(t for b in blocks(mean) if hasattr(b, "parts") for _, t in b.parts)
    assert "Samples 2–6 are worked the same way" in text
    tables = [b for b in blocks(mean) if isinstance(b, Table) and b.style == "matrix"]
    header = tables[0].header
    assert header[1:] == ("n = 1", "n = 2", "n = 3", "n = 4", "n = 5", "n = 6", "mean")
    batch = six.solving.batch
    loss_row = next(r for t in tables for r in t.rows if r[0] == "C⁽ⁿ⁾")
    assert loss_row[-1] == f"{batch.loss:.3f}"
    verification = document.sections[-1]
    other = [b for b in blocks(verification) if isinstance(b, Table) and len(b.header) == 3]
    # ∂C/∂w13's terms nearly cancel: at 3 digits they would add up to the wrong sign
    w13 = six._builder.mean_line("w13").latex
    assert "0.29633 + 0 + 0.16607 + 0.092898 - 0.56121 + 0.0060763" in w13
    # sample 6 sits at a ReLU's kink: z4 = 0.7·0.1 − 0.2·0.3 + 0.3·(−0.2) + 0.05 = 0
    assert [r[0] for r in other[0].rows] == ["2", "3", "4", "5", "6*"]
    notes = [t for b in blocks(verification) if hasattr(b, "parts") for _, t in b.parts]
    assert any("For the samples marked *, a unit sits at its kink (z₄⁽⁶⁾ = 0)" in t for t in notes)


RELU8 = """
[network]
layers = [2, 3, 2]
activation = ["relu", "linear"]
loss = "mse"
bias = "neuron"
[values]
inputs = [[0.5, -0.2], [0.1, 0.9], [-0.7, 0.3], [1, 1], [0.2, 0.2], [-1, 0.5], [0.3, -0.8],
          [0.9, 0.1]]
targets = [[1, 0], [0, 1], [1, 1], [0, 0], [0.5, 0.5], [1, 0], [0, 1], [1, 1]]
weights = [0.1, -0.2, 0.3, 0.4, -0.5, 0.2, 0.3, -0.1, 0.2, -0.4, 0.5, 0.1]
biases = [0.1, -0.1, 0.2, 0.05, -0.05]
learning_rate = 0.1
"""


def test_a_sample_at_a_kink_explains_torch_optims_own_step(tmp_path):
    """Sample 6 has z3 = 0 exactly; float64 puts it a hair above 0, so PyTorch's own batch
    gradient takes ReLU's right slope there, and torch.optim's own step differs by 1e-2:
    explained, not failed, and said so; every mean line adds up from its printed terms."""
    path = tmp_path / "relu8.toml"
    path.write_text(RELU8)
    sheet = Sheet(load_spec(path))
    solution = sheet.solving.solution
    assert solution.update_explained and solution.samples_at_kinks == (6,)
    assert solution.update_disagreement > 1e-3
    text = " ".join(
        t for b in blocks(sheet.document.sections[-1]) if hasattr(b, "parts") for _, t in b.parts
    )
    assert "because a ReLU sits at its kink (z₃⁽⁶⁾ = 0)" in text
    w2 = sheet._builder.mean_line("w2").latex  # one non-zero term of eight: none hidden
    assert r"\cdots" not in w2 and "0.1457" in w2 and w2.endswith("0.0182 \\end{aligned}")


@pytest.mark.slow  # whole PDFs, several times
def test_rounded_carry_and_korean_render(tmp_path):
    solving = Solving(load_spec(EXAMPLES / "xor.toml"))
    sheet = Sheet(solving, lang="ko", carry="rounded")
    text = sheet.html
    assert "샘플 2 · 1단계" in text and "4단계 · 샘플 평균과 갱신" in text
    assert sheet.pdf.startswith(b"%PDF")
    again = Sheet(solving, lang="ko", carry="rounded")
    assert again.html == text  # the same bytes for the same inputs


def test_batch_quantities_recompute_the_engines_values(six_spec):
    for spec in (load_spec(EXAMPLES / "xor.toml"), six_spec):
        solution = solve(spec)
        table = batch_quantities(solution.batch.network, solution.update.rule)
        ours = compute_all(table)
        for name, value in batch_values(solution.batch, solution.update).items():
            assert abs(ours[name] - value) <= Decimal("1e-25") * max(1, abs(value)), name


def _grade(solution, **claims: str) -> dict[str, tuple[str, str]]:
    written = [Claim(Name.parse(k), v, Decimal(v)) for k, v in claims.items()]
    results = check(solution.batch, solution.update, written)
    return {str(r.name): (r.verdict, r.note[0]) for r in results}


def test_checker_grades_a_batch_calculation():
    solution = solve(load_spec(EXAMPLES / "xor.toml"))
    found = _grade(
        solution,
        **{
            "h1^(3)": "0.574",
            "dC^(2)/dw5": "-0.129",
            "dC^(4)/dw5": "-0.204",  # a sign slip
            "C": "1.013",  # the four losses added up, not averaged
            "dC/dw5": "0.0645",
            "w5'": "0.668",  # right from the student's sum
            "dC/dw6": "0.0121",
            "w6'": "-0.594",
        },
    )
    assert found["h1^(3)"] == ("correct", "correct")
    assert found["dC^(2)/dw5"] == ("correct", "correct")
    assert found["dC^(4)/dw5"][0] == "wrong"
    assert found["C"] == ("wrong", "sum_not_mean")
    assert found["dC/dw5"][0] == "wrong"
    assert found["w5'"] == ("carried", "carried")
    assert found["w6'"] == ("wrong", "update_sign")


def test_checker_sum_slip_from_true_samples():
    solution = solve(load_spec(EXAMPLES / "xor.toml"))
    total = sum(d.gradients["w6"].value for d in solution.batch.samples)
    found = _grade(solution, **{"dC/dw6": f"{total:.4f}"})
    assert found["dC/dw6"] == ("wrong", "sum_not_mean")


def test_check_command_with_samples(tmp_path, capsys):
    from derive.commands.cli import main

    answers = tmp_path / "a.toml"
    spec = EXAMPLES / "xor.toml"
    answers.write_text(f'spec = "{spec}"\n[answers]\n"o1^(2)" = 0.45\n"dC/dw5" = 0.0161\n')
    assert main(["check", str(answers), "--json", "--format", "pdf", "-o", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert '"name": "o1^(2)"' in out and '"verdict": "wrong"' in out
    assert (tmp_path / "a.feedback.en.pdf").exists()
    answers.write_text(f'spec = "{spec}"\n[answers]\n"h7^(2)" = 0.5\n')
    assert main(["check", str(answers)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "answers.h7^(2): unknown name" in err


def test_a_one_sample_spec_keeps_its_names():
    spec = make_spec()
    solution_names = batch_quantities(Solving(spec).batch.network, _rule(spec))
    assert all(name.sample is None for name in solution_names)


def _rule(spec):
    from derive.engine.training import OptimizerRule

    return OptimizerRule.named("sgd", spec.learning_rate)
