"""``--json`` everywhere: every document carries ``schema_version``, and an error is a JSON
document on stdout (``error``, ``exit_code``, ``hint``) as well as the line on stderr (issue 19:
``--json`` errors left stdout empty)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from plexrate.cli.app import app
from plexrate.cli.context import JSON_SCHEMA_VERSION, stamped


def _json_commands() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, (*path, name))
            return
        options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        if "--json" in options:
            found.append(path)

    walk(typer.main.get_command(app), ())
    return found


# What each command needs besides --json to get as far as the server.
ARGUMENTS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("bulk", "export"): ("--type", "track", "out.csv"),
    ("bulk", "import"): ("--type", "track", "in.csv"),
    ("admin", "state", "import"): ("legacy.json",),
}
# Commands whose --json answer needs no server: they fail elsewhere or not at all.
OFFLINE = {
    ("config", "init"),
    ("config", "show"),
    ("config", "check"),
    ("config", "path"),
    ("admin", "runs"),
}


@pytest.mark.parametrize("path", _json_commands(), ids=" ".join)
def test_an_unreachable_server_is_a_json_error_on_stdout_and_a_line_on_stderr(
    path: tuple[str, ...], cli_env: None, tmp_path: Path
) -> None:
    if path in OFFLINE:
        pytest.skip("does not need the server")
    header = "ratingKey,trackTitle,trackArtist,albumName,albumArtist,userRating,ratingType"
    (tmp_path / "in.csv").write_text(f"{header}\n1,T,A,B,A,4,manual\n", "utf-8")
    (tmp_path / "legacy.json").write_text("{}", "utf-8")
    env = {"PLEXRATE_PLEX_URL": "http://127.0.0.1:9", "PLEXRATE_PLEX_TOKEN": "t0ken-secret"}
    result = CliRunner().invoke(app, [*path, *ARGUMENTS.get(path, ()), "--json"], env=env)
    assert result.exit_code in (3, 4), result.output
    document = json.loads(result.stdout)
    assert set(document) == {"schema_version", "error", "exit_code", "hint"}
    assert document["schema_version"] == JSON_SCHEMA_VERSION
    assert document["exit_code"] == result.exit_code
    assert document["error"] in " ".join(result.stderr.split())
    assert "t0ken-secret" not in result.stdout + result.stderr


def test_a_usage_error_under_json_is_a_json_error_too(cli_env: None) -> None:
    result = CliRunner().invoke(app, ["admin", "undo", "--run", "x", "--json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["exit_code"] == 2
    assert "--run" in document["error"]


def test_without_json_stdout_stays_empty_on_an_error(cli_env: None) -> None:
    result = CliRunner().invoke(
        app, ["run"], env={"PLEXRATE_PLEX_URL": "http://127.0.0.1:9", "PLEXRATE_PLEX_TOKEN": "x"}
    )
    assert result.exit_code == 4
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"schema_version": 1, "a": 1}),
        ("{}", {"schema_version": 1}),
        ('{"schema_version": 3, "a": 1}', {"schema_version": 3, "a": 1}),
    ],
)
def test_stamping_puts_the_version_first_and_keeps_one_already_there(
    text: str, expected: dict[str, Any]
) -> None:
    stamped_text = stamped(text)
    assert json.loads(stamped_text) == expected
    assert next(iter(json.loads(stamped_text))) == "schema_version"


def test_offline_json_documents_carry_the_version(cli_env: None) -> None:
    for args in (["config", "show", "--json"], ["config", "check", "--json"]):
        result = CliRunner().invoke(app, args)
        document = json.loads(result.stdout)
        assert document["schema_version"] == JSON_SCHEMA_VERSION, args
