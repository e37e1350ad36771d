"""Quantity names, sample superscripts included: parsed as students write them, printed one way."""

import pytest

from derive.engine.names import Name, node_label, node_latex


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("dC/dw5", Name("C", "w5")),
        ("∂C / ∂w5", Name("C", "w5")),
        ("δ3", Name("C", "z3")),
        ("w5′", Name("w5", updated=True)),
        ("h1^(2)", Name("h1", sample=2)),
        ("h1(2)", Name("h1", sample=2)),
        ("h₁⁽²⁾".replace("₁", "1"), Name("h1", sample=2)),
        ("C^(3)", Name("C", sample=3)),
        ("dC^(2)/dw5", Name("C", "w5", sample=2)),
        ("dC/dw5^(2)", Name("C", "w5", sample=2)),  # the superscript on either node
        ("dC^(2)/dz3^(2)", Name("C", "z3", sample=2)),
        ("δ3⁽⁴⁾", Name("C", "z3", sample=4)),
        ("delta3^(4)", Name("C", "z3", sample=4)),
        ("w5^(2)", Name("w5")),  # a weight is shared by the samples
    ],
)
def test_names_parse_as_written(written, name):
    assert Name.parse(written) == name
    assert Name.parse(str(name)) == name  # the printed form reads back


@pytest.mark.parametrize("written", ["dC^(1)/dz3^(2)", "w5^(2)'", "h1^(x)", "d/dw5"])
def test_names_that_mean_nothing_are_refused(written):
    with pytest.raises(ValueError):
        Name.parse(written)


def test_a_samples_nodes_carry_its_number_and_parameters_none():
    assert str(Name("C", "z3", sample=2)) == "dC^(2)/dz3^(2)"
    assert Name("C", "w5", sample=2).label == "∂C⁽²⁾/∂w₅"
    assert Name("C", "w5", sample=2).latex == r"\frac{\partial C^{(2)}}{\partial w_{5}}"
    assert node_latex("h1", 12) == "h_{1}^{(12)}" and node_latex("b2", 12) == "b_{2}"
    assert node_label("x2", 3) == "x₂⁽³⁾" and node_label("w5", 3) == "w₅"
