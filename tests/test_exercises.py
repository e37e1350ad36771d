"""Exercise sets: seeded, reproducible variants that are never degenerate nor alike, and
questions whose answers are the engine's verified values."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from derive.engine.names import Name
from derive.engine.spec import load_spec
from derive.exercises.exercise_set import build_set, to_json
from derive.exercises.generator import SATURATION, canonical_form, variant_ids
from derive.exercises.questions import KINDS
from derive.grading.quantities import solution_values
from derive.solution import solve


def test_same_arguments_give_the_same_set():
    first = json.dumps(to_json(build_set(None, 8, seed=11, level=3)))
    assert first == json.dumps(to_json(build_set(None, 8, seed=11, level=3)))
    assert first != json.dumps(to_json(build_set(None, 8, seed=12, level=3)))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_one_variant_alone_equals_its_entry_in_the_set(level):
    whole = to_json(build_set(None, 12, seed=5, level=level))
    alone = to_json(build_set(None, 12, seed=5, level=level, only="V09"))
    assert alone["variants"] == [whole["variants"][8]]


def test_variant_ids_are_padded_to_the_set():
    assert variant_ids(3) == ["V01", "V02", "V03"]
    assert variant_ids(120)[:2] == ["V001", "V002"] and variant_ids(120)[-1] == "V120"


@pytest.mark.parametrize("level", [1, 2, 3])
def test_hundreds_of_variants_are_distinct_and_never_degenerate(level):
    # 4 seeds × 60 variants per level: 720 variants in all
    for seed in range(4):
        exercises = build_set(None, 60, seed=seed, level=level)
        shapes = {v.spec.layers + v.spec.activations for v in exercises.variants}
        assert len(shapes) == 1  # one shape per set: every student answers the same names
        forms = [canonical_form(v.spec) for v in exercises.variants]
        assert len(set(forms)) == len(forms)
        names = {tuple(str(q.name) for q in v.questions) for v in exercises.variants}
        assert len(names) == 1 and len(next(iter(names))) == 6
        for v in exercises.variants:
            net, values = v.derivation.network, v.derivation.values
            for n in net.neurons:
                z, act = values[n.z], v.spec.activations[n.layer - 1]
                if act == "relu":
                    assert z > Decimal("0.001")  # alive, and off its kink
                else:
                    assert abs(z) <= SATURATION
            for q in v.questions:
                assert abs(q.answer) >= Decimal("0.01")
                assert q.shown != 0
                # numbers a student can work by hand
            assert all(len(str(w).split(".")[-1]) <= 2 for w in v.spec.weights + v.spec.inputs)
            assert v.spec.learning_rate in (Decimal("0.1"), Decimal("0.5"))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_answers_are_the_engines_verified_values(level):
    for v in build_set(None, 3, seed=3, level=level).variants:
        solution = solve(v.spec)  # raises if any check fails
        values = solution_values(solution.derivation, solution.update)
        for q in v.questions:
            assert q.answer == values[q.name]
            # full credit: half a unit of the asked digit, around the exact and the carried value
            assert q.tolerance == Decimal(5).scaleb(-(q.decimals + 1))
            assert abs(q.rounded - q.answer) < Decimal(10).scaleb(-q.decimals) * 10


def test_a_spec_alone_is_its_own_variant_and_with_a_count_its_shape_varies():
    spec = load_spec("examples/tanh_2-3-2.toml")
    (own,) = build_set(spec, None).variants
    assert own.spec == spec and own.id == "V01"
    assert [str(q.name) for q in own.questions] == ["h1", "o1", "C", "dC/dw7", "dC/dw1", "w7'"]
    varied = build_set(spec, 4, seed=2).variants
    assert all(v.spec.layers == spec.layers and v.spec.bias == "neuron" for v in varied)
    assert all(v.spec.activations == spec.activations for v in varied)
    assert len({v.spec.weights for v in varied}) == 4


def test_ask_picks_the_kinds_of_question():
    exercises = build_set(None, 2, seed=1, level=1, kinds=["loss", "update"])
    assert exercises.kinds == ("loss", "update")
    assert [str(q.name) for q in exercises.variants[0].questions] == ["C", "w5'"]
    assert set(KINDS) >= set(exercises.kinds)


def test_json_holds_every_answer_and_tolerance():
    data = to_json(build_set(None, 2, seed=9, level=2))
    assert (data["seed"], data["level"], data["precision"]) == (9, 2, 3)
    question = data["variants"][0]["questions"][0]
    assert set(question) == {"name", "kind", "answer", "rounded", "decimals", "tolerance"}
    assert Name.parse(question["name"]) == Name("h1")
