"""The architecture in DESIGN.md, checked on the imports: core never reaches up into the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "plexrate"
# Rendering reports with rich is the one place outside the CLI allowed to draw (DESIGN: reports
# compute and render separately).
RICH_ALLOWED = {SRC / "reports" / "views.py"}


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


# Feature packages sit above the session: they open one, the session knows nothing of them.
FEATURE_PACKAGES = ("admin", "bulk", "phases", "reports", "evaluate", "doctor", "watch", "cli")
# The session, what use cases return, and the small modules the session is built from.
SESSION_LAYER = (
    "session.py",
    "usecase.py",
    "migration.py",
    "rekey.py",
    "wording.py",
    "commandline.py",
)


@pytest.mark.parametrize("name", SESSION_LAYER)
def test_the_session_imports_no_feature_package(name: str) -> None:
    features = {f"plexrate.{package}" for package in FEATURE_PACKAGES}
    reached = {
        m for m in _imports(SRC / name) if any(m == f or m.startswith(f + ".") for f in features)
    }
    assert not reached, f"{name} imports {sorted(reached)}"


def _cli_modules() -> list[Path]:
    return sorted((SRC / "cli").rglob("*.py"))


@pytest.mark.parametrize("path", _cli_modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_the_cli_reaches_state_and_plex_only_through_use_cases(path: Path) -> None:
    # The CLI parses flags, calls one use case and renders: the state file and the server are
    # the use cases' (and the session's) to open.
    reached = {
        m
        for m in _imports(path)
        if any(m == p or m.startswith(p + ".") for p in ("plexrate.state", "plexrate.plex"))
    }
    assert not reached, f"{path.name} imports {sorted(reached)}"


@pytest.mark.parametrize("package", FEATURE_PACKAGES[:-1])
def test_feature_packages_do_not_import_each_other(package: str) -> None:
    others = {f"plexrate.{p}" for p in FEATURE_PACKAGES if p != package}
    for path in (SRC / package).rglob("*.py"):
        reached = {
            m for m in _imports(path) if any(m == o or m.startswith(o + ".") for o in others)
        }
        assert not reached, f"{path.relative_to(SRC)} imports {sorted(reached)}"
