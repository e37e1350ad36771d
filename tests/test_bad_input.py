"""Bad input: one line on stderr naming file, key and problem; exit code 2; no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from derive.cli import main

SEED = """
[network]
layers = [2, 2, 1]
activation = "sigmoid"
loss = "mse"
[values]
inputs = [0.5, 0.3]
targets = [1.0]
weights = [0.7, 0.3, 0.4, 0.6, 0.55, 0.45]
"""


def _variant(old: str, new: str) -> str:
    assert old in SEED
    return SEED.replace(old, new)


CASES = [
    ("not toml [", "bad.toml", "", "not valid TOML"),
    ("colour = 1\n" + SEED, "bad.toml", "colour", "unknown key"),
    (_variant("loss =", "depth = 3\nloss ="), "bad.toml", "network.depth", "unknown key"),
    (_variant("inputs", "input = [1]\ninputs"), "bad.toml", "values.input", "unknown key"),
    (_variant('"sigmoid"', '"swish"'), "bad.toml", "network.activation", "unknown value 'swish'"),
    (_variant('"mse"', '"hinge"'), "bad.toml", "network.loss", "unknown value 'hinge'"),
    (_variant("0.55, 0.45]", "0.55]"), "bad.toml", "values.weights", "expected 6 numbers"),
    (
        _variant("targets", "biases = [0.1]\ntargets"),
        "bad.toml",
        "values.biases",
        "expected 0 numbers",
    ),
    (
        _variant('loss = "mse"', 'loss = "mse"\nbias = "neuron"'),
        "bad.toml",
        "values.biases",
        "expected 3 numbers",
    ),
    (_variant("[0.5, 0.3]", '[0.5, "a lot"]'), "bad.toml", "values.inputs[1]", "is not a number"),
    (_variant("[0.5, 0.3]", "[0.5, nan]"), "bad.toml", "values.inputs[1]", "not a finite number"),
    (_variant("[1.0]", "[inf]"), "bad.toml", "values.targets[0]", "not a finite number"),
    (_variant("[0.5, 0.3]", "[0.5, true]"), "bad.toml", "values.inputs[1]", "is not a number"),
    (_variant('"sigmoid"', '"softmax"'), "bad.toml", "network.activation", "output layer only"),
    (
        _variant('"sigmoid"', '["softmax", "sigmoid"]'),
        "bad.toml",
        "network.activation[0]",
        "output layer only",
    ),
    (
        _variant('"mse"', '"cross_entropy"'),
        "bad.toml",
        "network.loss",
        "cross_entropy needs softmax outputs",
    ),
    (
        _variant('"mse"', '"bce"').replace("[1.0]", "[1.5]"),
        "bad.toml",
        "values.targets[0]",
        "bce needs targets in [0, 1]",
    ),
    (
        _variant("[2, 2, 1]", "[2, 65, 1]"),
        "bad.toml",
        "network.layers[1]",
        "65 neurons is too many",
    ),
    (
        _variant("[2, 2, 1]", "[60, 60, 60, 60]"),
        "bad.toml",
        "network.layers",
        "parameters is too many",
    ),
    (_variant("[2, 2, 1]", "[2]"), "bad.toml", "network.layers", "at least an input size"),
    (SEED + "learning_rate = -0.1\n", "bad.toml", "values.learning_rate", "must be positive"),
    (_variant("[0.5, 0.3]", "[0.5, 1e9]"), "bad.toml", "values.inputs[1]", "too large"),
    ('{"network": 3, "values": {}}', "bad.json", "network", "must be a table"),
    (
        '{"network": {"layers": [1, 1]}, "values": {"inputs": [NaN]}}',
        "bad.json",
        "",
        "NaN is not a finite number",
    ),
    ("[1, 2]", "bad.json", "", "must be a JSON object"),
    ("{", "bad.json", "", "not valid JSON"),
]


@pytest.mark.parametrize(("text", "filename", "key", "problem"), CASES)
def test_bad_spec_gives_one_clear_line(tmp_path, capsys, text, filename, key, problem):
    path = tmp_path / filename
    path.write_text(text)
    assert main(["solve", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"derive: {path}: {key}" if key else f"derive: {path}: ")
    assert problem in err


def test_missing_file(capsys, tmp_path):
    assert main(["solve", str(tmp_path / "nope.toml")]) == 2
    assert capsys.readouterr().err == f"derive: {tmp_path / 'nope.toml'}: no such file\n"


def test_directory_instead_of_file(capsys, tmp_path):
    assert main(["solve", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_values_beyond_exact_arithmetic_are_bad_input(capsys, tmp_path):
    # z grows by 10¹² a layer: e^(−z) at the last sigmoid is beyond any decimal exponent
    path = tmp_path / "huge.toml"
    path.write_text(
        "[network]\nlayers = [1, 1, 1, 1, 1]\n"
        'activation = ["linear", "linear", "linear", "sigmoid"]\n'
        "[values]\ninputs = [1000000]\ntargets = [1]\n"
        "weights = [1000000, 1000000, 1000000, -1000000]\n"
    )
    assert main(["solve", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "beyond the range of exact arithmetic" in err


def test_command_line_has_no_traceback(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(_variant('"sigmoid"', '"swish"'))
    result = subprocess.run(
        [sys.executable, "-m", "derive", "solve", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().endswith(
        "(choose one of: sigmoid, tanh, relu, leaky_relu, softplus, linear, softmax)"
    )
