"""``plexrate admin runs`` and ``admin state export/import``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plexrate import __version__
from tests.admin.admin_helpers import TWIN_TAG, applied, lose_state, ownership
from tests.support.cli import PlexrateCli

pytestmark = pytest.mark.integration


@pytest.fixture
def px(px: PlexrateCli) -> PlexrateCli:
    """The twin rules on, with their own tag."""
    px.env["PLEXRATE_TWIN_LOGIC__TWIN_TAG"] = TWIN_TAG
    return px


def test_runs_lists_id_time_command_status_and_items_changed(px: PlexrateCli) -> None:
    empty = px.invoke("admin", "runs", "--json")
    assert empty.exit_code == 0, empty.stderr
    assert empty.json()["runs"] == []
    assert "No runs recorded" in px.invoke("admin", "runs").err

    applied(px, "run")
    applied(px, "admin", "undo", "--run", "1")
    # The state file names its libraries: listing runs needs no server.
    px.emulator.stop()
    result = px.invoke("admin", "runs", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["library"] == {"title": "Music", "uuid": px.emulator.section_uuid}
    rows = [
        (r["id"], r["command"], r["args"], r["status"], r["changed"], r["failed"], r["pending"])
        for r in document["runs"]
    ]
    phases = ["album-up", "artist-up", "album-down", "track-down", "twins"]
    assert rows == [
        (1, "run", {"phases": phases, "start_letter": None}, "completed", 276, 0, 0),
        (2, "admin undo --run 1", {"run": 1}, "completed", 276, 0, 0),
    ]
    first = document["runs"][0]
    assert first["started_at"] <= first["finished_at"]
    assert first["started"].startswith("20") and "T" in first["started"]

    text = px.run("admin", "runs")
    assert text.exit_code == 0, text.stderr
    assert "admin undo --run 1" in text.stdout
    assert "completed" in text.stdout
    # At 80 columns nothing is cut short (issue 19: "2026-12…", "complet…").
    px.env["COLUMNS"] = "80"
    narrow = px.invoke("admin", "runs")
    assert "…" not in narrow.stdout
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    assert "admin undo --run 1" in narrow.stdout


def test_export_then_import_gives_back_the_same_ownership(px: PlexrateCli) -> None:
    applied(px, "run")
    owned = ownership(px)
    result = px.run("admin", "state", "export", "--json")
    assert result.exit_code == 0, result.stderr
    target = px.workdir / "plex_state.json"
    assert px.emulator.token not in target.read_text()
    assert result.json() == {
        "schema_version": 1,
        "path": str(target),
        "items": 276,
        "library": {"title": "Music", "uuid": px.emulator.section_uuid},
        "format": "stamped",
    }
    document = json.loads(target.read_text())
    assert (document["version"], document["library_uuid"]) == (
        __version__,
        px.emulator.section_uuid,
    )
    assert {int(k): (v["r"], v["t"]) for k, v in document["ratings"].items()} == {
        k: (value, twin) for k, (_, value, twin) in owned.items()
    }
    again = px.invoke("admin", "state", "export")
    assert again.exit_code == 2
    assert "already exists" in again.err and "--force" in again.err
    assert px.invoke("admin", "state", "export", "--force", "--quiet").exit_code == 0

    lose_state(px)
    moved = px.workdir / "saved.json"
    target.rename(moved)  # out of LEGACY_STATE_PATH, so nothing imports it on its own
    dry = px.invoke("admin", "state", "import", str(moved), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert (dry.json()["imported"], dry.json()["backup"]) == (276, None)
    assert not px.state_path.exists()

    imported = px.invoke("admin", "state", "import", str(moved), "--apply", "--json")
    assert imported.exit_code == 0, imported.stderr
    report = imported.json()
    assert (report["format"], report["uuid_check"], report["entries"], report["imported"]) == (
        "stamped",
        "match",
        276,
        276,
    )
    assert report["skipped"] == {
        "not_in_library": 0,
        "unrated": 0,
        "already_owned": 0,
        "anchors": 0,
        "changed": 0,
    }
    assert Path(report["backup"]).read_bytes() == moved.read_bytes()
    assert ownership(px) == owned
    assert px.invoke("admin", "verify", "--quiet").exit_code == 0


def test_import_of_the_flat_format_counts_what_it_skips(px: PlexrateCli) -> None:
    applied(px, "up-albums")
    owned = ownership(px)
    already = min(owned)
    rated = sorted((k, v) for k, v in px.emulator.library.ratings("track").items() if v is not None)
    (manual_track, value), (moved_track, moved_value) = rated[0], rated[1]
    flat = {
        str(already): 5.0,
        "999999": 7.0,
        "1003": 0,
        str(manual_track): value,  # what Plex holds: the file's claim stands
        str(moved_track): moved_value + (0.5 if moved_value < 9 else -0.5),  # Plex moved since
    }
    path = px.workdir / "flat.json"
    path.write_text(json.dumps(flat))

    result = px.run("admin", "state", "import", str(path), "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert (report["format"], report["uuid_check"], report["imported"]) == ("flat", "unstamped", 1)
    assert report["skipped"] == {
        "not_in_library": 1,
        "unrated": 1,
        "already_owned": 1,
        "anchors": 0,
        "changed": 1,
    }
    after = ownership(px)
    assert after[manual_track] == ("track", value, False)
    assert moved_track not in after  # a value that moved since is the person's
    assert after[already] == owned[already]  # the store's newer record is kept


def test_a_file_stamped_for_another_library_needs_force(px: PlexrateCli) -> None:
    applied(px, "up-albums")
    path = px.workdir / "other.json"
    key, value = min((k, v) for k, v in px.emulator.library.ratings("track").items() if v)
    path.write_text(
        json.dumps(
            {
                "version": "1",
                "library_uuid": "another-library",
                "ratings": {str(key): {"r": value, "t": True}},
            }
        )
    )
    refused = px.invoke("admin", "state", "import", str(path), "--apply", "--yes")
    assert refused.exit_code == 1
    assert "was written for another library (uuid another-library)" in refused.err
    assert "belongs to another library" in refused.err
    assert key not in ownership(px)

    forced = px.invoke(
        "admin", "state", "import", str(path), "--apply", "--yes", "--force", "--json"
    )
    assert forced.exit_code == 0, forced.stderr
    assert forced.json()["uuid_check"] == "mismatch"
    assert ownership(px)[key] == ("track", value, True)


def test_import_of_a_damaged_file_names_the_problem(px: PlexrateCli) -> None:
    path = px.workdir / "broken.json"
    path.write_text('{"ratings": {"12": {"r": 7.5}')
    result = px.invoke("admin", "state", "import", str(path), "--apply")
    assert result.exit_code == 3
    assert "is not valid JSON" in result.err
    assert not px.state_path.exists()
