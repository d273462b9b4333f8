"""Every admin command has help that ends with an example, and a section in docs/admin.md."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.main import get_command

from plexrate.cli.app import app

DOCS = Path(__file__).resolve().parents[2] / "docs"


def admin_commands() -> dict[str, str]:
    """``"admin verify"`` → its help text, for every command under ``admin``."""
    root = get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    found: dict[str, str] = {}

    def walk(group: typer.core.TyperGroup, prefix: str) -> None:
        for name, command in group.commands.items():
            if isinstance(command, typer.core.TyperGroup):
                walk(command, f"{prefix} {name}")
            else:
                found[f"{prefix} {name}"] = command.help or ""

    admin = root.commands["admin"]
    assert isinstance(admin, typer.core.TyperGroup)
    walk(admin, "admin")
    return found


def test_the_admin_tree_is_complete() -> None:
    assert sorted(admin_commands()) == [
        "admin reconstruct",
        "admin runs",
        "admin state export",
        "admin state import",
        "admin sync-tags",
        "admin undo",
        "admin verify",
    ]


def test_every_admin_command_has_help_with_an_example_and_a_docs_section() -> None:
    page = (DOCS / "admin.md").read_text(encoding="utf-8")
    for name, text in admin_commands().items():
        assert text.strip().splitlines()[-1].startswith(f"Example: plexrate {name.split()[0]}"), (
            name
        )
        assert f"## `plexrate {name}" in page, f"{name} has no section in docs/admin.md"
    assert "(admin.md)" in (DOCS / "index.md").read_text(encoding="utf-8")
