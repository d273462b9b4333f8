"""Developer sessions.

``nox -s lint typecheck tests`` (the default); ``nox -s tests`` runs the suite on every Python
from 3.11 to 3.14 found on the machine (``nox -s tests-3.13`` picks one; a missing one is
skipped); ``nox -s lowest`` installs the lowest version every dependency allows and runs the
tests that exercise them; ``nox -s bench`` for the benchmarks. Arguments after ``--`` go to
pytest (or to the benchmarks).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

OLDEST = "3.11"
PYTHONS = ["3.11", "3.12", "3.13", "3.14"]
"""Every Python plexrate supports (pyproject.toml's requires-python and classifiers)."""

LOWEST_TESTS = [
    "tests/settings",
    "tests/cli/config",
    "tests/platform",
    "tests/state/test_state_crash.py",
    "tests/state/test_state_store.py",
    "tests/plex",
    "tests/e2e/test_e2e_run.py",
    "tests/reports/test_reports_cli.py",
    "tests/reports/test_reports_docs.py",
    "tests/bulk/test_bulk_cli.py",
    "tests/engine/test_engine_hierarchical.py",
    "tests/engine/test_engine_plan.py",
]
"""What ``lowest`` runs: every dependency's use (pydantic and pydantic-settings in settings,
typer and rich in the CLI and the reports' examples, filelock in the state, plexapi, requests and
urllib3 against the emulator, numpy in the engine, platformdirs in the locations), without the
property, fuzz, reliability and benchmark areas, which test plexrate's logic rather than its
dependencies."""


def _find_pyenv_pythons() -> None:
    """Make pyenv's installed versions visible to nox, which looks interpreters up by name.

    pyenv's shims answer only for the versions selected with ``pyenv global`` and fail for the
    others, which are installed all the same. A folder of links ``python3.X`` to each installed
    version goes first on PATH; nothing else changes.
    """
    root = Path(os.environ.get("PYENV_ROOT", "~/.pyenv")).expanduser()
    found = {
        p.name: p
        for version in sorted(root.glob("versions/3.*"))
        for p in [version / "bin" / f"python{'.'.join(version.name.split('.')[:2])}"]
        if p.is_file() and re.fullmatch(r"3\.\d+\.\d+", version.name)
    }
    if not found:
        return
    links = Path(__file__).parent / ".nox" / "pythons"
    links.mkdir(parents=True, exist_ok=True)
    for name, target in found.items():
        link = links / name
        if link.is_symlink() and link.resolve() == target.resolve():
            continue
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    os.environ["PATH"] = os.pathsep.join([str(links), os.environ.get("PATH", "")])


_find_pyenv_pythons()


@nox.session(python=OLDEST)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=OLDEST)
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python=OLDEST)
def lowest(session: nox.Session) -> None:
    """The floors in pyproject.toml, proven: the lowest allowed version of every direct
    dependency (uv's ``--resolution lowest-direct``), then the tests that use them."""
    session.install("uv>=0.4")
    session.run(
        "uv",
        "pip",
        "install",
        "--python",
        str(Path(session.bin) / "python"),
        "--resolution",
        "lowest-direct",
        "--reinstall",
        "-e",
        ".[test]",
    )
    session.run("python", "-m", "pip", "list", "--format=freeze")
    session.run("pytest", "-q", "-p", "no:cacheprovider", *(session.posargs or LOWEST_TESTS))


@nox.session(python=OLDEST)
def bench(session: nox.Session) -> None:
    """Run the benchmark suite; pass e.g. ``-- --sizes 7500`` to choose sizes."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "benchmarks", *session.posargs)
