"""``plexrate run --apply`` end to end: every item read back and checked against the engine.

The expectation is computed from the library as the emulator dumps it, before the run, with
``build_plan`` and ``simulate_apply``; the result is read back through unmodified plexapi.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from plexrate.emulator import Emulator
from plexrate.emulator.generator import generate_library
from plexrate.engine import build_plan, epsilon, simulate_apply
from plexrate.model import RATING_MAX
from plexrate.plex import connect, read_snapshot
from plexrate.settings import Settings
from tests.e2e.e2e_support import (
    SAME,
    TAG,
    expected_run,
    item_kinds,
    moods,
    rating_differences,
    ratings,
    read_library,
    snapshot_from_dump,
    write_requests,
)
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration]


def check_library(cli: PlexrateCli, initial: dict[str, Any]) -> None:
    """The library and the state after one full run equal the engine's expectation."""
    expected = expected_run(initial)
    seen = read_library(cli.emulator)
    before = ratings(initial)
    kinds = item_kinds(initial)

    assert set(seen) == set(kinds)
    assert all(seen[key].item_type is kinds[key] for key in kinds)
    wanted = {key: item.rating for key, item in _items(expected.after)}
    got = {key: item.rating for key, item in seen.items()}
    assert rating_differences(wanted, got, tolerance=SAME) == {}
    # Every value written is within 0-10 and nothing is left at 0 (which Plex reads as unrated).
    assert all(0 < s.rating <= RATING_MAX for s in seen.values() if s.rating is not None)
    # Manual ratings (on a fresh state: every rating there was) are untouched (invariant 1).
    manual = {key: value for key, value in before.items() if value is not None}
    assert {key: got[key] for key in manual} == manual
    # The inferred tag is on exactly the items plexrate owns, and those are the unrated ones.
    tagged = {key for key, item in seen.items() if item.tagged}
    assert tagged == set(expected.owned)
    assert tagged.isdisjoint(manual)
    # The person's own moods are all still there, and plexrate added nothing but its tag.
    after_moods = moods(cli.emulator.dump())
    for key, own in moods(initial).items():
        extra = [m for m in after_moods[key] if m not in own]
        assert set(own) <= set(after_moods[key])
        assert extra == ([TAG] if key in expected.owned else [])
    # The state owns what the engine said it would, at the values Plex holds.
    owned = cli.owned()
    assert set(owned) == set(expected.owned)
    assert all(abs(owned[k].value - (got[k] or 0.0)) <= SAME for k in owned)
    assert cli.pending() == []


def _items(snapshot: Any) -> Any:
    for mapping in (snapshot.artists, snapshot.albums, snapshot.tracks):
        yield from mapping.items()


@pytest.mark.slow
@pytest.mark.parametrize(("tracks", "seed"), [(1000, 1), (2000, 7), (3000, 11)])
def test_run_apply_leaves_every_item_as_the_engine_expects(
    cli_for: Any, tracks: int, seed: int
) -> None:
    cli = cli_for(tracks=tracks, seed=seed)
    initial = cli.emulator.dump()

    document = cli.ok_json("run", "--apply")

    expected = expected_run(initial)
    assert document["status"] == "completed"
    assert document["written"] == document["planned"] == len(expected.plan.changes)
    assert document["failed"] == 0
    assert document["pending"] == 0
    assert document["counts"] == _counts(expected.plan)
    # Each item is written once: its rating and its tag travel in the same request.
    touched = Counter(key for _, keys in write_requests(cli.emulator) for key in keys)
    assert set(touched) == set(expected.owned)
    assert max(touched.values()) == 1
    check_library(cli, initial)


def _counts(plan: Any) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for change in plan.changes:
        per_type = counts.setdefault(change.phase.value, {})
        per_type[change.item_type.value] = per_type.get(change.item_type.value, 0) + 1
    return counts


def test_the_adapter_reads_the_library_the_dump_describes(cli_for: Any) -> None:
    """The expectation is built without plexrate's adapter; both views must agree."""
    cli = cli_for(tracks=600, seed=5)
    client = connect(url=cli.emulator.url, token=cli.emulator.token, library="Music")
    # Tag a few items first so tag membership is compared too.
    cli.ok_json("up-albums", "--apply")

    read = read_snapshot(client, tags=[TAG], page_size=250)
    built = snapshot_from_dump(cli.emulator.dump())

    assert read.tagged[TAG] == built.tagged[TAG] != frozenset()
    assert dict(read.artists) == dict(built.artists)
    assert dict(read.albums) == dict(built.albums)
    assert dict(read.tracks) == dict(built.tracks)
    assert (read.library_uuid, read.section_id, read.section_title) == (
        built.library_uuid,
        built.section_id,
        built.section_title,
    )


