"""Several samples: the batch's loss is the mean of the samples' losses and its gradient the
mean of their gradients, against PyTorch written out by hand (reduction="mean" over the
batch); specs with several samples, and their errors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import torch

from derive.engine.batch import derive_batch
from derive.engine.derivation import derive
from derive.engine.network import build_network
from derive.engine.spec import load_spec, parse_spec
from derive.errors import InputError
from tests.conftest import make_spec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def xor_in_pytorch() -> tuple[float, dict[str, float]]:
    """examples/xor.toml written out in PyTorch: the batch's loss (mse_loss, reduction="mean"
    over the four samples) and its gradient by parameter name."""
    x = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float64)
    y = torch.tensor([[0.0], [1], [1], [0]], dtype=torch.float64)
    # by_source: w1 = x1→h1, w2 = x1→h2, w3 = x2→h1, w4 = x2→h2, w5 = h1→o1, w6 = h2→o1
    w1 = torch.tensor([[0.5, -0.4], [0.6, -0.5]], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([[0.7], [-0.6]], dtype=torch.float64, requires_grad=True)
    b1 = torch.tensor([-0.2, 0.3], dtype=torch.float64, requires_grad=True)
    b2 = torch.tensor([0.1], dtype=torch.float64, requires_grad=True)
    out = torch.sigmoid(torch.sigmoid(x @ w1 + b1) @ w2 + b2)
    loss = torch.nn.functional.mse_loss(out, y)
    loss.backward()
    return loss.item(), {
        **dict(zip(["w1", "w2", "w3", "w4"], w1.grad.flatten().tolist())),
        **dict(zip(["w5", "w6"], w2.grad.flatten().tolist())),
        **dict(zip(["b1", "b2", "b3"], [*b1.grad.tolist(), *b2.grad.tolist()])),
    }


def test_xor_batch_against_pytorch_by_hand():
    batch = derive_batch(build_network(load_spec(EXAMPLES / "xor.toml")))
    loss, theirs = xor_in_pytorch()
    assert float(batch.loss) == pytest.approx(loss, rel=1e-14)
    assert len(batch.samples) == 4
    for param, value in batch.gradients.items():
        assert float(value) == pytest.approx(theirs[param], rel=1e-12, abs=1e-17), param
    # each sample's own derivation is the one-sample derivation of that sample
    for s, sample in enumerate(batch.samples):
        assert sample.values["x1"] == [0, 0, 1, 1][s] and sample.values["y1"] == [0, 1, 1, 0][s]


def test_one_sample_is_a_batch_of_one():
    network = build_network(make_spec())
    batch, single = derive_batch(network), derive(network)
    assert batch.loss == single.loss
    assert batch.gradients == {p: g.value for p, g in single.gradients.items()}


def _spec(inputs, targets, **network):
    values = {
        "inputs": inputs,
        "targets": targets,
        "weights": [Decimal("0.1")] * 6,
    }
    net = {"layers": [2, 2, 1], **network}
    return parse_spec({"network": net, "values": values}, "net.toml", "net")


@pytest.mark.parametrize(
    ("inputs", "targets", "message"),
    [
        ([[0, 0], [0, 1]], [[0]], "values.targets: 1 samples, but inputs has 2"),
        ([[0, 0], [0, 1, 1]], [[0], [1]], "values.inputs[1]: expected 2 numbers"),
        ([[0, 0], [0, 1]], [[0], [1, 1]], "values.targets[1]: expected 1 number"),
        ([[0, 0]] * 33, [[0]] * 33, "values.inputs: 33 samples is too many (at most 32)"),
        ([[0, 0], [0, "a"]], [[0], [1]], "values.inputs[1][1]: 'a' is not a number"),
        ([[0, 0], [0, 1]], [[0], [2]], "values.targets[1][0]: bce needs targets in [0, 1]"),
    ],
)
def test_bad_samples_name_the_key(inputs, targets, message):
    network = {"loss": "bce"} if "bce" in message else {}
    with pytest.raises(InputError) as error:
        _spec(inputs, targets, **network)
    assert str(error.value).startswith(f"net.toml: {message}")


def test_several_samples_parse():
    spec = _spec([[0, 0], [0, 1], [1, 0]], [[0], [1], [1]])
    assert len(spec.batch) == 3 and spec.inputs == (0, 0) and spec.batch[2] == ((1, 0), (1,))
    assert len(build_network(spec).samples) == 3
    assert _spec([0, 1], [1]).samples == ()  # a flat list is still one sample


def test_exercises_refuse_several_samples_in_one_line(tmp_path, capsys):
    from derive.commands.cli import main

    argv = ["exercises", str(EXAMPLES / "xor.toml"), "-o", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "values.inputs: 4 samples: exercises vary one" in err
    assert not (tmp_path / "out").exists()


def test_solve_several_samples_json_and_text(capsys):
    from derive.commands.cli import main

    assert main(["solve", str(EXAMPLES / "xor.toml"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    batch = derive_batch(build_network(load_spec(EXAMPLES / "xor.toml")))
    assert len(data["samples"]) == 4 and data["samples"][1]["values"]["x2"] == 1
    assert data["loss"] == float(batch.loss)
    assert data["gradients"] == {p: float(g) for p, g in batch.gradients.items()}
    # one step of gradient descent with η = 0.5 on the mean gradient
    assert data["updated"]["w5"] == pytest.approx(
        0.7 - 0.5 * float(batch.gradients["w5"]), rel=1e-15
    )
    assert data["loss_after"] < data["loss"] and data["update_disagreement"] < 1e-13
    assert set(data["samples"][0]["checks"]["w5"]) >= {"autograd", "finite_difference", "sympy"}
    assert main(["solve", str(EXAMPLES / "xor.toml")]) == 0
    text = capsys.readouterr().out
    assert "sample 4" in text and "mean" in text and "torch.optim.SGD on the batch" in text
