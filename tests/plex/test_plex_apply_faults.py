"""A failing server: retried faults change nothing; a server that stops answering loses nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary, FaultPlan, generate_library
from plexrate.errors import PlexUnreachable
from plexrate.model import Change, ItemType, Phase
from plexrate.plex import Applier, ApplyReport, PlexClient, WriteMode
from plexrate.session import SilentDialog, reconcile
from plexrate.state import EntryStatus, RunStatus, StateStore
from tests.plex.plex_helpers import (
    TAG,
    Sleeps,
    change,
    client_for,
    inference_plan,
    library_state,
    open_store,
)

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]


@pytest.fixture(scope="module")
def base_library() -> dict[str, Any]:
    """A generated library where some rated tracks carry plexrate's tag from an earlier run."""
    data = generate_library(tracks=400, seed=21).to_dict()
    section = data["sections"][1]
    rated = [t for t in section["tracks"] if t.get("userRating")]
    for track in rated[:30]:
        track["moods"] = [*track.get("moods", []), TAG]
    return data


OTHER = "Twin_Inferred"


def undo_changes(emu: Emulator) -> list[Change]:
    """Give back the tagged rated tracks: clear the rating, take the tag off, drop ownership."""
    return [
        change(
            key,
            ItemType.TRACK,
            before=emu.library.rating(key),
            after=None,
            add_tags=(),
            remove_tags=(TAG,),
            own=False,
            phase=Phase.UNDO,
        )
        for key in sorted(emu.library.tagged(TAG, kind="track"))
    ]


def full_plan(emu: Emulator) -> list[Change]:
    return inference_plan(emu, distinct=4) + undo_changes(emu)


@dataclass
class Outcome:
    library: dict[int, Any]
    owned: dict[int, tuple[float, ItemType, str]]
    report: ApplyReport


def owned_summary(store: StateStore) -> dict[int, tuple[float, ItemType, str]]:
    return {k: (o.value, o.item_type, o.phase) for k, o in store.owned().items()}


def apply_all(
    client: PlexClient, store: StateStore, plan: list[Change], **options: Any
) -> tuple[int, ApplyReport]:
    run = store.begin_run(command="test")
    applier = Applier(client, journal=store, run_id=run, cooldown_sleep=0, **options)
    status = RunStatus.FAILED
    try:
        report = applier.apply(plan)
        status = RunStatus.COMPLETED
    except PlexUnreachable:
        status = RunStatus.INTERRUPTED
        raise
    finally:
        store.finish_run(run, status=status)
    return run, report


def clean_run(
    emulator_factory: Factory,
    data: dict[str, Any],
    tmp_path: Path,
    plan: Callable[[Emulator], list[Change]] = full_plan,
    **options: Any,
) -> Outcome:
    """The reference: the same plan on a fresh copy of the library, with no faults."""
    emu = emulator_factory(EmulatorLibrary.from_dict(data))
    with open_store(tmp_path / "clean.sqlite", emu) as store:
        _, report = apply_all(client_for(emu), store, plan(emu), **options)
        owned = owned_summary(store)
    outcome = Outcome(library_state(emu), owned, report)
    emu.stop()
    return outcome


# ------------------------------------------------------------------------------------ faults
@pytest.mark.parametrize(
    "case",
    [
        # (fault seed, share of faulted writes applied before the failure, write mode)
        (1, 0.5, WriteMode.AUTO),
        (2, 1.0, WriteMode.AUTO),
        (3, 0.0, WriteMode.EDIT),
        (4, 1.0, WriteMode.RATE),
    ],
    ids=["auto-half-applied", "auto-all-applied", "edit-none-applied", "rate-all-applied"],
)
def test_retried_faults_end_like_a_clean_run(
    emulator_factory: Factory,
    base_library: dict[str, Any],
    tmp_path: Path,
    case: tuple[int, float, WriteMode],
) -> None:
    seed, applied, mode = case
    options: dict[str, Any] = {"batch_size": 40, "mode": mode}
    clean = clean_run(emulator_factory, base_library, tmp_path, **options)

    emu = emulator_factory(EmulatorLibrary.from_dict(base_library))
    sleeps = Sleeps()
    client = client_for(emu, attempts=10, sleep=sleeps)
    plan = full_plan(emu)
    rate = 0.3 if mode is not WriteMode.RATE else 0.1
    emu.set_faults(
        FaultPlan(rate=rate, kinds=("error", "drop"), seed=seed, applied_fraction=applied)
    )
    with open_store(tmp_path / "faulty.sqlite", emu) as store:
        run, report = apply_all(client, store, plan, **options)
        journal = store.journal(run_id=run)
        assert owned_summary(store) == clean.owned
    assert library_state(emu) == clean.library
    assert (report.written, report.failed, report.pending) == (len(plan), 0, 0)
    # Nothing lost or duplicated: one entry per change, every one confirmed.
    assert sorted(e.key for e in journal) == sorted(c.key for c in plan)
    assert {e.status for e in journal} == {EntryStatus.CONFIRMED}

    stats = emu.stats()
    faults = sum(stats.faults.values())
    assert set(stats.faults) == {"error", "drop"}
    assert client.counts.retries == faults == len(sleeps.calls)  # each fault retried once
    if applied == 1.0:
        # Faulted writes that had landed were sent again: more ratings stored than planned,
        # with the same end result.
        assert stats.ratings_written > sum(1 for c in plan if c.set_rating)


