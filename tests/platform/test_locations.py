"""Where plexrate looks for its config and keeps its state and log (docs/settings.md).

Each test gets platform folders of its own (``XDG_*``, which ``platformdirs`` reads on Linux),
so a config placed "in the platform's config folder" is seen by that test alone.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from plexrate.cli import logfile
from plexrate.cli.app import app
from plexrate.emulator import Emulator, LatencyModel
from plexrate.settings import PlatformFolders, load_settings
from tests.platform.unattended import run_unattended

TOKEN = "tok-Osprey-Quartz-7741"


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlatformFolders:
    home = tmp_path / "home"
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    for name in list(os.environ):
        if name.upper().startswith("PLEXRATE_"):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    found = PlatformFolders.current()
    assert home in found.config.parents and home in found.log.parents
    return found


def _config(path: Path, library: str, **extra: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"PLEX_TOKEN": TOKEN, "LIBRARY_NAME": library, **extra}), encoding="utf-8"
    )
    return path


def _run(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, args, env={"NO_COLOR": "1", "COLUMNS": "200", **(env or {})})


# ------------------------------------------------------------------------------ the config


def test_the_config_is_looked_for_in_order(folders: PlatformFolders, tmp_path: Path) -> None:
    named = _config(tmp_path / "named.json", "Named")
    by_env = _config(tmp_path / "env.json", "Env")
    here = _config(Path.cwd() / "config.json", "Here")
    platform = _config(folders.config_file, "Platform")
    env = {"PLEXRATE_CONFIG": str(by_env)}

    def loaded(config: Path | None, environ: dict[str, str]) -> tuple[str, str | None]:
        result = load_settings(config_path=config, environ=environ)
        return result.settings.library_name, result.found_by

    assert loaded(named, env) == ("Named", "--config")
    assert loaded(None, env) == ("Env", "PLEXRATE_CONFIG")
    assert loaded(None, {}) == ("Here", "working folder")
    here.unlink()
    assert loaded(None, {}) == ("Platform", "platform")
    platform.unlink()
    assert loaded(None, {}) == ("Music", None)
    assert platform.exists() is False


def test_state_beside_a_config_in_the_working_folder_and_in_the_data_folder_otherwise(
    folders: PlatformFolders, tmp_path: Path
) -> None:
    here = _config(Path.cwd() / "config.json", "Here")
    settings = load_settings(environ={}).settings
    assert settings.state_path == Path.cwd() / "plexrate_state.sqlite"
    assert settings.legacy_state_path == Path.cwd() / "plex_state.json"
    assert settings.log_file == folders.log / "plexrate.log"

    here.unlink()
    _config(folders.config_file, "Platform")
    settings = load_settings(environ={}).settings
    assert settings.state_path == folders.data / "plexrate_state.sqlite"
    # The old tool's file is the person's, next to their config, wherever that is.
    assert settings.legacy_state_path == folders.config / "plex_state.json"

    named = _config(tmp_path / "elsewhere" / "c.json", "Named", STATE_PATH="s.sqlite")
    settings = load_settings(config_path=named, environ={}).settings
    assert settings.state_path == named.parent / "s.sqlite"


def test_without_a_config_the_state_stays_in_the_working_folder(
    folders: PlatformFolders,
) -> None:
    settings = load_settings(environ={"PLEXRATE_PLEX_TOKEN": TOKEN}).settings
    assert settings.state_path == Path.cwd() / "plexrate_state.sqlite"


def test_a_folder_where_the_platform_config_should_be_is_an_error(
    folders: PlatformFolders,
) -> None:
    folders.config_file.mkdir(parents=True)
    result = _run(["config", "show"])
    assert result.exit_code == 3
    assert "is not a file" in result.stderr
    assert str(folders.config_file) in result.stderr


def test_config_path_prints_every_location(folders: PlatformFolders) -> None:
    _config(folders.config_file, "Platform", LOG_FILE="logs/plexrate.log")
    result = _run(["config", "path", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["config"]["path"] == str(folders.config_file)
    assert document["config"]["found_by"] == "platform"
    assert document["config"]["searched"] == [
        "--config",
        "PLEXRATE_CONFIG",
        str(Path.cwd() / "config.json"),
        str(folders.config_file),
    ]
    assert document["state"] == str(folders.data / "plexrate_state.sqlite")
    # A relative LOG_FILE is read from the config's folder, as every path in it is.
    assert document["log_file"] == str(folders.config / "logs" / "plexrate.log")
    assert document["platform"] == {
        "config": str(folders.config),
        "data": str(folders.data),
        "log": str(folders.log),
    }

    text = _run(["config", "path"])
    assert text.exit_code == 0, text.stderr
    assert f"{folders.config_file} (found in the platform's config folder)" in text.stdout
    assert str(folders.data / "plexrate_state.sqlite") in text.stdout


# ------------------------------------------------------------------------------ the log file


def _log_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_errors_and_warnings_of_every_run_reach_the_log_without_the_token(
    folders: PlatformFolders,
) -> None:
    log = folders.log / "plexrate.log"
    # The token pasted into LIBRARY_NAME too: the message naming the library must not show it.
    _config(
        Path.cwd() / "config.json",
        TOKEN,
        version="0.9",
        PLEX_URL="http://127.0.0.1:9",
        TIMEOUT=1,
        RETRIES=0,
    )
    result = _run(["run", "--dry-run"])
    assert result.exit_code == 4, result.stderr

    lines = _log_lines(log)
    warning = [line for line in lines if " WARNING " in line]
    error = [line for line in lines if " ERROR " in line]
    assert len(warning) == 1 and "config version '0.9'" in warning[0]
    assert len(error) == 1 and "cannot reach a Plex server at http://127.0.0.1:9" in error[0]
    assert all(TOKEN not in line for line in lines)

    # Every command appends its own: `config path` has only the version warning to say.
    assert _run(["config", "path"]).exit_code == 0
    assert _log_lines(log)[len(lines) :] == [_log_lines(log)[-1]]
    assert " WARNING " in _log_lines(log)[-1]
    again = _run(["run", "--dry-run"])
    assert again.exit_code == 4
    assert len(_log_lines(log)) == 2 * len(lines) + 1


def test_a_config_error_is_logged_in_the_default_log(folders: PlatformFolders) -> None:
    (Path.cwd() / "config.json").write_text('{"TIMEOUT": Infinity}', encoding="utf-8")
    result = _run(["run", "--dry-run"])
    assert result.exit_code == 3
    text = (folders.log / "plexrate.log").read_text(encoding="utf-8")
    assert " ERROR " in text
    assert "TIMEOUT: Infinity is not a finite number" in text


def test_the_log_can_be_moved_or_switched_off(folders: PlatformFolders, tmp_path: Path) -> None:
    moved = tmp_path / "mine" / "run.log"
    bad_url = {"PLEXRATE_PLEX_URL": "http://127.0.0.1:9", "PLEXRATE_RETRIES": "0"}
    _config(Path.cwd() / "config.json", "Music", LOG_FILE=str(moved), TIMEOUT=1)
    assert _run(["run", "--dry-run"], env=bad_url).exit_code == 4
    assert "cannot reach a Plex server" in moved.read_text(encoding="utf-8")

    _config(Path.cwd() / "config.json", "Music", LOG_FILE=os.devnull, TIMEOUT=1)
    assert _run(["run", "--dry-run"], env=bad_url).exit_code == 4
    assert not (folders.log / "plexrate.log").exists()
    assert len(_log_lines(moved)) == 1


def test_a_log_that_cannot_be_written_is_a_warning_not_a_failure(
    folders: PlatformFolders, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    _config(Path.cwd() / "config.json", "Music", LOG_FILE=str(blocker / "plexrate.log"))
    result = _run(["config", "show"])
    assert result.exit_code == 0
    assert f"Warning: cannot write the log file {blocker / 'plexrate.log'}" in result.stderr


def test_the_log_rotates(
    folders: PlatformFolders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logfile, "MAX_BYTES", 2_000)
    path = tmp_path / "logs" / "plexrate.log"
    log, problem = logfile.open_log(path)
    assert log is not None and problem is None
    try:
        for n in range(400):
            log.line(f"Warning: line {n:04d} " + "x" * 40)
    finally:
        log.close()
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["plexrate.log", "plexrate.log.1", "plexrate.log.2", "plexrate.log.3"]
    assert all(p.stat().st_size <= 2_000 for p in path.parent.iterdir())
    assert "line 0399" in path.read_text(encoding="utf-8")
    # Closed means detached: nothing plexrate logs afterwards reaches the file.
    logging.getLogger("plexrate.test").warning("after close")
    assert "after close" not in path.read_text(encoding="utf-8")


@pytest.mark.integration
def test_a_scheduled_style_run_logs_the_library_warnings_of_the_plex_layer(
    folders: PlatformFolders, emulator: Emulator
) -> None:
    """A real process, as cron starts it: the command words are plexrate's own."""
    env = {
        **os.environ,
        "PLEXRATE_PLEX_URL": emulator.url,
        "PLEXRATE_PLEX_TOKEN": emulator.token,
        "PLEXRATE_LIBRARY_NAME": "No Such Library",
    }
    done = run_unattended([sys.executable, "-m", "plexrate", "run", "--yes", "--json"], env=env)
    assert done.returncode == 3, done.stderr
    (line,) = _log_lines(folders.log / "plexrate.log")
    assert " ERROR plexrate run: " in line
    assert "No Such Library" in line
    assert emulator.token not in line


