"""The wheel carries everything derive reads at run time (templates, fonts, locales, examples):
built from this checkout and installed on its own, it renders the same sheet as the checkout.

Built without build isolation (hatchling comes with the dev extra) and installed without
dependencies into a directory of its own, run by this interpreter: no download, and torch and
the rest come from this environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import derive
from derive.typeset.html import templates_dir

# slow (builds and installs a wheel): make test-fast leaves it out
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = (
    "derive/templates/sheet.html.j2",
    "derive/templates/sheet.css",
    "derive/fonts/NanumGothic.ttf",
    "derive/fonts/NanumGothicBold.ttf",
    "derive/fonts/OFL.txt",
    "derive/locales/en.toml",
    "derive/locales/ko.toml",
    "derive/examples/seed.toml",
    "derive/examples/seed_section3.toml",
    "derive/examples/answers_seed.toml",
)


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_checkout_reads_the_templates_in_the_package():
    assert templates_dir() == Path(derive.__file__).resolve().parent / "templates"


def test_installed_wheel_renders_a_sheet(tmp_path):
    pip = ("-m", "pip", "--disable-pip-version-check", "-q")
    _run(*pip, "wheel", ROOT, "--no-deps", "--no-build-isolation", "-w", "dist", cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("derive-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not set(PACKAGED) - names

    site = tmp_path / "site"
    _run(*pip, "install", "--no-deps", "--no-index", "--target", site, wheel, cwd=tmp_path)
    # only the installed wheel on the path ahead of this environment (not the checkout)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(site)
    where = _run(
        "-c",
        "import derive; from derive.typeset.html import templates_dir;"
        "print(derive.__file__); print(templates_dir())",
        cwd=tmp_path,
        env=env,
    ).split()
    assert where == [str(site / "derive" / "__init__.py"), str(site / "derive" / "templates")]

    _run("-m", "derive", "sheet", "--format", "html,pdf", "-o", "out", cwd=tmp_path, env=env)
    assert (tmp_path / "out" / "seed.en.pdf").read_bytes().startswith(b"%PDF")
    html = (tmp_path / "out" / "seed.en.html").read_text("utf-8")
    assert "<title>Backpropagation, one step</title>" in html
    # the same page as the checkout's: same templates, fonts, words and formulas
    env["PYTHONPATH"] = str(Path(derive.__file__).resolve().parent.parent)
    _run("-m", "derive", "sheet", "--format", "html", "-o", "checkout", cwd=tmp_path, env=env)
    assert html == (tmp_path / "checkout" / "seed.en.html").read_text("utf-8")
