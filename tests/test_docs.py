"""Documentation that cannot drift: the command reference, help texts and the README quick start."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from plexrate.cli.app import app
from plexrate.cli.docgen import generate, walk

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _commands() -> list[tuple[tuple[str, ...], object]]:
    return list(walk(typer.main.get_command(app)))


def test_command_reference_matches_the_commands() -> None:
    committed = (DOCS / "commands.md").read_text(encoding="utf-8")
    assert committed == generate(), (
        "docs/commands.md is stale: run `python -m plexrate.cli.docgen > docs/commands.md`"
    )


def test_every_command_has_help_with_an_example() -> None:
    missing = []
    for path, command in _commands():
        if getattr(command, "commands", None) is not None:
            continue
        text = getattr(command, "help", None) or ""
        if not text.strip() or "Example" not in text:
            missing.append(" ".join(path))
    assert not missing, f"commands without help or without an example: {missing}"


def test_every_command_is_described_beyond_the_generated_reference() -> None:
    # The reference lists options; a person also needs a page that explains when to use what.
    pages = "\n".join(
        p.read_text(encoding="utf-8") for p in DOCS.glob("*.md") if p.name != "commands.md"
    )
    pages += (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = [
        " ".join(path)
        for path, command in _commands()
        if getattr(command, "commands", None) is None and f"plexrate {' '.join(path)}" not in pages
    ]
    assert not undocumented, f"commands no docs page mentions: {undocumented}"


def test_readme_quick_start_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", readme, re.S)
    assert block is not None, "README has no quick-start code block"
    commands = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2, commands
    install_and_demo, tests = commands
    assert "plexrate demo" in install_and_demo
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci, "CI must run the README's test command exactly"
