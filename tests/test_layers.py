"""The layer rule, enforced: envs <- tools <- skills, memory <- harness (lower layers never import
higher ones), and bench/ never imports tests/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

FORBIDDEN: dict[str, set[str]] = {
    "envs": {"tools", "skills", "memory", "harness"},
    "tools": {"skills", "memory", "harness"},
    "skills": {"harness"},
    "memory": {"harness"},
    "bench": {"tests"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):  # imports inside functions count too
        if isinstance(node, ast.Import):
            out |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_never_import_higher_ones(package):
    files = sorted((REPO / package).rglob("*.py"))
    assert files or package in ("skills", "memory")
    bad = [f"{f.relative_to(REPO)} imports {', '.join(sorted(imported_packages(f) & FORBIDDEN[package]))}"
           for f in files if imported_packages(f) & FORBIDDEN[package]]
    assert not bad, "layer rule broken:\n" + "\n".join(bad)


def test_the_checker_sees_a_violation(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("def f():\n    from harness.agent import Agent\n")
    assert "harness" in imported_packages(f)
