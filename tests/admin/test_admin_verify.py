"""``plexrate admin verify``: each kind of disagreement, the exit codes, and re-keyed orphans."""

from __future__ import annotations

from typing import Any

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary, FaultPlan
from tests.admin.admin_helpers import (
    TAG,
    TWIN_TAG,
    EmulatorFactory,
    applied,
    ownership,
    person_adds_mood,
    person_rates,
    person_removes_mood,
    point_at,
    rated_keys,
)
from tests.support.cli import PlexrateCli

pytestmark = pytest.mark.integration


def verify(px: PlexrateCli) -> tuple[int, dict[str, Any]]:
    result = px.invoke("admin", "verify", "--json")
    document: dict[str, Any] = result.json()
    return result.exit_code, document


def owned_of(px: PlexrateCli, kind: str) -> list[int]:
    return sorted(k for k, (t, _, _) in ownership(px).items() if t == kind)


def test_consistent_after_a_run_exits_0_and_prints_no_data(px: PlexrateCli) -> None:
    applied(px, "run")
    code, document = verify(px)
    assert code == 0
    assert document["consistent"] is True
    assert document["owned"] == 276
    assert set(document["counts"].values()) == {0}
    assert document["tags"] == {"tag": TAG, "missing": [], "unowned": []}
    assert document["twin_tags"] is None
    assert document["library"]["uuid"] == px.emulator.section_uuid

    text = px.invoke("admin", "verify")
    assert text.exit_code == 0
    assert text.stdout == ""
    assert text.err == (
        "Consistent: plexrate owns 276 items, and Plex holds what it wrote, each carrying "
        "'Rating_Inferred'."
    )


def test_before_any_run_verify_says_there_is_nothing_to_check(px: PlexrateCli) -> None:
    text = px.invoke("admin", "verify")
    assert text.exit_code == 0
    assert text.err == "Nothing to check: plexrate owns no items in this library yet."


def test_an_override_is_reported_with_expected_and_found(px: PlexrateCli) -> None:
    emu = px.emulator
    applied(px, "run")
    track = owned_of(px, "track")[0]
    written = ownership(px)[track][1]
    person_rates(emu, track, 2.0)

    code, document = verify(px)
    assert code == 1
    assert document["consistent"] is False
    assert document["overrides"] == [
        {
            "key": track,
            "type": "track",
            "title": document["overrides"][0]["title"],
            "expected": written,
            "found": 2.0,
            "rule": "any-change",
        }
    ]
    assert document["counts"]["overrides"] == 1

    text = px.invoke("admin", "verify")
    assert text.exit_code == 1
    assert "Overrides: owned, but changed in Plex since plexrate wrote them" in text.stdout
    assert "1★" in text.stdout
    assert "Not consistent: 1 override." in text.err
    assert "hands them back to you" in text.err


def test_tag_mismatches_both_ways(px: PlexrateCli) -> None:
    emu = px.emulator
    applied(px, "run")
    album = owned_of(px, "album")[0]
    manual = min(k for k in rated_keys(emu, "track") if k not in ownership(px))
    person_removes_mood(emu, album, TAG)
    person_adds_mood(emu, manual, TAG)

    code, document = verify(px)
    assert code == 1
    assert [(m["key"], m["type"]) for m in document["tags"]["missing"]] == [(album, "album")]
    assert [(m["key"], m["type"]) for m in document["tags"]["unowned"]] == [(manual, "track")]
    counts = document["counts"]
    assert (counts["missing_tag"], counts["unowned_tag"], counts["overrides"]) == (1, 1, 0)

    text = px.invoke("admin", "verify")
    assert "Tagged, but not owned" in text.stdout
    assert "Owned, without the tag" in text.stdout
    assert "plexrate admin sync-tags" in text.err