@pytest.mark.integration
def test_a_stopped_run_leaves_a_line_in_the_log(
    folders: PlatformFolders, emulator_factory: Callable[..., Emulator], tmp_path: Path
) -> None:
    """SIGTERM (a service manager stopping it, a shutdown) prints no "Error:"; the log says
    the run ended early all the same."""
    served = emulator_factory(tracks=2000, seed=5, latency=LatencyModel(per_request=0.25))
    log = tmp_path / "stopped.log"
    env = {
        **os.environ,
        "PLEXRATE_PLEX_URL": served.url,
        "PLEXRATE_PLEX_TOKEN": served.token,
        "PLEXRATE_STATE_PATH": str(tmp_path / "state.sqlite"),
        "PLEXRATE_LOG_FILE": str(log),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "plexrate", "run", "--apply", "--yes"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while served.stats().reads < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    (line,) = _log_lines(log)
    assert " WARNING plexrate run: stopped before the end (exit code 130)" in line


@pytest.mark.parametrize("value", [None, "", "  "])
def test_a_null_or_empty_log_file_means_the_default_place(
    folders: PlatformFolders, value: str | None
) -> None:
    """config.example.json (what `config init` writes) has "LOG_FILE": null."""
    _config(Path.cwd() / "config.json", "Music", LOG_FILE=value)
    assert load_settings(environ={}).settings.log_file == folders.log / "plexrate.log"
    env = {"PLEXRATE_LOG_FILE": value or ""}
    assert load_settings(environ=env).settings.log_file == folders.log / "plexrate.log"


def test_config_init_writes_a_config_that_logs(folders: PlatformFolders) -> None:
    done = _run(["config", "init", "--yes", "--url", "http://127.0.0.1:9", "--token", TOKEN])
    assert done.exit_code == 0, done.stderr
    config = json.loads((Path.cwd() / "config.json").read_text(encoding="utf-8"))
    assert config["LOG_FILE"] is None
    assert _run(["run", "--dry-run"], env={"PLEXRATE_RETRIES": "0"}).exit_code == 4
    (line,) = _log_lines(folders.log / "plexrate.log")
    assert "cannot reach a Plex server" in line
