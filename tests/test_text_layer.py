"""derive/text/ sits below the sheets: sheets, grading, exercises and typeset use its words and
numbers, so it must not import the document model back."""

from __future__ import annotations

import ast
from pathlib import Path

import derive.text


def test_text_imports_nothing_from_sheets() -> None:
    for path in Path(derive.text.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            assert not any(m.startswith("derive.sheets") for m in modules), path.name