def test_timeouts_after_the_write_landed_are_retried(
    emulator_factory: Factory, base_library: dict[str, Any], tmp_path: Path
) -> None:
    clean = clean_run(emulator_factory, base_library, tmp_path, batch_size=60)
    emu = emulator_factory(EmulatorLibrary.from_dict(base_library))
    client = client_for(emu, timeout=0.3)
    emu.set_faults(
        FaultPlan(
            rate=0.5,
            kinds=("timeout",),
            only="writes",
            seed=5,
            applied_fraction=1.0,
            timeout_seconds=0.6,
            max_faults=2,
        )
    )
    with open_store(tmp_path / "s.sqlite", emu) as store:
        apply_all(client, store, full_plan(emu), batch_size=60)
        assert owned_summary(store) == clean.owned
    assert library_state(emu) == clean.library
    assert emu.stats().faults == {"timeout": 2}
    assert client.counts.retries == 2


# ------------------------------------------------------------------------------------ stops
@dataclass(frozen=True)
class Stop:
    """Where the server stops answering, and what the request in flight has done by then."""

    mode: WriteMode
    after_writes: int
    landed: str  # "none", "all" or "some" of the in-flight chunk's ratings landed


STOPS = {
    # The chunk's PUT never arrives: the fourth write finds the server gone.
    "before-a-put": Stop(WriteMode.EDIT, 3, "none"),
    # The PUT landed, the read-back that would verify it finds the server gone.
    "before-the-verify-read": Stop(WriteMode.AUTO, 1, "all"),
    # Half of a chunk's /:/rate calls landed (its tag PUT went first).
    "within-rate-calls": Stop(WriteMode.RATE, 1 + 7, "some"),
}


@pytest.mark.parametrize("where", list(STOPS))
def test_a_server_that_stops_answering_loses_nothing(
    emulator_factory: Factory, base_library: dict[str, Any], tmp_path: Path, where: str
) -> None:
    stop = STOPS[where]
    options = {"batch_size": 15, "mode": stop.mode}

    def one_value(emu: Emulator) -> list[Change]:
        return inference_plan(emu, distinct=1)  # one value per type: chunks in plan order

    clean = clean_run(emulator_factory, base_library, tmp_path, one_value, **options)
    emu = emulator_factory(EmulatorLibrary.from_dict(base_library))
    client = client_for(emu, attempts=3)
    plan = one_value(emu)
    assert len(plan) > 15 * 4
    by_key = {c.key: c for c in plan}
    emu.set_faults(FaultPlan(stop_after_writes=stop.after_writes))
    with open_store(tmp_path / "s.sqlite", emu) as store:
        with pytest.raises(PlexUnreachable) as caught:
            apply_all(client, store, plan, **options)
        assert caught.value.exit_code == 4
        assert "stopped answering" in caught.value.message
        assert emu.is_down

        journal = store.journal()
        confirmed = {e.key for e in journal if e.status is EntryStatus.CONFIRMED}
        pending = {e.key for e in store.pending()}
        assert len(pending) == 15  # exactly the chunk in flight
        assert confirmed.isdisjoint(pending)
        assert set(store.owned()) == confirmed  # confirmed items owned, nothing else
        assert len(journal) == len(confirmed) + len(pending)  # nothing after it was journaled
        landed = {k for k in pending if emu.library.rating(k) == by_key[k].after}
        expected = {"none": set(), "all": pending}.get(stop.landed)
        if expected is None:
            assert 0 < len(landed) < len(pending)
        else:
            assert landed == expected
        assert store.runs()[-1].status is RunStatus.INTERRUPTED

        # Plex is back: reading the items back settles the chunk as it really ended.
        emu.set_faults(None)
        emu.come_back()
        dialog = SilentDialog()
        report = reconcile(store, client, dialog=dialog)
        assert {e.key for e in report.confirmed} == landed
        assert {e.key for e in report.failed} == pending - landed
        assert store.pending() == []
        assert set(store.owned()) == confirmed | landed
        for key in confirmed | landed:
            assert store.owned()[key].value == by_key[key].after
        assert any("interrupted run" in m for m in dialog.messages)

        # A rerun writes what is still missing and ends where a clean run ends.
        done = {e.key for e in store.journal() if e.status is EntryStatus.CONFIRMED}
        rest = [c for c in plan if c.key not in done]
        assert len(rest) == len(plan) - len(done) > 0
        _, second = apply_all(client, store, rest, **options)
        assert second.written == len(rest)
        assert owned_summary(store) == clean.owned
    assert library_state(emu) == clean.library


