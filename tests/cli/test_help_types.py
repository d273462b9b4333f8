"""Help screens show a type only for options that take a value (cli/helpfmt.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from plexrate.cli.app import app


def _paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    # A group (Typer vendors click, so its classes are not imported here by name).
    for name, sub in getattr(command, "commands", {}).items():
        yield from _paths(sub, (*path, name))


COMMANDS = list(_paths(typer.main.get_command(app)))


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "plexrate")
def test_no_flag_is_drawn_as_wanting_a_value(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help" in result.output


def test_options_that_take_a_value_still_show_what_they_take() -> None:
    result = CliRunner().invoke(app, ["emulator", "serve", "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "<int>" in result.output  # --tracks
    assert "<path>" in result.output  # --library
    # A flag of the same screen: its row holds its name and help, no type.
    row = next(line for line in result.output.splitlines() if "--help" in line)
    assert "<" not in row
