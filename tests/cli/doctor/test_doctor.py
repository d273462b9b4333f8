"""``plexrate doctor`` against the emulator over real HTTP: each check, the consent rule for the
write probe, what is remembered, and later runs using it (issue 14 item 7)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from plexrate.emulator import Emulator, EmulatorLibrary, generate_library
from plexrate.state import StateStore, schema
from plexrate.state import store as store_module
from plexrate.state.profile import PROBE_KEY, load_profile
from tests.support.cli import PlexrateCli, Ran

pytestmark = pytest.mark.integration

TOKEN = "doc-T0ken-Heron-4410"
FRIEND = "doc-Friend-Wren-2207"
STATE = "plexrate_state.sqlite"


@pytest.fixture(scope="module")
def library() -> dict[str, Any]:
    return generate_library(tracks=150, seed=31).to_dict()


@pytest.fixture
def emu(library: dict[str, Any]) -> Iterator[Emulator]:
    server = Emulator(
        EmulatorLibrary.from_dict(json.loads(json.dumps(library))), token=TOKEN
    ).start()
    server.add_account(FRIEND, "shared")
    try:
        yield server
    finally:
        server.stop()


def invoke(emu: Emulator, folder: Path, *args: str, **settings: str) -> Ran:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PLEXRATE_")}
    values = {
        "PLEX_URL": emu.url,
        "PLEX_TOKEN": TOKEN,
        "STATE_PATH": str(folder / STATE),
        "LEGACY_STATE_PATH": str(folder / "plex_state.json"),
        "COOLDOWN_SLEEP": "0",
        **settings,
    }
    env.update({f"PLEXRATE_{k}": v for k, v in values.items()})
    env.update(NO_COLOR="1", COLUMNS="200")
    result = PlexrateCli(emulator=emu, workdir=folder, env=env).invoke(*args)
    assert TOKEN not in result.stdout + result.stderr
    assert FRIEND not in result.stdout + result.stderr
    return result


def doctor_json(emu: Emulator, folder: Path, *args: str, **settings: str) -> dict[str, Any]:
    result = invoke(emu, folder, "doctor", "--json", *args, **settings)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def checks(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {c["check"]: c for c in document["checks"]}


def test_without_consent_nothing_is_written(emu: Emulator, tmp_path: Path) -> None:
    document = doctor_json(emu, tmp_path)
    found = checks(document)
    assert list(found) == ["Server", "TLS", "Largest page", "Token", "Ratings stored"]
    assert found["Token"]["status"] == "ok"
    assert "the server owner's token" in found["Token"]["result"]
    assert found["Largest page"]["result"] == "1000 items per request accepted"
    assert found["Ratings stored"]["status"] == "skipped"
    assert "needs your consent" in found["Ratings stored"]["result"]
    assert emu.stats().writes == 0
    learned = document["learned"]
    assert learned["page_size"] == 1000 and learned["owner_token"] is True
    assert learned["may_edit"] is None  # not probed
    with StateStore(tmp_path / STATE, library_uuid=emu.section_uuid, readonly=True) as store:
        profile = load_profile(store, emu.library.server.machine_identifier)
    assert profile is not None and profile.page_size == 1000


def test_the_write_probe_learns_the_precision_and_leaves_the_track_unrated(
    emu: Emulator, tmp_path: Path
) -> None:
    before = emu.library.ratings("track")
    document = doctor_json(emu, tmp_path, "--probe-writes", "--yes")
    stored = checks(document)["Ratings stored"]
    assert stored["status"] == "ok"
    assert "kept to one decimal (6.58 sent, 6.6 read back)" in stored["result"]
    assert "left unrated again" in stored["result"]
    learned = document["learned"]
    assert (learned["may_edit"], learned["edit_stores_ratings"]) == (True, True)
    assert learned["stored_probe"] == 6.6
    assert emu.library.ratings("track") == before  # every rating as it was
    probed = [r for r in emu.requests() if r.endpoint == "PUT /:/rate"]
    key = int(probed[0].param("key") or 0)
    assert emu.library.locked_fields(key) == ()  # the lock it set was released
    # A later check without the probe keeps what the probe learned.
    again = doctor_json(emu, tmp_path)
    assert again["learned"]["stored_probe"] == 6.6


def test_a_shared_users_token_is_named_and_later_runs_rate_from_the_start(
    emu: Emulator, tmp_path: Path
) -> None:
    document = doctor_json(emu, tmp_path, PLEX_TOKEN=FRIEND)
    token = checks(document)["Token"]
    assert token["status"] == "warn"
    assert "a shared or managed user's token" in token["result"]
    assert 'needs INFERRED_TAG ""' in token["plan"]
    assert document["learned"]["write_mode"] == "rate"
    emu.reset_stats()
    result = invoke(
        emu, tmp_path, "run", "--apply", "--yes", "--json", PLEX_TOKEN=FRIEND, INFERRED_TAG=""
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["write_mode"] == "rate" and summary["written"] > 0
    # No edit was tried and refused first: doctor's finding chose /:/rate.
    assert emu.stats().by_endpoint.get("PUT /library/sections/{id}/all", 0) == 0


def test_a_server_that_ignores_the_edit_form_makes_auto_start_with_rate(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.ignore_edits(["userRating"])
    document = doctor_json(emu, tmp_path, "--probe-writes", "--yes")
    stored = checks(document)["Ratings stored"]
    assert stored["status"] == "warn"
    assert "edit form does not store ratings; /:/rate stores them" in stored["result"]
    assert document["learned"]["write_mode"] == "rate"
    emu.reset_stats()
    summary = json.loads(invoke(emu, tmp_path, "run", "--apply", "--yes", "--json").stdout)
    assert summary["status"] == "completed" and summary["write_mode"] == "rate"
    # Tags still go by edit; no rating was sent by the edit form to be checked and dropped.
    edits = [r for r in emu.requests() if r.endpoint == "PUT /library/sections/{id}/all"]
    assert not any(r.param("userRating.value") for r in edits)


def test_a_smaller_page_limit_is_found_and_used(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("plexrate.emulator.strictness.MAX_PAGE_SIZE", 200)
    document = doctor_json(emu, tmp_path)
    page = checks(document)["Largest page"]
    assert page["result"] == "200 items per request accepted"
    assert "reads 200 items per request (PAGE_SIZE 1000 is above what it accepts)" in page["plan"]
    emu.reset_stats()
    result = invoke(emu, tmp_path, "run", "--dry-run")
    assert result.exit_code == 0, result.stderr
    sizes = {r.page_size for r in emu.requests() if r.endpoint.endswith("/all") and r.page_size}
    assert sizes and max(sizes) <= 200
    assert 400 not in emu.stats().by_status


def test_an_interrupted_probe_is_finished_by_the_next_doctor(emu: Emulator, tmp_path: Path) -> None:
    doctor_json(emu, tmp_path)  # creates the state file
    key = next(k for k, v in emu.library.ratings("track").items() if v is None)
    # As if doctor was killed with the track rated.
    invoke(emu, tmp_path, "config", "check")
    emu_server_id = emu.library.server.machine_identifier
    with StateStore(tmp_path / STATE, library_uuid=emu.section_uuid) as store:
        store.set_meta(PROBE_KEY, f"{emu_server_id}:{key}")
    query: dict[str, str | int | float] = {
        "key": key,
        "identifier": "com.plexapp.plugins.library",
        "rating": 6.6,
    }
    requests.put(
        f"{emu.url}/:/rate",
        params=query,
        headers={"X-Plex-Token": TOKEN},
        timeout=10,
    ).raise_for_status()
    assert emu.library.rating(key) == 6.6
    result = invoke(emu, tmp_path, "doctor")
    assert result.exit_code == 0, result.stderr
    assert f"cleared the rating an interrupted probe left on track {key}" in result.stderr
    assert emu.library.rating(key) is None


def test_a_damaged_state_file_stops_doctor_before_it_clears_a_probe_in_plex(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clearing an interrupted probe is a write to Plex before doctor's first write to the state
    file, so the file's check (due before the first write) is asked for first."""
    doctor_json(emu, tmp_path)
    key = next(k for k, v in emu.library.ratings("track").items() if v is None)
    with StateStore(tmp_path / STATE, library_uuid=emu.section_uuid) as store:
        store.set_meta(PROBE_KEY, f"{emu.library.server.machine_identifier}:{key}")
    emu.person_rate(key, 6.6)
    store_module.forget_checks()
    monkeypatch.setattr(
        schema, "check_write_path", lambda conn, path=None: "index owned_by_guid is damaged"
    )
    emu.reset_stats()
    result = invoke(emu, tmp_path, "doctor")
    assert result.exit_code != 0
    assert "is damaged" in result.stderr
    assert emu.stats().writes == 0
    assert emu.library.rating(key) == 6.6


def test_config_check_points_to_doctor_until_it_ran(emu: Emulator, tmp_path: Path) -> None:
    hint = "`plexrate doctor` checks what plexrate will do on this server"
    result = invoke(emu, tmp_path, "config", "check")
    assert result.exit_code == 0
    assert hint in " ".join(result.stderr.split())
    doctor_json(emu, tmp_path)
    again = invoke(emu, tmp_path, "config", "check")
    assert again.exit_code == 0
    assert hint not in " ".join(again.stderr.split())
