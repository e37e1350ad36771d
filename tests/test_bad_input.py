"""Bad input: one line on stderr naming file, key and problem; exit code 2; no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from derive.commands.cli import main
from derive.errors import one_line

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

JSON_SEED = (
    '{"title": "Seed", "network": {"layers": [2, 2, 1], "activation": "sigmoid", '
    '"loss": "mse"}, "values": {"inputs": [0.5, 0.3], "targets": [1.0], '
    '"weights": [0.7, 0.3, 0.4, 0.6, 0.55, 0.45]}}'
)


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
    # the user's values in their own terms, and counts in plain grammar
    (
        _variant("[1.0]", "[1.0, 0.0]"),
        "bad.toml",
        "values.targets",
        "expected 1 number (one per output y1)",
    ),
    (_variant("[2, 2, 1]", "[2, 2.5, 1]"), "bad.toml", "network.layers[1]", "got 2.5"),
    (_variant("[0.5, 0.3]", "[0.5, [0.3]]"), "bad.toml", "values.inputs[1]", "a list is not"),
    (_variant("[1.0]", "{ y = 1 }"), "bad.toml", "values.targets", "got a table"),
    # nesting: refused before a parser recurses
    ("a = " + "[" * 600 + "]" * 600, "bad.toml", "line 1", "nested deeper than 32 levels"),
    ("a = " + "{b = " * 600 + "1" + "}" * 600, "bad.toml", "line 1", "nested deeper than 32"),
    ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "bad.json", "line 1", "nested deeper"),
    ('{"a": ' * 30_000 + "1" + "}" * 30_000, "bad.json", "line 1", "nested deeper than 32"),
    ("a" + ".a" * 100_000 + " = 1", "bad.toml", "line 1", "a dotted key of more than 32 parts"),
    ("[b" + ".b" * 20 + "]\nc" + ".c" * 20 + " = 1", "bad.toml", "b.b.b", "nested deeper than 32"),
    # numbers too long for Python's int conversion, or for Decimal's exponent
    (_variant("[1.0]", "[" + "1" * 5000 + "]"), "bad.toml", "line 8", "5,000 characters is too"),
    ("x = 0x" + "f" * 5000, "bad.toml", "line 1", "too long (at most 100)"),
    ('{"network": {"layers": [' + "1" * 5000 + "]}}", "bad.json", "line 1", "too long"),
    ('{"values": {"inputs": [1e' + "9" * 30 + "]}}", "bad.json", "", "not a number derive can"),
    # limits on spec numbers
    (_variant("[0.5, 0.3]", "[0.5, 1e1000000]"), "bad.toml", "values.inputs[1]", "1e+1000000"),
    (_variant("[0.5, 0.3]", "[0.5, 1e-99999999]"), "bad.toml", "values.inputs[1]", "decimals"),
    (
        _variant("0.3]", "0.3000000000000001]"),
        "bad.toml",
        "values.inputs[1]",
        "16 decimals (at most 15)",
    ),
    # JSON repeated keys; TOML refuses them itself
    ('{"network": {"layers": [2, 1], "layers": [1, 1]}}', "bad.json", "network.layers", "twice"),
    ('{"values": {}, "values": {}}', "bad.json", "values", "given twice"),
    (SEED.replace("[values]", "[values]\ninputs = [1, 1]"), "bad.toml", "", "Cannot overwrite"),
    # encodings
    (b"\xff\xfe" + SEED.encode("utf-16-le"), "bad.toml", "", "is UTF-16 text; save it as UTF-8"),
    (('title = "caf\xe9"\n' + SEED).encode("latin-1"), "bad.toml", "", "byte 0xe9 on line 1"),
    # titles
    ('title = "' + "x" * 201 + '"\n' + SEED, "bad.toml", "title", "201 characters is too long"),
    ('title = "tab\\there"\n' + SEED, "bad.toml", "title", "contains a control character"),
    ('title = "  "\n' + SEED, "bad.toml", "title", "is empty"),
    ("title = 3\n" + SEED, "bad.toml", "title", "must be a string in quotes, got 3"),
    ('title = "' + "x" * 10_000_000 + '"\n' + SEED, "bad.toml", "", "too large (at most 250,000"),
    # JSON's lone surrogates: half a UTF-16 pair, no character any file or terminal takes
    (JSON_SEED.replace("Seed", "Seed \\ud800"), "bad.json", "title", "\\ud800 is half of a"),
    (JSON_SEED.replace('"loss"', '"\\udc00"'), "bad.json", "network.\\udc00", "\\udc00 is half"),
    # control characters echoed from the file stay escaped: still one line
    ('"a\\nb" = 1\n' + SEED, "bad.toml", "a\\nb", "unknown key"),
    (_variant('"sigmoid"', '"sig\\u001b[2Jmoid"'), "bad.toml", "network.activation", "\\x1b[2J"),
]


@pytest.mark.parametrize(("text", "filename", "key", "problem"), CASES)
def test_bad_spec_gives_one_clear_line(tmp_path, capsys, text, filename, key, problem):
    path = tmp_path / filename
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    start = time.perf_counter()
    assert main(["solve", str(path)]) == 2
    assert time.perf_counter() - start < 5
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"derive: {path}: {key}" if key else f"derive: {path}: "), err
    assert problem in err
    assert "Decimal(" not in err and "Error" not in err, err
    assert list(tmp_path.iterdir()) == [path]


def test_byte_order_mark_is_ignored(tmp_path, capsys):
    path = tmp_path / "notepad.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SEED.encode())
    assert main(["solve", str(path), "--json"]) == 0
    assert capsys.readouterr().err == ""


def test_control_characters_are_escaped():
    assert one_line("a\nb\tc\r\x1b[0m\u2028\u202e") == "a\\nb\\tc\\r\\x1b[0m\\u2028\\u202e"
    # surrogates: a JSON \\ud800, and a file name's byte that is not UTF-8 (b"\\xff": \\udcff)
    assert one_line("a\ud800 \udcff.toml") == "a\\ud800 \\xff.toml"
    assert one_line("로 ∂C/∂w1 — “x”") == "로 ∂C/∂w1 — “x”"


def test_non_utf8_file_name_of_answers_spec(tmp_path, capsys):
    answers = tmp_path / "a.toml"
    answers.write_text('spec = "no\\u0000such.toml"\n[answers]\nz1 = 0.47\n')
    assert main(["check", str(answers)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "answers" not in err.split(": ")[1] and "\\x00" in err


ANSWERS = [
    ("z1 = 0.470000000000000000000000000001", "answers.z1", "has 30 decimals (at most 20)"),
    ("z1 = 1e1000000", "answers.z1", "1e+1000000 is too large (at most 30 digits before"),
    ('z1 = "1e1000000"', "answers.z1", "1e1000000 is too large"),
    ('z1 = "1e-99999999"', "answers.z1", "1e-99999999 has 99,999,999 decimals (at most 20)"),
    ("z1 = 1e-99999999", "answers.z1", "has 99,999,999 decimals"),
    ('z1 = "1e99999999999999999999999999"', "answers.z1", "is too large or too small"),
    ("z1 = 123456789.123456789012", "answers.z1", "has 21 significant digits (at most 20)"),
    ("z1 = [0.47]", "answers.z1", "a list is not a number"),
    ('z1 = "about 0.47"', "answers.z1", "'about 0.47' is not a number"),
    ("z1 = nan", "answers.z1", "NaN is not a finite number"),
    ('"dC/dw1" = 0.1\n"∂C / ∂w1" = 0.1', "answers.∂C / ∂w1", "the same name as 'dC/dw1'"),
]


@pytest.mark.parametrize(("line", "key", "problem"), ANSWERS)
def test_bad_answers_give_one_clear_line(tmp_path, capsys, line, key, problem):
    path = tmp_path / "answers.toml"
    path.write_text(f"[answers]\n{line}\n", "utf-8")
    start = time.perf_counter()
    assert main(["check", str(path)]) == 2
    assert time.perf_counter() - start < 5
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"derive: {path}: {key}: "), err
    assert problem in err


def test_repeated_key_in_json_answers(tmp_path, capsys):
    path = tmp_path / "answers.json"
    path.write_text('{"answers": {"z1": 0.47, "h1": 0.6, "z1": 0.5}}')
    assert main(["check", str(path)]) == 2
    assert (
        capsys.readouterr().err == f"derive: {path}: answers.z1: given twice; give each key once\n"
    )


def test_twenty_decimals_are_still_checked(tmp_path, capsys):
    path = tmp_path / "answers.toml"
    path.write_text("[answers]\nz1 = 0.47000000000000000000\nx1 = 5e-1\n")
    assert main(["check", str(path)]) == 0
    assert "2 correct" in capsys.readouterr().out


USAGE = [
    (["sheet", "--precision", "11"], "derive: sheet: --precision: a whole number from 1 to 10"),
    (["sheet", "--lang", "fr"], "derive: sheet: --lang: unknown language 'fr'"),
    (["sheet", "--format", "docx"], "derive: sheet: --format: choose from html, pdf"),
    (
        ["slove"],
        "derive: unknown command 'slove' "
        "(choose from: solve, sheet, check, exercises, grade, train)",
    ),
    ([], "derive: missing command (choose from: solve, sheet, check, exercises, grade, train)"),
    (["check"], "derive: check: the following arguments are required: ANSWERS"),
    (["solve", "--frobnicate"], "derive: solve: unknown argument: --frobnicate"),
    (["solve", "a\nb", "c"], "derive: solve: unknown argument: c"),
    (["sheet", "--lang", "e\nn"], "derive: sheet: --lang: unknown language 'e\\nn'"),
]


@pytest.mark.parametrize(("argv", "message"), USAGE)
def test_usage_errors_are_one_line_and_a_hint(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    error, hint = err.splitlines()
    assert error.startswith(message), error
    command = f"derive {argv[0]}" if argv and argv[0] in ("solve", "sheet", "check") else "derive"
    assert hint == f"try '{command} --help'"


def test_help_is_unchanged(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sheet", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: derive sheet [-h] [-o DIR]") and "--precision N" in out


def test_missing_file(capsys, tmp_path):
    assert main(["solve", str(tmp_path / "nope.toml")]) == 2
    assert capsys.readouterr().err == f"derive: {tmp_path / 'nope.toml'}: no such file\n"


def test_directory_instead_of_file(capsys, tmp_path):
    assert main(["solve", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_no_one_writes_to_is_one_line(tmp_path):
    """`mkfifo answers.toml; derive check answers.toml` would wait for a writer for ever."""
    fifo = tmp_path / "answers.toml"
    os.mkfifo(fifo)
    for argv in (
        ["check", str(fifo)],
        ["solve", str(fifo)],
        ["grade", "r.csv", "--set", str(fifo)],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "derive", *argv], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2, result.stderr
        assert (
            result.stderr == f"derive: {fifo}: is a named pipe (FIFO) that no program writes to\n"
        )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_not_a_file(capsys):
    assert main(["solve", "/dev/zero"]) == 2
    assert capsys.readouterr().err == "derive: /dev/zero: is a device, not a file\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_pipe_with_a_writer_is_read(tmp_path, capsys):
    """`derive solve <(make_spec)`: a pipe some program writes to is read to its end, however
    late the writing comes."""
    fifo = tmp_path / "spec.toml"
    os.mkfifo(fifo)
    keep = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer open without waiting
    writer = os.open(fifo, os.O_WRONLY)

    def write() -> None:
        os.write(writer, SEED.encode())
        os.close(writer)

    late = threading.Timer(0.5, write)
    late.start()
    try:
        assert main(["solve", str(fifo), "--json"]) == 0
    finally:
        late.join()
        os.close(keep)
    assert json.loads(capsys.readouterr().out)["loss"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            SEED + "[training]\nlearning_rate = 0.1\n",
            "training.learning_rate: unknown key; torch.optim calls it lr",
        ),
        (
            _variant("inputs", "lr = 0.1\ninputs"),
            "values.lr: unknown key; the learning rate here is values.learning_rate "
            "([training] calls it lr)",
        ),
    ],
)
@pytest.mark.parametrize("command", ["solve", "train"])
def test_the_other_spelling_of_the_learning_rate_names_the_right_one(
    tmp_path, capsys, text, line, command
):
    """[values] says learning_rate, [training] lr (torch.optim's name): one spelling each."""
    path = tmp_path / "net.toml"
    path.write_text(text, "utf-8")
    assert main([command, str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"derive: {path}: {line}\n"
