"""The ziamath patches: the speed patches change no byte of any example formula, and ziamath and
ziafont versions they were not written for run ziamath as released, formulas sized the same."""

from __future__ import annotations

import contextlib
import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from unittest import mock

import pytest

from derive.engine.spec import load_spec
from derive.sheet import Sheet
from derive.sheets.document import formulas as document_formulas
from derive.sheets.training import TrainingSheet
from derive.trainer import Training, rules
from derive.typeset import mathsvg, ziamath_patches

# slow (typesets every example formula unpatched): make test-fast leaves it out
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SIZE = re.compile(r'viewBox="[^"]*"|style="[^"]*"')
SHARDS = 4  # the formulas typeset unpatched in parts, none a long test


@pytest.fixture(scope="module")
def formulas() -> list[tuple[str, bool]]:
    found: set[tuple[str, bool]] = set()
    for spec, lang in itertools.product(("seed.toml", "seed_section3.toml"), ("en", "ko")):
        found |= set(document_formulas(Sheet(ROOT / "examples" / spec, lang=lang).document))
    # cases (ReLU), softmax sums, shared biases, several samples' superscripts
    for spec in ("classifier_3-4-3.toml", "layer_bias_2-2-2.toml", "xor.toml"):
        found |= set(document_formulas(Sheet(ROOT / "examples" / spec).document))
    # a training sheet's aligned steps (every optimizer): rows of brackets nested in tables
    seed = load_spec(ROOT / "examples" / "seed.toml")
    training = Training(seed, rules(seed), 2)
    found |= set(document_formulas(TrainingSheet(training, "en").worked))
    return sorted(found)


def _typeset(formulas: list[tuple[str, bool]]) -> list[str]:
    return [mathsvg.typeset(tex, display).svg for tex, display in formulas]


@pytest.fixture(scope="module")
def patched(formulas: list[tuple[str, bool]]) -> list[str]:
    """The formulas as derive typesets them (patched, where the versions are the pinned ones)."""
    return _typeset(formulas)


@contextlib.contextmanager
def _rechecked() -> Iterator[None]:
    """Inside: ziamath unpatched, the patches' fit checked afresh. After: as before."""
    ziamath_patches.uninstall()
    ziamath_patches.speed_patches_fit.cache_clear()
    ziamath_patches.text_glyphs_fit.cache_clear()
    try:
        yield
    finally:
        ziamath_patches.speed_patches_fit.cache_clear()
        ziamath_patches.text_glyphs_fit.cache_clear()
        ziamath_patches.install()


@contextlib.contextmanager
def _installed_as(name: str, version: str) -> Iterator[None]:
    """Pretend `name` is installed at `version`."""
    real = metadata.version
    fake = mock.patch.object(metadata, "version", lambda n: version if n == name else real(n))
    with _rechecked(), fake:
        yield


def test_constraints_pin_the_versions_the_patches_were_written_for():
    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    )
    for name, version in ziamath_patches.WRITTEN_FOR.items():
        assert pins[name] == version


@pytest.mark.parametrize("shard", range(SHARDS))
def test_speed_patches_change_no_byte(formulas, patched, shard):
    if not ziamath_patches.install():
        pytest.skip("ziamath/ziafont are not the pinned versions: the patches are off")
    assert len(formulas) > 50
    mine = formulas[shard::SHARDS]
    with _rechecked():
        unpatched = _typeset(mine)
        assert ziamath_patches.text_glyphs_fit()  # both runs set glyphs as text
    differing = [tex for (tex, _), a, b in zip(mine, patched[shard::SHARDS], unpatched) if a != b]
    assert not differing


@pytest.mark.parametrize("name", ["ziamath", "ziafont"])
def test_another_version_turns_every_patch_off(name):
    with _installed_as(name, "99.0"):
        assert not ziamath_patches.install()
        assert not ziamath_patches.text_glyphs_fit()
    assert ziamath_patches.install() == ziamath_patches.text_glyphs_fit()


def test_a_reworked_function_turns_the_speed_patches_off():
    from ziamath.nodes.mrow import Mrow

    def reworked(self, line, **kwargs):
        pass

    with _rechecked(), mock.patch.object(Mrow, "_setup_single_line", reworked):
        assert not ziamath_patches.install()


@pytest.mark.parametrize("shard", range(SHARDS))
def test_unpatched_ziafont_draws_outlines_of_the_same_size(formulas, patched, shard):
    with _installed_as("ziafont", "0.12"):
        outlines = _typeset(formulas[shard::SHARDS])
    assert not any("<text" in svg for svg in outlines)
    sizes = [SIZE.findall(svg) for svg in patched[shard::SHARDS]]
    assert [SIZE.findall(svg) for svg in outlines] == sizes


def test_many_formulas_typeset_on_two_cores_give_the_same_bytes(monkeypatch):
    # a worker takes the second half, and the result is what one process gives
    from derive.typeset import mathsvg
    from derive.workers import MATH, Workers

    keys = [(f"x_{{{k}}} = \\frac{{{k}}}{{7}}", k % 2 == 0) for k in range(12)]
    monkeypatch.setattr(mathsvg, "SHARED", 4)
    with Workers() as workers:
        shared = mathsvg.MathTypesetter(workers).document(keys)
        assert MATH in workers.lanes  # a worker took its half
    assert list(shared) == keys
    assert shared == dict(zip(keys, mathsvg._typeset_all(keys)))


@pytest.mark.parametrize(
    ("tex", "laid_out"),
    [
        (r"\sigma\left(z_{1}\right) = \sigma\left(0.470\right)", r"\sigma(z_{1}) = \sigma(0.470)"),
        (r"\left(\frac{y}{o} - \left(1 - y\right)\right)", r"\left(\frac{y}{o} - (1 - y)\right)"),
        # a bracket around one that grows grows too
        (
            r"\left(a + \left(\frac{1}{2}\right)\right)",
            r"\left(a + \left(\frac{1}{2}\right)\right)",
        ),
        (r"\left(\left({-0.2} - 0.005\right)^{2}\right)", r"(({-0.2} - 0.005)^{2})"),
    ],
)
def test_only_brackets_around_something_tall_grow(tex, laid_out):
    assert mathsvg.plain_brackets(tex) == laid_out


def _glyphs(svg: str) -> tuple[list[tuple[str, str, str, str]], int]:
    """Every glyph set as text, (character, x, y, size) in drawing order, and the number of
    <text> elements."""
    texts = ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
    glyphs, count = [], 0
    for text in texts:
        count += 1
        xs, ys = text.attrib["x"].split(), text.attrib["y"].split()
        ys = ys * len(text.text) if len(ys) == 1 else ys
        glyphs += [(c, x, y, text.attrib["font-size"]) for c, x, y in zip(text.text, xs, ys)]
    return glyphs, count


def test_glyphs_of_one_size_are_one_element_each_in_its_place(formulas, patched):
    with mock.patch.object(mathsvg, "_merge_glyphs", lambda element: None):
        apart = _typeset(formulas)
    assert sum(_glyphs(svg)[1] for svg in apart) > 3 * sum(_glyphs(svg)[1] for svg in patched)
    for merged, separate in zip(patched, apart, strict=True):
        glyphs, count = _glyphs(merged)
        assert sorted(glyphs) == sorted(_glyphs(separate)[0])
        assert [g[0] for g in glyphs if g[3] == "16"] == [
            g[0] for g in _glyphs(separate)[0] if g[3] == "16"
        ]
        assert count == len({g[3] for g in glyphs})
