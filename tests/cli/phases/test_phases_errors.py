"""Errors and exit codes of ``run`` and the phase commands through the real CLI.

1 error, 2 usage, 3 config, 4 Plex; one line on stderr naming the problem and the fix; the
token never printed. Also the guards in front of a first run: items carrying plexrate's tag that
the state does not know (exit 1 until ``admin reconstruct`` or ``--force``), and the old tool's
``plex_state.json`` beside the config, imported on the first ``--apply`` run only.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import EmulatorLibrary, generate_library
from plexrate.engine import build_plan, simulate_apply
from plexrate.model import ItemType, OwnedItem, Phase
from plexrate.plex import connect, read_snapshot
from plexrate.settings import Settings
from tests.e2e.e2e_support import TAG
from tests.support.cli import PlexrateCli, Ran

pytestmark = [pytest.mark.integration]


def free_port() -> int:
    """A local port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def assert_no_token(cli: PlexrateCli, *outputs: str, token: str | None = None) -> None:
    for text in outputs:
        assert cli.token not in text
        if token is not None:
            assert token not in text


def error_line(result: Ran) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unreachable_server_exits_4(cli: PlexrateCli) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    result = cli.invoke("run", env={"PLEXRATE_PLEX_URL": url})

    assert result.exit_code == 4
    assert f"cannot reach a Plex server at {url}" in error_line(result)
    assert "PLEX_URL" in error_line(result)
    assert result.stdout == ""
    assert_no_token(cli, result.stdout, result.stderr)


def test_a_refused_token_exits_4_without_printing_it(cli: PlexrateCli) -> None:
    wrong = "wrong-token-Quokka-5531"

    for args in (["run", "--apply"], ["--debug", "up-albums"]):
        result = cli.invoke(*args, env={"PLEXRATE_PLEX_TOKEN": wrong})

        assert result.exit_code == 4, result.output
        assert "refused the token (401 Unauthorized)" in error_line(result)
        assert_no_token(cli, result.stdout, result.stderr, token=wrong)
    assert cli.emulator.stats().writes == 0


def test_an_unknown_library_exits_3_and_lists_the_music_libraries(
    cli_for: Any, small_library: EmulatorLibrary
) -> None:
    cli = cli_for(small_library)

    unknown = cli.invoke("run", "--library", "Jazz")
    not_music = cli.invoke("up-albums", "--library", "Movies")

    assert unknown.exit_code == not_music.exit_code == 3
    assert "no music library named 'Jazz'" in error_line(unknown)
    assert "music libraries: 'Music'" in error_line(unknown)
    assert "'Movies' on 'Test Server' is a movie library" in error_line(not_music)
    assert "music libraries: 'Music'" in error_line(not_music)
    assert_no_token(cli, unknown.output, not_music.output)


@pytest.mark.parametrize(
    ("removed", "named"),
    [
        (("PLEXRATE_PLEX_URL", "PLEXRATE_PLEX_TOKEN"), "PLEX_URL and PLEX_TOKEN are not set"),
        (("PLEXRATE_PLEX_URL",), "PLEX_URL is not set"),
    ],
)
def test_without_a_server_configured_it_exits_3_pointing_at_config_init(
    cli: PlexrateCli, removed: tuple[str, ...], named: str
) -> None:
    result = cli.invoke("run", env=dict.fromkeys(removed))

    assert result.exit_code == 3
    line = error_line(result)
    assert named in line
    assert "plexrate config init" in line
    assert_no_token(cli, result.output)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--start-letter", "12"],
        ["up-albums", "--start-letter", "AB"],
        ["twins", "--start-letter", "-"],
        ["run", "--sample", "-1"],
        ["down-tracks", "--no-such-flag"],
    ],
)
def test_bad_flag_values_are_usage_errors(cli: PlexrateCli, args: list[str]) -> None:
    result = cli.invoke(*args)

    assert result.exit_code == 2, result.output
    assert cli.emulator.stats().requests == 0  # refused before connecting
    assert_no_token(cli, result.output)


@pytest.mark.slow
def test_exit_codes_are_the_same_from_a_real_process(cli: PlexrateCli) -> None:
    wrong = "wrong-token-Ibis-0042"
    cases: list[tuple[dict[str, str | None], list[str], int]] = [
        ({"PLEXRATE_PLEX_URL": f"http://127.0.0.1:{free_port()}"}, ["run"], 4),
        ({"PLEXRATE_PLEX_TOKEN": wrong}, ["run", "--apply"], 4),
        ({}, ["run", "--library", "Jazz"], 3),
        ({"PLEXRATE_PLEX_URL": None}, ["run"], 3),
        ({}, ["run", "--start-letter", "12"], 2),
    ]
    done = cli.run_all(*((args, env) for env, args, _ in cases))
    for (_, args, code), proc in zip(cases, done, strict=True):
        assert proc.exit_code == code, (args, proc.stderr)
        assert proc.stdout == ""
        assert "Traceback" not in proc.stderr
        assert_no_token(cli, proc.stdout, proc.stderr, token=wrong)


# ------------------------------------------------------------------ items tagged, state unknown