@pytest.mark.slow
def test_a_second_run_writes_nothing(cli_for: Any) -> None:
    cli = cli_for(tracks=1500, seed=3)
    first = cli.ok_json("run", "--apply")
    assert first["written"] > 1000
    after_first = cli.emulator.dump()
    cli.emulator.reset_stats()

    again = cli.invoke("run", "--apply")

    assert again.exit_code == 0, again.output
    assert cli.emulator.stats().writes == 0
    assert "Nothing to write" in again.stderr
    document = cli.ok_json("run", "--apply")
    assert cli.emulator.stats().writes == 0
    assert (document["planned"], document["written"], document["write_requests"]) == (0, 0, 0)
    assert document["run_id"] is None  # no run is recorded for nothing
    assert document["stats"]["unchanged"] == first["written"]
    assert cli.emulator.dump() == after_first


@pytest.mark.slow
def test_a_second_run_plans_nothing_at_50000_tracks() -> None:
    """At this size ε (0.055) is wide enough that a twin copy's Track-Down value could stay
    where the last run left it while its twin's moved; the group's mean, and so both copies,
    then moved on every run (12 changes on the second run of this library)."""
    library = Emulator(generate_library(tracks=50_000, seed=1)).dump()
    snapshot = snapshot_from_dump(library)
    config = Settings().engine_config()
    plan = build_plan(snapshot, owned={}, config=config)
    after, owned = simulate_apply(snapshot, owned={}, plan=plan)
    assert len(plan.changes) > 40_000
    assert build_plan(after, owned=owned, config=config).changes == []


@pytest.mark.slow
def test_the_phase_commands_in_order_reach_the_same_library_as_run(cli_for: Any) -> None:
    whole = cli_for(tracks=1200, seed=4)
    phased = cli_for(tracks=1200, seed=4)
    initial = whole.emulator.dump()
    assert phased.emulator.dump() == initial

    whole.ok_json("run", "--apply")
    written = 0
    for command in ("up-albums", "up-artists", "down-albums", "down-tracks", "twins"):
        document = phased.ok_json(command, "--apply")
        assert set(document["by_phase"]) <= {command_phase(command)}
        written += document["written"]

    tolerance = epsilon(len(item_kinds(initial)), dynamic=Settings().dynamic_precision)
    a, b = ratings(whole.emulator.dump()), ratings(phased.emulator.dump())
    assert rating_differences(a, b, tolerance=tolerance) == {}
    assert moods(whole.emulator.dump()) == moods(phased.emulator.dump())
    assert set(whole.owned()) == set(phased.owned())
    assert written > 1000
    # The phased library is finished too: a full run there has nothing to do.
    phased.emulator.reset_stats()
    assert phased.ok_json("run", "--apply")["planned"] == 0
    assert phased.emulator.stats().writes == 0


def command_phase(command: str) -> str:
    return {
        "up-albums": "album-up",
        "up-artists": "artist-up",
        "down-albums": "album-down",
        "down-tracks": "track-down",
        "twins": "twins",
    }[command]


@pytest.mark.parametrize("mode", ["rate", "edit"])
def test_every_rating_write_mode_reaches_the_expected_library(cli_for: Any, mode: str) -> None:
    """One ``/:/rate`` per item, or multi-edits without the read-back check (``auto`` above)."""
    cli = cli_for(tracks=500, seed=8)
    initial = cli.emulator.dump()
    env = {"PLEXRATE_RATING_WRITE_MODE": mode}

    result = cli.invoke("run", "--apply", "--json", env=env)

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["write_mode"] == mode
    rates = cli.emulator.stats().endpoint("PUT /:/rate")
    assert (rates == document["written"]) if mode == "rate" else (rates == 0)
    check_library(cli, initial)
    cli.emulator.reset_stats()
    assert cli.invoke("run", "--apply", env=env).exit_code == 0
    assert cli.emulator.stats().writes == 0
