"""pyproject.toml declares what plexrate imports, and the files a package needs are there.

An import that only works because another package happens to bring its dependency along breaks
the day that package changes (``requests`` and ``urllib3`` were such imports). ``nox -s lowest``
proves the floors; this keeps the list complete.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "plexrate"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imports(*, top_level_only: bool) -> dict[str, set[str]]:
    """Third-party top-level module → the files importing it."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = tree.body if top_level_only else list(ast.walk(tree))
        for node in nodes:
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in {"plexrate", "__future__"}:
                    continue
                found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _distributions(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    by_module = packages_distributions()
    out: dict[str, set[str]] = {}
    for module, files in modules.items():
        assert module in by_module, f"{module} (imported by {sorted(files)}) is not installed"
        for dist in by_module[module]:
            out.setdefault(_name(dist), set()).update(files)
    return out


def test_every_module_level_import_is_a_declared_dependency() -> None:
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    imported = _distributions(_imports(top_level_only=True))
    missing = {dist: sorted(files) for dist, files in imported.items() if dist not in declared}
    assert missing == {}, f"imported but not in [project] dependencies: {missing}"


def test_every_import_is_declared_somewhere() -> None:
    """Imports inside functions may come from an extra (the emulator's TLS: cryptography)."""
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    for extra in PYPROJECT["project"]["optional-dependencies"].values():
        declared |= {_name(r) for r in extra if not r.startswith("plexrate[")}
    imported = _distributions(_imports(top_level_only=False))
    missing = {dist: sorted(files) for dist, files in imported.items() if dist not in declared}
    assert missing == {}, f"imported but not declared: {missing}"


def test_the_license_file_is_the_declared_license() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_the_changelog_has_a_place_for_what_is_not_released() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## Unreleased\n" in text
    from plexrate import __version__

    assert f"\n## {__version__}" in text


def _noxfile_constant(name: str) -> object:
    # Read, not imported: nox is a development tool, not installed with the test extra.
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"noxfile.py defines no {name}")


def test_the_classifiers_name_the_pythons_nox_tests() -> None:
    pythons, oldest = _noxfile_constant("PYTHONS"), _noxfile_constant("OLDEST")
    assert isinstance(pythons, list)
    claimed = {
        c.rsplit(" :: ", 1)[1]
        for c in PYPROJECT["project"]["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert claimed <= set(pythons)
    assert oldest in claimed
    assert PYPROJECT["project"]["requires-python"] == f">={oldest}"
