"""How the formulas of a sheet read, for the kinds of network an instructor writes (built as
documents, without typesetting)."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal

import pytest

from derive.engine.batch import Batch
from derive.engine.derivation import derive
from derive.engine.names import Name
from derive.engine.network import build_network
from derive.engine.training import descend
from derive.errors import VerificationError
from derive.sheets.builder import DocumentBuilder
from derive.sheets.document import document_strings, formulas
from derive.text import numbers
from derive.verify.verification import verify_sample
from tests.conftest import make_spec


def _builder(lang: str = "en", **overrides) -> DocumentBuilder:
    derivation = derive(build_network(make_spec(**overrides)))
    return DocumentBuilder(Batch((derivation,)), descend(Batch((derivation,))), lang, 3, "exact")


def _softmax() -> DocumentBuilder:
    """2-3, softmax outputs with cross-entropy."""
    return _builder(
        layers=[2, 3],
        activation="softmax",
        loss="cross_entropy",
        targets=[0, 1, 0],
        weights=[0.1, -0.3, 0.5, 0.7, 0.2, -0.4],
    )


def _lines(builder: DocumentBuilder) -> str:
    return "\n".join(tex for tex, _ in formulas(builder.document(None)))


def test_a_negative_bias_is_subtracted():
    lines = _lines(_builder(bias="neuron", biases=[-0.1, 0.2, -0.3]))
    assert r"0.5 \times 0.7 + 0.3 \times 0.4 - 0.1 = 0.370" in lines
    assert "+ {-" not in lines


def test_mse_over_two_outputs_keeps_its_two_over_m():
    builder = _builder(layers=[2, 2, 2], targets=[1.0, 0.0], weights=[0.1] * 8)
    line = builder.worked(Name("C", "o1"))[0].latex
    assert r"{-}\frac{2}{2} \left(y_{1} - o_{1}\right)" in line


def test_bce_brackets_grow_and_factors_read_in_order():
    builder = _builder(loss="bce", targets=[1.0])
    assert r"{-}\left(\frac{y_{1}}{o_{1}} - \frac{1 - y_{1}}{1 - o_{1}}\right)" in (
        builder.worked(Name("C", "o1"))[0].latex
    )
    assert r"\left(1 - y_{1}\right) \ln\left(1 - o_{1}\right)" in _lines(builder)


def test_a_loss_over_two_outputs_reads_as_a_factor_then_a_bracket_output_by_output():
    builder = _builder(loss="bce", layers=[2, 2, 2], targets=[1.0, 0.0], weights=[0.1] * 8)
    assert builder.worked(Name("C", "o1"))[0].latex.startswith(
        r"\frac{\partial C}{\partial o_{1}} = {-}\frac{1}{2} \left(\frac{y_{1}}{o_{1}} - "
    )
    assert (
        r"C &= {-}\frac{1}{2} \left(y_{1} \ln\left(o_{1}\right) + \left(1 - y_{1}\right) "
        r"\ln\left(1 - o_{1}\right) + y_{2} \ln\left(o_{2}\right) + "
    ) in _lines(builder)


def test_exact_zero_and_one_read_alike():
    builder = _builder(activation=["relu", "linear"], weights=[0.7, -0.3, -0.4, -0.6, 0.5, 0.5])
    # an exact derivative reads as it is, as the given zeros and ones beside it do
    assert builder.worked(Name("h2", "z2"))[0].latex.endswith("= 0")
    assert builder.worked(Name("h1", "z1"))[0].latex.endswith("= 1")
    assert builder.worked(Name("h2"))[0].latex.endswith("= 0")  # ReLU(−0.3): exactly 0


def test_softmax_with_cross_entropy_states_its_shortcut():
    builder = _softmax()
    lines = _lines(builder)
    assert r"\delta_{2} = o_{2} - y_{2} = " in lines
    text = "".join(document_strings(builder.document(None)))
    assert "With softmax outputs and the cross-entropy, an output's error signal simplifies to" in (
        text
    )


def test_small_updated_values_keep_their_significant_digits():
    assert numbers.updated_text(Decimal("0.0071234"), Decimal("-0.0021"), 3) == "0.00712"
    assert numbers.updated_text(Decimal("0.5599753"), Decimal("-0.00998"), 3) == "0.560"


def test_the_loss_after_the_step_is_shown_and_verified():
    builder = _builder()
    text = "".join(document_strings(builder.document(None)))
    # C and C′ with the digits whose difference, on a calculator, is the change shown
    assert "C' = 0.1236" in text and "C - C' = 0.1255 - 0.1236 = 0.00190" in text
    derivation = derive(build_network(make_spec()))
    update = descend(Batch((derivation,)))
    assert float(update.loss_after) == pytest.approx(0.1236183246243174, rel=1e-15)
    wrong = dataclasses.replace(update, loss_after=update.loss_after + Decimal("0.001"))
    with pytest.raises(VerificationError, match="loss after the step"):
        verify_sample(derivation, wrong)


def test_a_wide_layer_table_has_a_lead_in():
    builder = _builder(layers=[1, 8, 1], inputs=[0.5], weights=[0.1] * 16)
    blocks = builder.document(None).sections[1].blocks
    table = next(k for k, b in enumerate(blocks) if getattr(b, "kind", "") == "table")
    assert "computed the same way" in "".join(document_strings(blocks[table - 1]))


def test_the_first_bias_of_a_layer_is_worked_when_its_weights_fill_the_rows():
    wide = {"layers": [1, 8, 1], "inputs": [0.5], "weights": [0.1] * 16, "bias": "neuron"}
    builder = _builder(**wide, biases=[0.1] * 9)
    titles = [getattr(b, "title", "") for b in builder.document(None).sections[3].blocks]
    worked = [t.split(": ")[1] for t in titles if t.startswith("Gradients")]
    output_layer = ["w₉", "w₁₀", "w₁₁", "w₁₂", "w₁₃", "w₁₄", "b₉"]
    hidden_layer = ["w₁", "w₂", "w₃", "w₄", "w₅", "w₆", "b₁"]  # b₂ … b₈ in the table
    assert worked == output_layer + hidden_layer


def test_detail_all_works_every_parameter_in_full():
    wide = {"layers": [1, 8, 1], "inputs": [0.5], "weights": [0.1] * 16}
    derivation = derive(build_network(make_spec(**wide)))
    update = descend(Batch((derivation,)))
    some = DocumentBuilder(Batch((derivation,)), update, "en", 3, "exact")
    every = DocumentBuilder(Batch((derivation,)), update, "en", 3, "exact", detail="all")
    groups = [
        len([b for b in section.blocks if getattr(b, "title", "").startswith("Gradients")])
        for section in (some.document(None).sections[3], every.document(None).sections[3])
    ]
    assert groups == [6 + 6, 8 + 8]  # 6 of each layer's 8 weights in full, or all of them
    assert not any(
        getattr(b, "kind", "") == "table" for b in every.document(None).sections[1].blocks
    )
    assert "--detail\u00a0all" in every.document(None).footer[-1]


def test_a_line_wider_than_the_column_wraps():
    # the 2-3-2 network's w3: two chains of five partials, then δ·x with numbers (6 mm too
    # wide before the width estimate counted fractions' margins and product signs)
    builder = _builder(
        layers=[2, 3, 2],
        activation="tanh",
        loss="half_sse",
        bias="neuron",
        inputs=[0.6, -0.4],
        targets=[0.5, -0.2],
        weights=[0.3, -0.2, 0.5, 0.4, 0.1, -0.6, 0.7, -0.3, 0.2, 0.5, -0.4, 0.6],
        biases=[0.1, -0.1, 0.05, 0.2, -0.15],
    )
    line = builder.worked(Name("C", "w3"))[0].latex
    assert line.startswith(r"\begin{aligned}") and r"\\ &= 0.226 \times 0.6 = 0.136" in line


def test_a_negative_exponent_needs_no_brackets():
    builder = _softmax()
    line = builder.worked(Name("o2"))[0].latex
    assert "e^{{-0.0900}}" in line and r"e^{\left(" not in line


def _wide(layers: tuple[int, ...] = (2, 8, 1), **overrides) -> DocumentBuilder:
    """A wide hidden layer with a bias per neuron: sums over 8 neurons, more than 6
    parameters per layer."""
    count = sum(a * b for a, b in itertools.pairwise(layers))
    weights = [round(0.1 * ((k * 7) % 11 - 5), 1) for k in range(count)]
    biases = [round(0.1 * (k % 3) - 0.1, 1) for k in range(sum(layers[1:]))]
    return _builder(layers=list(layers), bias="neuron", weights=weights, biases=biases, **overrides)


def test_a_sum_over_many_neurons_is_abbreviated_and_said_once_per_layer():
    builder = _wide((2, 8, 8, 1))  # h₁ feeds the 8 neurons of the second hidden layer
    upstream = builder.worked(Name("C", "h1"))[0].latex
    assert upstream.count(r"\cdots") == 3  # in the partials, the δ·w form and the numbers
    assert upstream.count(r"\delta_{") == 3  # δ₉, δ₁₀, ⋯, δ₁₆
    text = "".join(document_strings(builder.document(None)))
    # said once per layer: the forward sums of the two layers fed by 8 neurons, and the one
    # backward sum over 8 neurons
    assert text.count("A sum of more than 6 terms is written as") == 2
    assert text.count("A sum over more than 6 neurons of the next layer") == 1


def test_a_bias_multiplies_one_in_the_tables_as_in_its_line():
    document = _wide().document(None)
    backward = next(s for s in document.sections if s.key == "backward")
    tables = [b for b in backward.blocks if getattr(b, "kind", "") == "table"]
    rows = [row for t in tables if t.header[0] == "parameter" for row in t.rows]
    biases = [row[3] for row in rows if row[0].startswith("b")]
    assert biases and set(biases) == {"1"}
    # the table of the other neurons' signals names them as the worked lines do: h, not a
    (signals,) = [t for t in tables if t.header[0] == "neuron"]
    assert signals.header == ("neuron", "∂C/∂h", "∂h/∂z", "δ")


def test_a_negative_number_starting_a_sum_has_no_brackets_of_its_own():
    builder = _builder(layers=[2, 2, 2], loss="half_sse", targets=[0.5, -0.2], weights=[0.1] * 8)
    lines = _lines(builder)
    assert r"\left({-0.2} - " in lines and r"\left(\left({-0.2}\right)" not in lines


def test_cross_entropy_reads_as_minus_a_sum():
    builder = _softmax()
    lines = _lines(builder)
    assert r"{-}\left(0 \times \ln\left(" in lines and r"{-}0 \times" not in lines


def test_a_long_summary_is_set_in_two_columns():
    def summary_table(builder: DocumentBuilder):
        section = next(s for s in builder.document(None).sections if s.key == "summary")
        return section.blocks[0]

    assert summary_table(_builder()).columns == 1  # the seed's 6 parameters
    wide = summary_table(_wide())  # 2-8-1 with biases: 33 parameters
    assert len(wide.rows) == 33 and wide.columns == 2
