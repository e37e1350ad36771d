"""`derive solve`: the terminal report and the JSON object."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from derive.commands.cli import main


def test_json_has_full_precision_values(capsys):
    assert main(["solve", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["values"]["z1"] == 0.47
    assert data["values"]["h1"] == pytest.approx(0.6153837563911821, rel=1e-15)
    assert data["loss"] == pytest.approx(0.1255184723983558, rel=1e-15)
    assert data["gradients"]["w1"] == pytest.approx(-0.0105507730202728, rel=1e-13)
    assert data["updated"]["w1"] == pytest.approx(0.7010550773020273, rel=1e-15)
    assert set(data["gradients"]) == {f"w{i}" for i in range(1, 7)}
    check = data["checks"]["w5"]
    for method in ("chain_rule", "sympy", "autograd", "finite_difference"):
        assert check[method] == pytest.approx(-0.0997525403151409, rel=1e-8), method
    assert check["largest_disagreement"] < 1e-9
    assert data["local_derivatives"]["do1/dz3"] == pytest.approx(0.2287673901453757, rel=1e-14)
    assert data["node_gradients"]["z3"] == pytest.approx(-0.7085717250874629 * 0.2287673901453757)


def test_json_sympy_is_null_when_skipped(capsys, tmp_path):
    path = tmp_path / "wide.toml"
    weights = ", ".join(["0.1"] * 128)
    path.write_text(
        f"[network]\nlayers = [8, 8, 8]\n[values]\ninputs = [1, 2, 3, 4, 5, 6, 7, 8]\n"
        f"targets = [0, 1, 0, 1, 0, 1, 0, 1]\nweights = [{weights}]\n"
    )
    assert main(["solve", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["checks"]["w1"]["sympy"] is None
    assert "128 parameters" in data["verification"]["sympy_skipped"]


def test_terminal_report(capsys):
    assert main(["solve", "examples/seed_section3.toml"]) == 0
    out = capsys.readouterr().out
    assert "z1 = x1·w1 + x2·w3 + b1 = 0.35" in out
    assert "All 9 gradients agree" in out
    assert "b3" in out


def test_python_dash_m_runs():
    module = subprocess.run(
        [sys.executable, "-m", "derive", "solve", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(module.stdout)["values"]["z1"] == 0.47