def test_a_tag_removal_travels_with_the_rating_in_one_request(
    emulator_factory: Factory, base_library: dict[str, Any], tmp_path: Path
) -> None:
    emu = emulator_factory(EmulatorLibrary.from_dict(base_library))
    client = client_for(emu, attempts=2)
    undo = undo_changes(emu)
    with open_store(tmp_path / "s.sqlite", emu) as store:
        emu.reset_stats()
        _, report = apply_all(client, store, undo, batch_size=100, mode=WriteMode.EDIT)
    assert report.written == len(undo)
    assert emu.stats().writes == 1  # one batch: clear the rating and take the tag off together
    assert all(emu.library.rating(c.key) is None for c in undo)
    assert all(TAG not in emu.library.item_tags(c.key) for c in undo)


def test_a_stop_between_a_chunks_two_requests_is_settled(
    emulator_factory: Factory, base_library: dict[str, Any], tmp_path: Path
) -> None:
    """Removing one tag and adding another take two requests; Plex stops between them."""
    emu = emulator_factory(EmulatorLibrary.from_dict(base_library))
    client = client_for(emu, attempts=2)
    undo = [replace(c, add_tags=(OTHER,)) for c in undo_changes(emu)]
    keys = [c.key for c in undo]
    ratings = {k: emu.library.rating(k) for k in keys}
    with open_store(tmp_path / "s.sqlite", emu) as store:
        # An earlier run owns these ratings (as the legacy import or a reconstruct would say).
        first = store.begin_run(command="earlier")
        owned_before = [
            replace(c, before=None, after=ratings[c.key], remove_tags=(), add_tags=(TAG,), own=True)
            for c in undo
        ]
        store.confirm(store.record_intents(first, owned_before))
        store.finish_run(first, status=RunStatus.COMPLETED)
        assert set(store.owned()) == set(keys)

        emu.set_faults(FaultPlan(stop_after_writes=1))
        with pytest.raises(PlexUnreachable):
            apply_all(client, store, undo, batch_size=100, mode=WriteMode.EDIT)
        # The tag came off; the other tag and the cleared rating did not land.
        assert all(TAG not in emu.library.item_tags(k) for k in keys)
        assert all(OTHER not in emu.library.item_tags(k) for k in keys)
        assert all(emu.library.rating(k) == ratings[k] for k in keys)

        emu.set_faults(None)
        emu.come_back()
        report = reconcile(store, client, dialog=SilentDialog())
        # The rating was not written: the entries failed, and are reported (a tag changed).
        assert {e.key for e in report.tags_only} == set(keys)
        assert report.confirmed == ()
        # The earlier ownership is untouched: Plex still holds the values plexrate wrote.
        assert {k: o.value for k, o in store.owned().items()} == ratings

        _, again = apply_all(client, store, undo, batch_size=100, mode=WriteMode.EDIT)
        assert again.written == len(undo)
        assert store.owned() == {}
    assert all(emu.library.rating(k) is None for k in keys)
    assert all(TAG not in emu.library.item_tags(k) for k in keys)
    assert all(OTHER in emu.library.item_tags(k) for k in keys)
