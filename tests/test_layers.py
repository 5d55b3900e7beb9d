"""The house rules of DESIGN.md that code can check: pure modules stay pure, and the import
direction between the packages holds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = [
    "contest/vntext.py",
    "contest/presets.py",
    "contest/rules.py",
    "contest/problems.py",
    "contest/extract.py",
    "contest/legacy_encoding.py",
    "contest/anonymise.py",
    "contest/vault.py",
    "contest/essaygen.py",
    "contest/batch.py",
    "contest/similarity",
    "judging/assignment.py",
    "judging/aggregate.py",
    "judging/prizes.py",
    "judging/export.py",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(rel: str) -> list[Path]:
    p = ROOT / rel
    return sorted(p.rglob("*.py")) if p.is_dir() else [p]


@pytest.mark.parametrize("rel", PURE)
def test_pure_module_imports_neither_flask_nor_sqlalchemy(rel):
    files = [f for f in _files(rel) if f.exists()]
    if not files:
        pytest.skip(f"{rel} is not written yet")
    for f in files:
        bad = _imports(f) & {
            "flask",
            "flask_login",
            "flask_wtf",
            "flask_babel",
            "sqlalchemy",
            "werkzeug",
        }
        assert not bad, f"{f.relative_to(ROOT)} imports {sorted(bad)}"


def test_contest_never_imports_judging():
    for f in (ROOT / "contest").rglob("*.py"):
        assert "judging" not in _imports(f), f"{f.relative_to(ROOT)} imports judging"
