"""``plexrate config init``: prompts, --yes, refusing to overwrite, and a private, complete file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from plexrate.cli.app import app
from plexrate.settings import CONFIG_VERSION, example_config, load_settings

TOKEN = "tok-Heron-Saffron-2208"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("PLEXRATE_"):
            monkeypatch.delenv(name)


def run(args: list[str], *, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        app, args, input=input, env={"NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def written(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def test_interactive_init_asks_and_writes_a_private_complete_file(tmp_path: Path) -> None:
    result = run(["config", "init"], input=f"http://10.0.0.5:32400\n{TOKEN}\nJazz\n")

    assert result.exit_code == 0, result.output
    config = tmp_path / "config.json"
    assert mode(config) == 0o600
    assert written(config) == example_config(
        plex_url="http://10.0.0.5:32400", plex_token=TOKEN, library_name="Jazz"
    )
    assert "Plex server URL" in result.output
    assert "Plex token" in result.output
    # Hidden input: the token typed at the prompt is not echoed.
    assert TOKEN not in result.output
    assert "plexrate config check" in result.stderr
    assert "plexrate run --dry-run" in result.stderr
    assert "--config" not in result.stderr  # ./config.json is found without it


def test_the_file_is_the_example_with_the_given_values(tmp_path: Path) -> None:
    result = run(["config", "init"], input=f"\n{TOKEN}\n\n")  # Enter keeps the defaults
    assert result.exit_code == 0, result.output
    example = json.loads((ROOT / "config.example.json").read_text(encoding="utf-8"))
    example["PLEX_TOKEN"] = TOKEN
    assert written(tmp_path / "config.json") == example


def test_the_written_file_loads_without_warnings(tmp_path: Path) -> None:
    run(["config", "init"], input=f"https://plex.example.org\n{TOKEN}\nMusic\n")
    loaded = load_settings(environ={})
    assert loaded.config_path == (tmp_path / "config.json").resolve()
    assert loaded.warnings == []
    assert written(tmp_path / "config.json")["version"] == CONFIG_VERSION
    assert loaded.settings.plex_url == "https://plex.example.org"
    assert loaded.settings.plex_token is not None
    assert loaded.settings.plex_token.get_secret_value() == TOKEN
    loaded.settings.require_server()


def test_a_bad_url_or_token_is_asked_again(tmp_path: Path) -> None:
    result = run(
        ["config", "init"],
        input=f"plex.local\nhttp://plex.local:32400\n\nwith space\n{TOKEN}\nMusic\n",
    )
    assert result.exit_code == 0, result.output
    assert "must start with http:// or https://" in result.output
    # Asked three times: empty, then with a space, then accepted.
    assert result.output.count("Plex token (input hidden):") == 3
    assert written(tmp_path / "config.json")["PLEX_URL"] == "http://plex.local:32400"


def test_flags_given_are_not_asked_for(tmp_path: Path) -> None:
    flags = ["--url", "http://h:32400", "--library", "Jazz"]
    result = run(["config", "init", *flags], input="T0KEN\n")
    assert result.exit_code == 0, result.output
    assert "Plex server URL" not in result.output
    assert "Music library name" not in result.output
    assert written(tmp_path / "config.json")["PLEX_TOKEN"] == "T0KEN"


def test_yes_takes_everything_from_flags(tmp_path: Path) -> None:
    target = tmp_path / "etc" / "plexrate.json"
    result = run(
        ["config", "init", str(target), "--yes", "--url", "http://h:32400", "--token", TOKEN]
    )
    assert result.exit_code == 0, result.output
    assert "Plex server URL" not in result.output
    assert mode(target) == 0o600
    document = written(target)
    assert (document["PLEX_URL"], document["PLEX_TOKEN"]) == ("http://h:32400", TOKEN)
    assert document["LIBRARY_NAME"] == "Music"
    assert f"plexrate config check --config {target}" in result.stderr


def test_yes_takes_the_token_from_the_environment(tmp_path: Path) -> None:
    result = run(
        ["config", "init", "-y", "--url", "http://h:32400"], env={"PLEXRATE_PLEX_TOKEN": TOKEN}
    )
    assert result.exit_code == 0, result.output
    assert written(tmp_path / "config.json")["PLEX_TOKEN"] == TOKEN


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--url", "http://h:32400"], "--token is required with --yes"),
        (["--token", TOKEN], "--url is required with --yes"),
        ([], "--url and --token are required with --yes"),
    ],
)
def test_yes_without_a_required_flag_names_it(tmp_path: Path, flags: list[str], named: str) -> None:
    result = run(["config", "init", "--yes", *flags])
    assert result.exit_code == 2
    assert named in result.stderr
    assert not (tmp_path / "config.json").exists()


def test_a_bad_url_under_yes_is_a_config_error(tmp_path: Path) -> None:
    result = run(["config", "init", "--yes", "--url", "ftp://h", "--token", TOKEN])
    assert result.exit_code == 3
    assert "• PLEX_URL: must start with http:// or https://" in result.stderr
    assert TOKEN not in result.output
    assert not (tmp_path / "config.json").exists()


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"LIBRARY_NAME": "Mine"}', encoding="utf-8")

    result = run(["config", "init"], input=f"http://h:32400\n{TOKEN}\nMusic\n")

    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert "--force" in result.stderr
    assert "Plex server URL" not in result.output  # refused before asking anything
    assert config.read_text(encoding="utf-8") == '{"LIBRARY_NAME": "Mine"}'


def test_force_replaces_the_file_and_makes_it_private(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"LIBRARY_NAME": "Mine"}', encoding="utf-8")
    config.chmod(0o644)

    result = run(["config", "init", "-y", "--force", "--url", "http://h:1", "--token", TOKEN])

    assert result.exit_code == 0, result.output
    assert written(config)["LIBRARY_NAME"] == "Music"
    assert mode(config) == 0o600


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_dump(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("plexrate.settings.writing.json.dump", broken_dump)
    result = run(["config", "init", "-y", "--url", "http://h:1", "--token", TOKEN])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_plexrate_config_names_the_default_target(tmp_path: Path) -> None:
    target = tmp_path / "from-env.json"
    result = run(
        ["config", "init", "-y", "--url", "http://h:1", "--token", TOKEN],
        env={"PLEXRATE_CONFIG": str(target)},
    )
    assert result.exit_code == 0, result.output
    assert target.exists()
    assert not (tmp_path / "config.json").exists()


def test_json_reports_the_path(tmp_path: Path) -> None:
    result = run(["config", "init", "-y", "--json", "--url", "http://h:1", "--token", TOKEN])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "schema_version": 1,
        "config_path": str(tmp_path / "config.json"),
    }
