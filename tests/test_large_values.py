"""Networks PyTorch computes although a value leaves exact arithmetic's range (10^±(10¹⁸)):
they are worked, each number checked against an independent float64 computation here.

A unit whose |z| is in the hundreds makes gradients of 10¹⁰ and more; the step then sends z
to 10²⁰, where e^−|z| is too small for any decimal. Such a value is 0, as in float64; a loss
takes its logarithms from the logits, as PyTorch does. Only a number of the worked solution
itself beyond the range (∂C/∂o = 1/o of such an output) is refused.
"""

from __future__ import annotations

import json
import math

import pytest

from derive.commands.cli import main


def _solve(tmp_path, capsys, text: str) -> dict:
    path = tmp_path / "net.toml"
    path.write_text(text)
    assert main(["solve", str(path), "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _softplus(z: float) -> float:
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def _close(ours: float, theirs: float) -> bool:
    return abs(ours - theirs) <= 1e-12 * max(abs(ours), abs(theirs))


def test_a_softplus_unit_in_the_hundreds_is_worked(tmp_path, capsys):
    """z3 = 15064 (softplus): the step moves w3 to −1.07×10¹⁰ and z3 to 9.6×10¹⁹, beyond
    e^−|z|'s range; softplus(z3) is z3 and C′ is what float64 computes."""
    data = _solve(
        tmp_path,
        capsys,
        "[network]\nlayers = [1, 1, 2, 2]\n"
        'activation = ["linear", "softplus", "linear"]\nloss = "half_sse"\n'
        "[values]\ninputs = [-0.56]\ntargets = [0.51, 0.4]\n"
        "weights = [-134.13, -5.01, 200.55, -43.01, -26.58, 230.38, 204.35]\n",
    )
    w = data["updated"]
    h1 = -0.56 * w["w1"]
    h2, h3 = _softplus(h1 * w["w2"]), _softplus(h1 * w["w3"])
    assert abs(h1 * w["w3"]) > 1e19  # e^−|z| at 10^−(4×10¹⁹): no decimal holds it
    o1, o2 = h2 * w["w4"] + h3 * w["w6"], h2 * w["w5"] + h3 * w["w7"]
    assert _close(data["loss_after"], ((0.51 - o1) ** 2 + (0.4 - o2) ** 2) / 2)


def test_binary_cross_entropy_far_out_takes_its_logs_from_the_logit(tmp_path, capsys):
    """After the step z2 = −5×10²²: σ(z2) is too small for any number, but C′ =
    softplus(z) − y·z is 2.5×10²² (BCE from the logits, as PyTorch computes it)."""
    data = _solve(
        tmp_path,
        capsys,
        '[network]\nlayers = [1, 1, 1]\nactivation = ["linear", "sigmoid"]\nloss = "bce"\n'
        "[values]\ninputs = [1000000]\ntargets = [0.5]\nweights = [1000000, 0.000001]\n",
    )
    w = data["updated"]
    z = 1e6 * w["w1"] * w["w2"]
    assert z < -1e22
    assert _close(data["loss_after"], _softplus(z) - 0.5 * z)


def test_softmax_logits_far_apart_never_overflow(tmp_path, capsys):
    """After the step z = (−5×10²², 5×10²²): e^z overflows every range, the softmax does
    not, and C′ = ln Σe^z − Σ y·z (from the logits, as PyTorch computes it)."""
    data = _solve(
        tmp_path,
        capsys,
        '[network]\nlayers = [1, 1, 2]\nactivation = ["linear", "softmax"]\n'
        'loss = "cross_entropy"\n[values]\ninputs = [1000000]\ntargets = [0.5, 0.5]\n'
        "weights = [1000000, 0.000001, -0.000001]\n",
    )
    w = data["updated"]
    h = 1e6 * w["w1"]
    z1, z2 = h * w["w2"], h * w["w3"]
    assert z2 - z1 > 9e22
    log_sum = z2 + math.log1p(math.exp(z1 - z2))
    assert _close(data["loss_after"], log_sum - (z1 + z2) / 2)


def test_a_sigmoid_beyond_every_range_is_zero_as_in_float64(tmp_path, capsys):
    """z4 = −10³⁰: σ(z4) is 0 in float64 and here; C = 1 and every gradient 0, as PyTorch."""
    data = _solve(
        tmp_path,
        capsys,
        "[network]\nlayers = [1, 1, 1, 1, 1]\n"
        'activation = ["linear", "linear", "linear", "sigmoid"]\n'
        "[values]\ninputs = [1000000]\ntargets = [1]\n"
        "weights = [1000000, 1000000, 1000000, -1000000]\n",
    )
    assert data["values"]["z4"] == -1e30 and data["values"]["o1"] == 0
    assert data["loss"] == 1 and data["loss_after"] == 1
    assert set(data["gradients"].values()) == {0}


@pytest.mark.parametrize("sign", ["-", ""])
def test_a_worked_number_beyond_the_range_is_bad_input(tmp_path, capsys, sign):
    """BCE at z = −10³⁰ with y = 1: ∂C/∂o1 = −1/σ(z) is about 10^(4×10²⁹), a factor of the
    chain rule no decimal holds."""
    path = tmp_path / "huge.toml"
    path.write_text(
        "[network]\nlayers = [1, 1, 1, 1, 1]\n"
        'activation = ["linear", "linear", "linear", "sigmoid"]\nloss = "bce"\n'
        f"[values]\ninputs = [1000000]\ntargets = [{'1' if sign else '0'}]\n"
        f"weights = [1000000, 1000000, 1000000, {sign}1000000]\n"
    )
    assert main(["solve", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"derive: {path}: values: dC/do1 cannot be computed at these values (beyond the range "
        "of exact arithmetic); use smaller weights or inputs\n"
    )


@pytest.mark.parametrize(
    ("outputs", "activations", "loss", "weights", "targets"),
    [
        # C = ln(1 + e^−300) = 5×10⁻¹³¹, from the logit (not ln(1 − o), 1 − o rounding to 1 at
        # any precision); float64 rounds 1 + 5×10⁻¹³¹ to 1 after adding up terms of the
        # logit's size, so its finite differences see a flat loss: their noise estimate
        # counts those terms
        (1, '"linear", "sigmoid"', "bce", "[-300, 1]", "[0]"),
        (1, '"softplus", "sigmoid"', "bce", "[300, -1]", "[0]"),
        (1, '"linear", "sigmoid"', "bce", "[-900, 0.5]", "[0]"),
        (2, '"linear", "softmax"', "cross_entropy", "[300, 0.5, -0.02]", "[1, 0]"),
        # σ(−710) = 4.5×10⁻³⁰⁹ is below float64's normal range: PyTorch's is 0, and so its
        # gradient of 10⁻³⁰⁹ (the twin loses such values too)
        (1, '"sigmoid", "sigmoid"', "mse", "[-710, 1]", "[1]"),
        (1, '"softplus", "linear"', "mse", "[-710, -1]", "[1]"),
    ],
)
def test_what_float64_cannot_resolve_is_no_failure(
    tmp_path, capsys, outputs, activations, loss, weights, targets
):
    data = _solve(
        tmp_path,
        capsys,
        f"[network]\nlayers = [1, 1, {outputs}]\nactivation = [{activations}]\n"
        f'loss = "{loss}"\n[values]\ninputs = [1]\ntargets = {targets}\n'
        f"weights = {weights}\n",
    )
    gradient = data["gradients"]["w1"]
    assert gradient and abs(float(gradient)) < 1e-60