def library_with_lost_state(tracks: int = 300) -> tuple[EmulatorLibrary, dict[int, float]]:
    """A library where an earlier run rated and tagged some tracks, and the state is gone."""
    data = generate_library(tracks=tracks, seed=9).to_dict()
    section = next(s for s in data["sections"] if s.get("type", "artist") == "artist")
    written: dict[int, float] = {}
    for raw in section["tracks"]:
        if "userRating" not in raw and len(written) < 12:
            raw["userRating"] = 7.0 + len(written) % 3
            raw["moods"] = [*raw.get("moods", ()), TAG]
            written[raw["ratingKey"]] = raw["userRating"]
    return EmulatorLibrary.from_dict(data), written


@pytest.mark.parametrize("args", [["run"], ["run", "--apply"], ["twins", "--apply", "--yes"]])
def test_tagged_items_the_state_does_not_know_stop_the_run(cli_for: Any, args: list[str]) -> None:
    library, written = library_with_lost_state()
    cli = cli_for(library)

    result = cli.invoke(*args)

    assert result.exit_code == 1, result.output
    line = error_line(result)
    assert f"{len(written)} items carry the '{TAG}' tag" in line
    assert "plexrate admin reconstruct" in line
    assert "--force" in line
    assert cli.emulator.stats().writes == 0
    assert_no_token(cli, result.output)


def test_force_treats_the_tagged_items_as_the_persons(cli_for: Any) -> None:
    library, written = library_with_lost_state()
    cli = cli_for(library)

    document = cli.ok_json("run", "--apply", "--force")

    assert document["status"] == "completed"
    emulator_library = cli.emulator.library
    for key, value in written.items():
        assert emulator_library.rating(key) == value  # now manual: kept as they were
        assert key not in cli.owned()
    assert cli.ok_json("run", "--apply")["planned"] == 0  # the state is built from now on


# ------------------------------------------------------------------ the old tool's state file


def write_legacy(folder: Path, uuid: str, written: dict[int, float]) -> Path:
    path = folder / "plex_state.json"
    document = {
        "version": "3.2",
        "library_uuid": uuid,
        "ratings": {str(k): {"r": v, "t": False} for k, v in written.items()},
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def write_config(folder: Path) -> Path:
    config = folder / "config.json"
    config.write_text(json.dumps({"version": "plexrate-1", "DRY_RUN": True}), encoding="utf-8")
    return config


def test_the_old_tools_state_is_imported_on_the_first_real_run_only(cli_for: Any) -> None:
    library, written = library_with_lost_state()
    cli = cli_for(library)
    config = write_config(cli.workdir)
    legacy = write_legacy(cli.workdir, cli.emulator.section_uuid, written)
    legacy_bytes = legacy.read_bytes()
    backups = cli.state_path.parent

    dry = cli.invoke("run", "--config", str(config))

    assert dry.exit_code == 0, dry.output  # no guard error: the old file accounts for the tags
    assert f"{len(written)} would become plexrate's" in dry.stderr
    assert cli.state_files() == {}  # nothing imported, no backup, no state file
    assert cli.emulator.stats().writes == 0

    client = connect(url=cli.emulator.url, token=cli.token, library="Music")
    snapshot = read_snapshot(client, tags=[TAG])
    claims = {
        k: OwnedItem(k, ItemType.TRACK, v, phase=Phase.IMPORT.value) for k, v in written.items()
    }
    plan = build_plan(snapshot, owned=claims, config=Settings().engine_config())
    after, _ = simulate_apply(snapshot, owned=claims, plan=plan)

    real = cli.invoke("run", "--apply", "--config", str(config))

    assert real.exit_code == 0, real.output
    assert f"{len(written)} became plexrate's" in real.stderr
    copies = sorted(backups.glob("plex_state.*.json"))
    assert len(copies) == 1
    assert copies[0].read_bytes() == legacy_bytes
    assert legacy.read_bytes() == legacy_bytes  # the original stays where it was
    owned = cli.owned()
    assert set(written) <= set(owned)
    # The imported values were the old tool's, so they were inferred again, not used as evidence.
    emulator_library = cli.emulator.library
    for key, track in after.tracks.items():
        assert emulator_library.rating(key) == pytest.approx(track.rating, abs=0.005)

    again = cli.invoke("run", "--apply", "--config", str(config))
    assert again.exit_code == 0, again.output
    assert "Migrated" not in again.stderr
    assert_no_token(cli, dry.output, real.output, again.output)
    assert all(cli.token.encode() not in data for data in cli.state_files().values())
    assert len(list(backups.glob("plex_state.*.json"))) == 1


def test_an_old_state_file_of_another_library_needs_force(cli_for: Any) -> None:
    library, written = library_with_lost_state()
    cli = cli_for(library)
    config = write_config(cli.workdir)
    write_legacy(cli.workdir, "11111111-2222-4333-8444-555555555555", written)

    refused = cli.invoke("run", "--apply", "--yes", "--config", str(config))

    assert refused.exit_code == 1
    assert "belongs to another library" in error_line(refused)
    assert "--force" in error_line(refused)
    assert_no_token(cli, refused.output)
    assert cli.emulator.stats().writes == 0

    forced = cli.invoke("run", "--apply", "--yes", "--force", "--config", str(config))
    assert forced.exit_code == 0, forced.output
    assert set(written) <= set(cli.owned())
