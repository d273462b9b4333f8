"""``plexrate emulator serve`` and ``generate``, through CliRunner and as a real process."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from plexapi.server import PlexServer
from typer.testing import CliRunner

from plexrate.cli.app import app
from plexrate.emulator import EmulatorLibrary, generate_library
from plexrate.emulator.remote import RemoteEmulator
from tests.emulator.test_webhooks import Receiver

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}


def start_serve(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "plexrate", "emulator", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    if not ready:
        proc.kill()
        pytest.fail("emulator serve printed nothing within 60 s")
    line = proc.stdout.readline()
    if not line:
        proc.wait(5)
        pytest.fail(f"emulator serve exited: {proc.stderr.read() if proc.stderr else ''}")
    return proc, json.loads(line)


@pytest.mark.integration
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_its_address_and_stops_cleanly_on_a_signal(
    stop_signal: signal.Signals, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLEXAPI_PLEXAPI_AUTORELOAD", "false")
    proc, info = start_serve("--tracks", "300", "--seed", "9", "--token", "cli-token-123")
    try:
        assert info["url"].startswith("http://127.0.0.1:")
        assert (info["token"], info["library"], info["tracks"]) == ("cli-token-123", "Music", 300)
        plex = PlexServer(info["url"], info["token"], timeout=10)
        music = plex.library.section(info["library"])
        assert music.totalViewSize(libtype="track") == 300
        assert music.uuid == info["uuid"]
        expected = generate_library(tracks=300, seed=9).default_section.uuid
        assert info["uuid"] == expected
        assert RemoteEmulator(info["url"], info["token"]).stats().requests >= 3
    finally:
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out == ""
    assert "Emulator stopped." in err


@pytest.mark.integration
def test_serve_a_library_file_with_faults(small_library: EmulatorLibrary, tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    small_library.save(path)
    proc, info = start_serve("--library", str(path), "--fail-rate", "1", "--fault-kinds", "error")
    try:
        assert (info["tracks"], info["source"]) == (10, str(path))
        assert len(info["token"]) >= 16  # a random one when --token is not given
        with pytest.raises(Exception, match=r"\(500\)"):
            PlexServer(info["url"], info["token"], timeout=10)
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_generate_writes_the_same_file_for_the_same_seed(tmp_path: Path) -> None:
    runner = CliRunner()
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, second):
        result = runner.invoke(
            app, ["emulator", "generate", "-n", "120", "-s", "3", "-o", str(path)]
        )
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert EmulatorLibrary.load(first).counts()["tracks"] == 120
    assert "120 tracks" in " ".join(result.stderr.split())


def test_generate_to_stdout_is_pure_json() -> None:
    result = CliRunner().invoke(app, ["emulator", "generate", "-n", "40", "-o", "-"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert EmulatorLibrary.from_dict(data).counts()["tracks"] == 40


def test_serve_reports_bad_arguments_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(app, ["emulator", "serve", "--tracks", "5", "--library", "x.json"])
    assert both.exit_code == 2
    assert "either --library or --tracks" in both.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "nope"}', encoding="utf-8")
    result = runner.invoke(app, ["emulator", "serve", "--library", str(bad)])
    assert result.exit_code == 3  # a bad file, like a bad config
    assert result.stderr.strip().startswith("Error: emulator library $.schema")
    assert "Traceback" not in result.stderr
    kinds = runner.invoke(app, ["emulator", "serve", "--fail-rate", "0.5", "--fault-kinds", "x"])
    assert kinds.exit_code == 2


def test_commands_have_help_and_are_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "emulator.md").read_text(encoding="utf-8")
    for command in ("serve", "generate"):
        result = CliRunner().invoke(app, ["emulator", command, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0
        assert "Examples" in result.stdout
        assert f"plexrate emulator {command}" in docs


@pytest.mark.integration
def test_serve_sends_webhooks_to_every_webhook_url(
    small_library: EmulatorLibrary, tmp_path: Path
) -> None:
    path = tmp_path / "lib.json"
    small_library.save(path)
    first, second = Receiver(), Receiver()
    proc, info = start_serve(
        "--library", str(path), "--webhook", first.url, "--webhook", second.url
    )
    try:
        assert info["webhooks"] == 2
        # Only the number of URLs is printed: a URL may hold the receiver's secret.
        assert "s3cret" not in json.dumps(info)
        query: dict[str, str | int | float] = {
            "key": 302,
            "identifier": "com.plexapp.plugins.library",
            "rating": 4,
        }
        answer = requests.put(
            f"{info['url']}/:/rate",
            params=query,
            headers={"X-Plex-Token": info["token"]},
            timeout=5,
        )
        assert answer.status_code == 200
        for got in (first, second):
            got.wait(1)
            assert [(e["event"], e["rating"]) for e in got.events()] == [("media.rate", 4.0)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
        first.close()
        second.close()
    assert proc.returncode == 0


def test_serve_refuses_a_webhook_that_is_not_http() -> None:
    result = CliRunner().invoke(
        app,
        ["emulator", "serve", "--tracks", "5", "--port", "0", "--webhook", "ftp://x/y"],
        env=ENV,
    )
    assert result.exit_code != 0
    assert "--webhook" in result.output
