"""``plexrate admin`` is a package that mirrors its command tree: one module per command."""

from __future__ import annotations

import typer

from plexrate.cli.admin import admin_app, state_app


def _commands(app: typer.Typer) -> dict[str, str]:
    found: dict[str, str] = {}
    for info in app.registered_commands:
        assert info.name is not None and info.callback is not None
        found[info.name] = info.callback.__module__
    return found


def test_each_admin_command_lives_in_the_module_named_for_it() -> None:
    commands = _commands(admin_app)
    assert set(commands) == {"runs", "verify", "undo", "reconstruct", "sync-tags"}
    for name, module in commands.items():
        assert module == f"plexrate.cli.admin.{name.replace('-', '_')}"


def test_the_state_group_lives_in_one_module() -> None:
    commands = _commands(state_app)
    assert set(commands) == {"export", "import"}
    assert set(commands.values()) == {"plexrate.cli.admin.state"}
