"""The fiscal core stands on the floor: it imports nothing of comptoir but the pure modules,
so that hub, till and a bare archive check all run it alike (an import-linter contract can
take this over once the layers have one)."""

from __future__ import annotations

import ast
from pathlib import Path

import comptoir.fiscal

FLOOR = {"comptoir.lib.errors", "comptoir.lib.money", "comptoir.lib.ids", "comptoir.lib.chain"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_fiscal_core_imports_only_the_floor_and_itself() -> None:
    package = Path(comptoir.fiscal.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        for name in _imports(module):
            if name == "comptoir" or name.startswith("comptoir."):
                allowed = name in FLOOR or name.startswith("comptoir.fiscal")
                assert allowed, f"{module.name} imports {name}"
            assert not name.startswith("django.db"), f"{module.name} imports {name}"