def test_twin_tag_mismatches_when_twin_tag_is_set(px: PlexrateCli) -> None:
    emu = px.emulator
    px.env["PLEXRATE_TWIN_LOGIC__TWIN_TAG"] = TWIN_TAG
    applied(px, "run")
    owned = ownership(px)
    twin = min(k for k, (_, _, is_twin) in owned.items() if is_twin)
    other = min(k for k, (kind, _, is_twin) in owned.items() if kind == "track" and not is_twin)
    assert verify(px)[0] == 0
    person_removes_mood(emu, twin, TWIN_TAG)
    person_adds_mood(emu, other, TWIN_TAG)

    code, document = verify(px)
    assert code == 1
    assert document["twin_tags"]["tag"] == TWIN_TAG
    assert [m["key"] for m in document["twin_tags"]["missing"]] == [twin]
    assert [m["key"] for m in document["twin_tags"]["unowned"]] == [other]
    assert document["tags"]["missing"] == document["tags"]["unowned"] == []


def test_unconfirmed_writes_of_an_interrupted_run_are_not_consistent(px: PlexrateCli) -> None:
    emu = px.emulator
    px.env["PLEXRATE_WRITE_BATCH_SIZE"] = "20"
    emu.set_faults(FaultPlan(stop_after_writes=3))
    assert px.invoke("run", "--apply", "--quiet").exit_code == 4
    emu.set_faults(None)
    emu.come_back()

    with px.store() as store:
        pending = len(store.pending())
    assert pending > 0
    code, document = verify(px)
    assert code == 1
    assert document["pending"] == pending
    text = px.invoke("admin", "verify")
    assert f"{pending} unconfirmed write" in text.err
    # The next writing command settles them, and the record agrees with Plex again.
    applied(px, "run")
    assert verify(px)[0] == 0


def rematched(
    emulator: Emulator, moves: dict[int, int], *, drop: int | None = None
) -> EmulatorLibrary:
    """The same library with some items under new ratingKeys (Plex re-matched them)."""
    data = emulator.dump()
    section = next(s for s in data["sections"] if s.get("tracks"))
    tracks = []
    for track in section["tracks"]:
        if track["ratingKey"] == drop:
            continue
        track["ratingKey"] = moves.get(track["ratingKey"], track["ratingKey"])
        tracks.append(track)
    section["tracks"] = tracks
    return EmulatorLibrary.from_dict(data)


def test_orphans_are_reported_and_a_write_session_rekeys_the_refound_ones(
    px: PlexrateCli, emulator_factory: EmulatorFactory
) -> None:
    applied(px, "run")
    owned = ownership(px)
    moved, gone = owned_of(px, "track")[:2]
    new_key = 990_001
    emu = emulator_factory(rematched(px.emulator, {moved: new_key}, drop=gone))
    point_at(px, emu)

    code, document = verify(px)
    assert code == 1
    orphans = {o["key"]: o for o in document["orphans"]}
    assert set(orphans) == {moved, gone}
    assert orphans[moved]["new_key"] == new_key
    assert orphans[gone]["new_key"] is None
    assert orphans[moved]["guid"].startswith("plex://track/")
    assert orphans[moved]["value"] == owned[moved][1]
    assert document["counts"]["orphans_refound"] == 1
    # Under its new key the item carries the tag but is not owned (yet).
    assert [m["key"] for m in document["tags"]["unowned"]] == [new_key]

    # Read-only commands leave the record alone; the next writing command moves it.
    assert new_key not in ownership(px)
    result = px.invoke("admin", "sync-tags", "--apply")
    assert result.exit_code == 0, result.stderr
    assert "Moved the records of 1 item Plex re-matched" in result.err
    after = ownership(px)
    assert after[new_key] == owned[moved]
    assert moved not in after
    with px.store() as store:
        assert {e.key for e in store.journal(run_id=1)} >= {new_key}
    code, document = verify(px)
    assert [o["key"] for o in document["orphans"]] == [gone]
    assert document["tags"]["unowned"] == []


def test_verify_in_a_real_process_exits_1_on_an_override(px: PlexrateCli) -> None:
    applied(px, "run")
    track = owned_of(px, "track")[0]
    person_rates(px.emulator, track, 1.0)
    result = px.run("admin", "verify", "--json")
    assert result.exit_code == 1, result.stderr
    document = result.json()
    assert [o["key"] for o in document["overrides"]] == [track]
    assert px.emulator.token not in result.stdout + result.stderr
