"""The sha256 of every output derive writes for the examples: what a refactoring that means to
change no behaviour must leave as it is (issue 18's renovation).

    python scripts/output_digests.py            # print "sha256  path" for every output
    python scripts/output_digests.py --write F  # record them in F
    python scripts/output_digests.py --check F  # compare with F: exit 1 naming what differs

Each command runs in a fresh process, as a user runs it: every example's `solve --json` and
`train --json`, its sheets (en, ko; HTML and PDF), the seed's and xor's training sheets, the
checker on the example answers (JSON and feedback sheets), and a level-1 and a level-3
exercise set with Moodle and QTI exports. The recorded digests hold for the pinned versions
(constraints.txt) on one machine's installation.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.toml") if p.name != "answers_seed.toml")
TRAINED = ("seed.toml", "xor.toml")  # training sheets: the seed's, and one with a boundary


def _derive(*arguments: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "derive", *arguments], cwd=ROOT, capture_output=True
    )
    if done.returncode not in (0, 1):  # 1: a check that found a slip, as the example has
        raise SystemExit(f"derive {' '.join(arguments)} failed: {done.stderr.decode()}")
    return done.stdout


def outputs(directory: Path) -> dict[str, bytes]:
    """Every output, by a name that says which command made it."""
    found: dict[str, bytes] = {}
    for spec in EXAMPLES:
        name = spec.name
        found[f"solve/{name}.json"] = _derive("solve", str(spec), "--json")
        found[f"train/{name}.json"] = _derive("train", str(spec), "--json")
        _derive("sheet", str(spec), "--lang", "en,ko", "-o", str(directory / "sheets"))
    for name in TRAINED:
        spec = str(ROOT / "examples" / name)
        _derive("train", spec, "--lang", "en,ko", "-o", str(directory / "train"))
    answers = str(ROOT / "examples" / "answers_seed.toml")
    found["check/answers_seed.json"] = _derive("check", answers, "--json")
    for lang in ("en", "ko"):
        _derive("check", answers, "--lang", lang, "-o", str(directory / "feedback"))
    for level in ("1", "3"):
        out = str(directory / f"exercises-{level}")
        _derive("exercises", "--count", "3", "--level", level, "--lang", "en,ko",
                "--moodle", "--qti", "-o", out)  # fmt: skip
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(directory))] = path.read_bytes()
    return found


def digests() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as directory:
        made = outputs(Path(directory))
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(made.items())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", type=Path, metavar="FILE", help="record the digests in FILE")
    group.add_argument("--check", type=Path, metavar="FILE", help="compare with FILE")
    args = parser.parse_args()
    now = digests()
    lines = "".join(f"{digest}  {name}\n" for name, digest in now.items())
    if args.write:
        args.write.write_text(lines, encoding="utf-8")
    elif args.check:
        recorded = dict(
            reversed(line.split("  ", 1)) for line in args.check.read_text("utf-8").splitlines()
        )
        differing = sorted(n for n in recorded.keys() | now.keys() if recorded.get(n) != now.get(n))
        for name in differing:
            print(f"differs: {name}")
        print(f"{len(now) - len(differing)} of {len(now | recorded)} outputs unchanged")
        return 1 if differing else 0
    else:
        sys.stdout.write(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
