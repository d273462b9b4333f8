"""The plan/apply boundary: whatever the person does between plexrate's requests, plexrate never
writes over it, and writes everything else exactly as planned (issue 16, DESIGN.md invariants 1
and 9).

A property test drives the real Applier against the emulator over HTTP. Hypothesis chooses a plan
(ratings, clears, tags, small requests so there are many of them) and an interleaving: after
which of plexrate's writes the person rates, clears or re-rates which items (``/:/rate``, through
the emulator's HTTP API, landing before plexrate has its answer).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexrate.emulator import Emulator, EmulatorLibrary, generate_library
from plexrate.model import ItemType, ObservedItem, normalise_rating, same_rating
from plexrate.plex import CHANGED_NOTE, Applier, Baseline, WriteMode
from plexrate.plex.precheck import Expected, drift
from plexrate.state import EntryStatus, RunStatus
from tests.plex.plex_helpers import TAG, change, client_for, open_store

pytestmark = pytest.mark.integration

VALUES = [None, *(v / 2 for v in range(1, 21))]
_counter = itertools.count()


Initial = dict[int, tuple[float | None, tuple[str, ...]]]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Emulator, Initial]]:
    """The emulator, and each track's rating and moods as generated (each example resets)."""
    emulator = Emulator(generate_library(tracks=40, seed=13)).start()
    library = emulator.library
    initial = {k: (library.rating(k), library.item_tags(k, "mood")) for k in tracks(library)}
    yield emulator, initial
    emulator.stop()


def tracks(library: EmulatorLibrary) -> list[int]:
    return sorted(library.ratings("track"))


def reset(emu: Emulator, initial: Initial) -> None:
    library = emu.library
    with library.lock:
        for key, (rating, moods) in initial.items():
            item = library.get(key)
            assert item is not None
            item.user_rating = rating
            item.last_rated_at = None if rating is None else 1_700_000_000
            item.set_tags("mood", moods)
            item.locked = ()
        library.bump()


@st.composite
def scenario(draw: st.DrawFn, keys: list[int]) -> dict[str, Any]:
    planned = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=20, unique=True))
    plan = {
        key: (draw(st.sampled_from(VALUES)), draw(st.booleans()))  # value, add the tag
        for key in planned
    }
    events = draw(
        st.dictionaries(
            st.integers(min_value=1, max_value=12),
            st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(VALUES)), max_size=3),
            max_size=6,
        )
    )
    return {"plan": plan, "events": events, "batch": draw(st.integers(1, 4))}


