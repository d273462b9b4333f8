"""``plexrate config show``: effective values, where each came from, the token hidden; and the
settings errors reaching the CLI as exit code 3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from plexrate.cli.app import app
from plexrate.settings import CONFIG_VERSION, setting_keys

TOKEN = "tok-Marmot-Cobalt-5126"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("PLEXRATE_"):
            monkeypatch.delenv(name)


def run(args: list[str], *, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, args, env={"NO_COLOR": "1", "COLUMNS": "200", **(env or {})})


def write_config(tmp_path: Path, document: dict[str, Any]) -> Path:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(document), encoding="utf-8")
    return config


def rows(stdout: str) -> dict[str, tuple[str, str]]:
    """Key → (value, source) from the table."""
    table: dict[str, tuple[str, str]] = {}
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0].isupper() and len(cells) >= 3:
            source = " ".join(cells[-2:]) if cells[-2] == "env" else cells[-1]
            value = " ".join(cells[1:-2] if cells[-2] == "env" else cells[1:-1])
            table[cells[0]] = (value, source)
    return table


def test_json_shows_values_and_sources_from_every_layer(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        {
            "version": CONFIG_VERSION,
            "PLEX_URL": "http://h:32400",
            "PLEX_TOKEN": TOKEN,
            "DRY_RUN": True,
            "TWIN_LOGIC": {"ENABLED": False},
        },
    )
    result = run(
        ["config", "show", "--json", "--config", str(config), "--library", "Jazz"],
        env={"PLEXRATE_DRY_RUN": "false", "PLEXRATE_TWIN_LOGIC__DURATION_TOLERANCE_SEC": "2"},
    )

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["config_path"] == str(config.resolve())
    settings, sources = shown["settings"], shown["sources"]
    assert settings["PLEX_TOKEN"] == "***"
    assert settings["PLEX_URL"] == "http://h:32400"
    assert settings["LIBRARY_NAME"] == "Jazz"
    assert settings["DRY_RUN"] is False
    assert settings["TWIN_LOGIC"]["ENABLED"] is False
    assert settings["TWIN_LOGIC"]["DURATION_TOLERANCE_SEC"] == 2.0
    assert settings["STATE_PATH"] == str(tmp_path.resolve() / "plexrate_state.sqlite")
    assert sources["PLEX_TOKEN"] == "file"
    assert sources["LIBRARY_NAME"] == "flag"
    assert sources["DRY_RUN"] == "env"
    assert sources["TWIN_LOGIC.ENABLED"] == "file"
    assert sources["TWIN_LOGIC.DURATION_TOLERANCE_SEC"] == "env"
    assert sources["RETRIES"] == "default"
    assert set(sources) == {key.file_key for key in setting_keys()}
    assert TOKEN not in result.output


def test_the_table_shows_values_and_sources(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, {"version": CONFIG_VERSION, "PLEX_TOKEN": TOKEN, "LIBRARY_NAME": "Jazz"}
    )
    result = run(["config", "show", "--apply"], env={"PLEXRATE_RETRIES": "2"})

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"Config file: {config.resolve()}"
    table = rows(result.stdout)
    assert table["PLEX_TOKEN"] == ("***", "file")
    assert table["PLEX_URL"] == ("(not set)", "default")
    assert table["LIBRARY_NAME"] == ("Jazz", "file")
    assert table["DRY_RUN"] == ("false", "flag")
    assert table["RETRIES"] == ("2", "env PLEXRATE_RETRIES")
    assert table["TWIN_LOGIC.TWIN_TAG"] == ('""', "default")
    assert table["TWIN_LOGIC.EXCLUDE_KEYWORDS"][0].startswith("live, demo, reprise")
    assert set(table) >= {key.file_key for key in setting_keys()}
    assert TOKEN not in result.output


def test_without_a_config_file_and_token(tmp_path: Path) -> None:
    result = run(["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["config_path"] is None
    assert shown["settings"]["PLEX_TOKEN"] is None
    assert set(shown["sources"].values()) == {"default"}

    human = run(["config", "show"])
    assert human.stdout.splitlines()[0].startswith("Config file: none")
    assert rows(human.stdout)["PLEX_TOKEN"] == ("(not set)", "default")


def test_a_token_from_the_environment_is_hidden_too() -> None:
    result = run(["config", "show", "--json"], env={"PLEXRATE_PLEX_TOKEN": TOKEN})
    assert json.loads(result.stdout)["settings"]["PLEX_TOKEN"] == "***"
    assert json.loads(result.stdout)["sources"]["PLEX_TOKEN"] == "env"
    assert TOKEN not in result.output


def test_a_token_pasted_into_another_key_is_hidden_there_too(tmp_path: Path) -> None:
    write_config(tmp_path, {"PLEX_TOKEN": TOKEN, "LIBRARY_NAME": f"Music {TOKEN}"})
    as_json = run(["config", "show", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["settings"]["LIBRARY_NAME"] == "Music ***"
    as_table = run(["config", "show"])
    assert TOKEN not in as_json.output + as_table.output


def test_the_version_warning_goes_to_stderr_and_json_stays_clean(tmp_path: Path) -> None:
    write_config(tmp_path, {"version": "3.1", "PLEX_TOKEN": TOKEN})
    result = run(["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stderr
    assert "'3.1'" in result.stderr
    assert json.loads(result.stdout)["settings"]["LIBRARY_NAME"] == "Music"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"CONFIDENCE_C": -2}, "• CONFIDENCE_C: -2 is below 0 — set a number ≥ 0"),
        ({"TWIN_LOGIC": {"DURATION_TOLERANCE_SEC": -1}}, "• TWIN_LOGIC.DURATION_TOLERANCE_SEC:"),
        ({"WEIGHT_CRITIC": 0, "WEIGHT_GLOBAL": 0}, "• WEIGHT_CRITIC + WEIGHT_GLOBAL: are both 0"),
        ({"PLEX_URL": "plex:32400"}, "• PLEX_URL: must start with http:// or https://"),
        ({"LIBRARY": "Jazz"}, "• LIBRARY: is not a plexrate setting — did you mean LIBRARY_NAME?"),
        ({"DRY_RUN": "sure"}, '• DRY_RUN: "sure" is not true or false — set true or false'),
    ],
)
def test_settings_errors_exit_3_through_the_cli(
    tmp_path: Path, document: dict[str, Any], expected: str
) -> None:
    write_config(tmp_path, {"PLEX_TOKEN": TOKEN, **document})
    result = run(["config", "show"])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("Error: 1 problem in the settings")
    assert expected in result.stderr
    assert TOKEN not in result.output


def test_a_json_syntax_error_exits_3_with_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(f'{{\n"PLEX_TOKEN": "{TOKEN}",\n}}', encoding="utf-8")
    result = run(["config", "show"])
    assert result.exit_code == 3
    assert "• line 2, column 39: a comma before the closing }" in result.stderr
    assert TOKEN not in result.output


def test_a_missing_config_exits_3(tmp_path: Path) -> None:
    result = run(["config", "show", "--config", str(tmp_path / "missing.json")])
    assert result.exit_code == 3
    assert "missing.json does not exist" in result.stderr
    result = run(["config", "show"], env={"PLEXRATE_CONFIG": str(tmp_path / "gone.json")})
    assert result.exit_code == 3
    assert "gone.json" in result.stderr


def test_every_config_command_has_help_with_an_example() -> None:
    for command in ("init", "show"):
        result = run(["config", command, "--help"])
        assert result.exit_code == 0
        assert f"Example: plexrate config {command}" in result.stdout


def test_a_real_process_never_prints_the_token(tmp_path: Path) -> None:
    write_config(tmp_path, {"version": CONFIG_VERSION, "PLEX_TOKEN": TOKEN, "RETRIES": 3})
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PLEXRATE_")}
    env.update(NO_COLOR="1", PLEXRATE_PLEX_URL="http://h:32400")
    show = subprocess.run(
        [sys.executable, "-m", "plexrate", "config", "show", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert show.returncode == 0, show.stderr
    shown = json.loads(show.stdout)
    assert shown["settings"]["PLEX_TOKEN"] == "***"
    assert shown["sources"]["PLEX_URL"] == "env"
    assert TOKEN not in show.stdout + show.stderr
