"""docs/run.md describes the commands, flags and JSON documents the code has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from plexrate.cli.app import app
from plexrate.cli.phases import PHASE_COMMANDS
from tests.support.cli import PlexrateCli

DOCS = Path(__file__).resolve().parents[3] / "docs"
PAGE = DOCS / "run.md"


def documented_keys(heading: str) -> set[str]:
    """The backticked names in the first column of the table after ``heading``."""
    text = PAGE.read_text(encoding="utf-8")
    after = text.split(heading, 1)[1]
    lines = after.strip().splitlines()
    table: list[str] = []
    for line in lines:
        if not line.startswith("|"):
            if table:
                break
            continue
        table.append(line)
    keys: set[str] = set()
    for row in table[2:]:
        first = row.strip("|").split("|")[0]
        keys.update(re.findall(r"`([^`]+)`", first))
    return keys


def test_the_page_is_listed_in_the_index() -> None:
    assert "(run.md)" in (DOCS / "index.md").read_text(encoding="utf-8")


def test_every_command_and_flag_is_documented() -> None:
    text = PAGE.read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    for name in PHASE_COMMANDS:
        assert f"`plexrate {name}`" in text
        command = group.commands[name]
        for param in command.params:
            for option in (*param.opts, *param.secondary_opts):
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in text, f"{name} {option} is not in docs/run.md"


@pytest.mark.parametrize("name", list(PHASE_COMMANDS))
def test_each_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})

    assert result.exit_code == 0
    assert f"Example: plexrate {name} --dry-run" in result.stdout


def test_the_documented_json_keys_are_the_ones_printed(cli: PlexrateCli) -> None:
    plan = cli.ok_json("run")
    outcome = cli.ok_json("run", "--apply")

    assert set(plan) == documented_keys("A **dry run** prints the whole plan:")
    assert set(outcome) == documented_keys("A **real run** prints its outcome:")
    change_keys = documented_keys("Each change:")
    assert all(set(change) == change_keys for change in plan["changes"])
    text = PAGE.read_text(encoding="utf-8")
    paragraph = text.split("`stats` holds", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"`([^`]+)`", paragraph))
    for key in plan["stats"]:
        general = re.sub(r"\.(artist|album|track)$", ".<type>", key)
        general = re.sub(r"^changes\.[a-z-]+\.<type>$", "changes.<phase>.<type>", general)
        assert general in documented, f"stats key {key} is not documented"
