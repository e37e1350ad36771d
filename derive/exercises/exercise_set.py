"""An exercise set: its arguments, its variants and what each asks; and its JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from derive.engine.derivation import derive
from derive.engine.network import build_network
from derive.engine.spec import Spec
from derive.exercises.generator import Variant, variant_ids, variants
from derive.exercises.levels import LEVELS, from_spec
from derive.exercises.levels import level as level_of
from derive.exercises.questions import KINDS, QuestionKind, questions
from derive.report import json_number

MAX_COUNT = 500
FINGERPRINT = "fingerprint"  # exercises.json's key for the sha256 of the rest


@dataclass(frozen=True)
class ExerciseSet:
    seed: int
    level: int | None  # None: a spec's shape (or the spec itself)
    precision: int
    kinds: tuple[QuestionKind, ...]
    variants: tuple[Variant, ...]
    name: str  # the set's name: its spec's, or "level<L>"
    count: int | None  # the whole set's size (--count); None: a spec with its own numbers


def build_set(
    spec: Spec | None,
    count: int | None,
    seed: int = 1,
    level: int = 1,
    precision: int = 3,
    kinds: Sequence[QuestionKind] = KINDS,
    only: str | None = None,
) -> ExerciseSet:
    """A spec alone: that network with its own numbers (one variant). With `count`: that many
    variants of the spec's shape, or of the level's when there is no spec. `only` keeps one
    variant (`V07`), drawn exactly as in the whole set."""
    kinds = tuple(k for k in KINDS if k in kinds)
    if spec is not None and count is None:
        derivation = derive(build_network(spec))
        own = Variant("V01", spec, derivation, questions(derivation, precision, kinds))
        chosen: tuple[Variant, ...] = (own,)
        return ExerciseSet(seed, None, precision, kinds, _keep(chosen, only), spec.name, None)
    count = count or 1
    if spec is None:
        source, key, name, shown_level = level_of(level), f"level{level}", f"level{level}", level
    else:
        source, key, name, shown_level = from_spec(spec), _shape_key(spec), spec.name, None
    wanted = count if only is None else variant_ids(count).index(only) + 1
    drawn = tuple(variants(source, key, seed, wanted, precision, kinds))
    # the ids of the whole set (V001 in a set of 100), whatever was drawn
    drawn = tuple(
        Variant(ident, v.spec, v.derivation, v.questions)
        for ident, v in zip(variant_ids(count), drawn, strict=False)
    )
    return ExerciseSet(seed, shown_level, precision, kinds, _keep(drawn, only), name, count)


def _keep(drawn: tuple[Variant, ...], only: str | None) -> tuple[Variant, ...]:
    return drawn if only is None else tuple(v for v in drawn if v.id == only)


def _shape_key(spec: Spec) -> str:
    shape = (spec.layers, spec.activations, spec.loss, spec.bias, spec.numbering)
    return "spec:" + repr(shape)


def spec_json(spec: Spec) -> dict[str, Any]:
    """A variant's spec with the keys of a spec file (numbers as floats: one or two decimals,
    read back exactly)."""
    network: dict[str, Any] = {
        "layers": list(spec.layers),
        "activation": list(spec.activations),
        "loss": spec.loss,
        "bias": spec.bias,
        "numbering": spec.numbering,
    }
    network |= {key: float(value) for key, value in spec.settings.items()}
    values = {
        key: [float(v) for v in getattr(spec, key)]
        for key in ("inputs", "targets", "weights", "biases")
    }
    return {"network": network, "values": {**values, "learning_rate": float(spec.learning_rate)}}


def to_json(exercises: ExerciseSet) -> dict[str, Any]:
    """The set as exercises.json holds it, with the fingerprint of its content last."""
    content = {
        "seed": exercises.seed,
        "level": exercises.level,
        "precision": exercises.precision,
        "ask": list(exercises.kinds),
        "variants": [
            {
                "id": v.id,
                "spec": spec_json(v.spec),
                "questions": [
                    {
                        "name": str(q.name),
                        "kind": q.kind,
                        "answer": json_number(q.answer),
                        "rounded": json_number(q.rounded),
                        "decimals": q.decimals,
                        "tolerance": float(q.tolerance),
                    }
                    for q in v.questions
                ],
            }
            for v in exercises.variants
        ],
    }
    return {**content, FINGERPRINT: fingerprint(content)}


def fingerprint(content: Mapping[str, Any]) -> str:
    """sha256 of a set's content: every key but the fingerprint, numbers by their value (not
    as written), whatever the order of keys and the spacing. `derive grade` refuses a set
    whose content no longer gives its fingerprint: one edited after derive exercises wrote it
    (a spec, the level), even where every answer stays the same."""

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: plain(v) for key, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return {"number": f"{number.normalize():E}"}

    kept = {key: value for key, value in content.items() if key != FINGERPRINT}
    text = json.dumps(plain(kept), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = [
    "FINGERPRINT",
    "LEVELS",
    "MAX_COUNT",
    "ExerciseSet",
    "build_set",
    "fingerprint",
    "spec_json",
    "to_json",
]
