"""The architecture in DESIGN.md, checked on the imports: core never reaches up into the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "plexrate"
# Rendering reports with rich is the one place outside the CLI allowed to draw (DESIGN: reports
# compute and render separately).
RICH_ALLOWED = {SRC / "reports" / "render.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _core_modules() -> list[Path]:
    return sorted(
        p for p in SRC.rglob("*.py") if SRC / "cli" not in p.parents and p.name != "__main__.py"
    )


@pytest.mark.parametrize("path", _core_modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_core_modules_do_not_import_the_cli_or_ui_libraries(path: Path) -> None:
    imports = _imports(path)
    assert not {m for m in imports if m == "plexrate.cli" or m.startswith("plexrate.cli.")}
    assert not {m for m in imports if m.split(".")[0] == "typer"}
    if path not in RICH_ALLOWED:
        assert not {m for m in imports if m.split(".")[0] == "rich"}


@pytest.mark.parametrize("path", _core_modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_only_the_plex_package_imports_plexapi(path: Path) -> None:
    if SRC / "plex" in path.parents:
        return
    assert not {m for m in _imports(path) if m.split(".")[0] == "plexapi"}


def test_the_engine_is_pure() -> None:
    forbidden = {"requests", "sqlite3", "plexapi", "pydantic", "socket", "http", "urllib"}
    for path in (SRC / "engine").rglob("*.py"):
        roots = {m.split(".")[0] for m in _imports(path)}
        assert not roots & forbidden, f"{path.name} imports {roots & forbidden}"


# The state store's pure parts: what journal entries do to ownership, the undo fold, and how
# reconciliation settles an entry. The store does the SQL around them; these stay testable on
# plain records.
PURE_STATE = ("encoding.py", "ownership.py", "reconcile.py", "undo_fold.py")


@pytest.mark.parametrize("name", PURE_STATE)
def test_the_state_transitions_are_pure(name: str) -> None:
    forbidden = {"sqlite3", "plexapi", "requests", "socket", "http", "urllib", "os"}
    roots = {m.split(".")[0] for m in _imports(SRC / "state" / name)}
    assert not roots & forbidden, f"{name} imports {roots & forbidden}"
    assert not {m for m in _imports(SRC / "state" / name) if m == "plexrate.state.store"}
