"""The flow of the code: only render/ imports rich, only cli/ imports typer, and the engine's
side never prints."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "backprop_trace"


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_render_imports_rich_and_only_cli_imports_typer() -> None:
    for path in PACKAGE.rglob("*.py"):
        used = imports(path)
        relative = path.relative_to(PACKAGE).as_posix()
        if "rich" in used:
            assert relative.startswith("render/"), relative
        if "typer" in used:
            assert relative.startswith("cli/"), relative


def test_the_library_never_prints() -> None:
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(("render/", "cli/")) or relative == "__main__.py":
            continue
        calls = [
            n
            for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
        ]
        assert not calls, relative