def test_drift_is_none_exactly_when_plex_holds_what_the_plan_assumed() -> None:
    expected = Expected(6.6, {TAG.casefold(): False}, 100)
    assert drift(expected, ObservedItem(6.6, frozenset(), rated_at=100)) is None
    assert drift(expected, ObservedItem(6.62, frozenset(), rated_at=100)) is None  # 0.1 steps
    assert CHANGED_NOTE in (drift(expected, ObservedItem(8.0, rated_at=200)) or "")
    assert "added" in (drift(expected, ObservedItem(6.6, frozenset({TAG}), rated_at=100)) or "")
    # Rated again to the same value: still the person's.
    assert "rated in Plex again" in (drift(expected, ObservedItem(6.6, rated_at=300)) or "")
    # A server that does not send lastRatedAt in details is not taken for a change.
    assert drift(expected, ObservedItem(6.6, rated_at=None)) is None
    # Nor one whose listings leave it out for a rated item.
    assert drift(Expected(6.6, {}, None), ObservedItem(6.6, rated_at=300)) is None
    # An unrated item rated and cleared again since the snapshot is the person's.
    assert "rated in Plex again" in (
        drift(Expected(None, {}, None), ObservedItem(None, rated_at=300)) or ""
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_person_always_wins_whatever_the_interleaving(
    served: tuple[Emulator, Initial], tmp_path: Path, data: st.DataObject
) -> None:
    emu, initial = served
    keys = sorted(initial)
    reset(emu, initial)
    case = data.draw(scenario(keys))
    snapshot_ratings = {k: normalise_rating(v[0]) for k, v in initial.items()}
    tagged = frozenset(k for k, v in initial.items() if TAG in v[1])
    changes = [
        change(
            key,
            ItemType.TRACK,
            before=snapshot_ratings[key],
            after=value,
            add_tags=(TAG,) if add and key not in tagged else (),
        )
        for key, (value, add) in case["plan"].items()
    ]

    person: dict[int, float | None] = {}
    http = requests.Session()
    http.headers["X-Plex-Token"] = emu.token
    acting = [False]

    def act(writes: int) -> None:
        if acting[0]:
            return
        acting[0] = True
        try:
            for key, value in case["events"].get(writes, ()):
                if value is None and emu.library.rating(key) is None:
                    # Clearing an unrated item changes nothing Plex shows (not even lastRatedAt
                    # on a strict server): no check can see it, and there is no rating of the
                    # person's to protect.
                    continue
                now = emu.library.item(key)
                if (
                    value is None
                    and snapshot_ratings[key] is None
                    and now is not None
                    and now.last_rated_at is None
                    and not applier.knows_form(ItemType.TRACK)
                ):
                    # The ambiguous case of docs/real-servers.md: an unrated item plexrate just
                    # rated through the edit form (which dates nothing), cleared by the person
                    # before the read-back that tells whether the form stores ratings, reads
                    # back exactly as a form the server ignored.
                    continue
                http.put(
                    f"{emu.url}/:/rate",
                    params={
                        "key": key,
                        "identifier": "com.plexapp.plugins.library",
                        "rating": -1 if value is None else value,
                    },
                    timeout=10,
                ).raise_for_status()
                person[key] = value
        finally:
            acting[0] = False

    emu.before_answer(act)
    emu._app.writes_done = 0  # count this example's writes from 1
    store = open_store(tmp_path / f"state{next(_counter)}.sqlite", emu)
    try:
        run = store.begin_run(command="test")
        applier = Applier(
            client_for(emu),
            journal=store,
            run_id=run,
            batch_size=case["batch"],
            cooldown_sleep=0,
            baseline=Baseline(
                snapshot_ratings,
                {TAG: tagged},
                {k: None if v is None else 1_700_000_000 for k, v in snapshot_ratings.items()},
            ),
        )
        report = applier.apply(changes)
        store.finish_run(run, status=RunStatus.COMPLETED)
        journal = {e.key: e for e in store.journal(run_id=run)}
    finally:
        emu.before_answer(None)
        store.close()

    for key, value in person.items():
        assert same_rating(normalise_rating(emu.library.rating(key)), value), key
    skipped = {k for k, e in journal.items() if CHANGED_NOTE in e.note}
    assert report.changed == len(skipped)
    for key, (value, _) in case["plan"].items():
        entry = journal[key]
        if key in skipped:
            assert entry.status is EntryStatus.FAILED
            assert key in person, "only an item the person touched is left alone"
        else:
            assert entry.status is EntryStatus.CONFIRMED, (key, entry.note)
            if key not in person:
                assert same_rating(normalise_rating(emu.library.rating(key)), value)


def test_with_rate_each_check_covers_a_few_rate_requests(
    served: tuple[Emulator, Initial], tmp_path: Path
) -> None:
    emu, initial = served
    reset(emu, initial)
    keys = sorted(initial)[:25]
    ratings = {k: normalise_rating(initial[k][0]) for k in initial}
    changes = [change(k, ItemType.TRACK, before=ratings[k], after=7.0, add_tags=()) for k in keys]
    client = client_for(emu)
    store = open_store(tmp_path / "rate.sqlite", emu)
    try:
        run = store.begin_run(command="test")
        report = Applier(
            client,
            journal=store,
            run_id=run,
            mode=WriteMode.RATE,
            cooldown_sleep=0,
            baseline=Baseline(
                ratings, {}, {k: None if v is None else 1_700_000_000 for k, v in ratings.items()}
            ),
        ).apply(changes)
        store.finish_run(run, status=RunStatus.COMPLETED)
    finally:
        store.close()
    assert report.written == 25
    assert client.counts.by_kind["check"] == 3  # 10 + 10 + 5
    assert client.counts.by_kind["rate"] == 25
