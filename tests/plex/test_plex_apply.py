"""The Applier: what lands in Plex, how it is grouped and paced, and what the journal records."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary, generate_library
from plexrate.model import Change, ItemType, Phase
from plexrate.plex import (
    Applier,
    ApplyReport,
    PlexClient,
    RatingsNotStored,
    WriteMode,
    read_snapshot,
)
from plexrate.session import SilentDialog, reconcile
from plexrate.state import EntryStatus, RunStatus, StateStore
from tests.plex.plex_helpers import TAG, Sleeps, change, client_for, inference_plan, open_store

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]
EDIT = "PUT /library/sections/{id}/all"
RATE = "PUT /:/rate"
READBACK = "GET /library/metadata/{ids}"
ODD_TAG = "Rating Inferred/2024 & 100%"


@pytest.fixture
def emu(emulator_factory: Factory, small_library_dict: dict[str, Any]) -> Emulator:
    section = small_library_dict["sections"][1]
    tracks = {t["ratingKey"]: t for t in section["tracks"]}
    tracks[304]["moods"] = ["Chill", TAG, ODD_TAG]
    tracks[306]["moods"] = [ODD_TAG.upper()]
    return emulator_factory(EmulatorLibrary.from_dict(small_library_dict))


@pytest.fixture
def store(tmp_path: Path, emu: Emulator) -> Iterator[StateStore]:
    with open_store(tmp_path / "state.sqlite", emu) as opened:
        yield opened


def run_plan(
    client: PlexClient,
    store: StateStore,
    changes: list[Change],
    **options: Any,
) -> tuple[int, ApplyReport]:
    run = store.begin_run(command="test")
    options.setdefault("cooldown_sleep", 0)
    applier = Applier(client, journal=store, run_id=run, **options)
    report = applier.apply(changes)
    store.finish_run(run, status=RunStatus.INTERRUPTED if report.stopped else RunStatus.COMPLETED)
    return run, report


def edits(emu: Emulator) -> list[Any]:
    return [r for r in emu.requests() if r.endpoint == EDIT]


# ------------------------------------------------------------------------------------ landing
def test_every_kind_of_write_lands(emu: Emulator, store: StateStore) -> None:
    client = client_for(emu)
    plan = [
        change(301, ItemType.TRACK, after=7.0),  # rate an unrated track and tag it
        change(305, ItemType.TRACK, after=9.5, add_tags=(TAG, ODD_TAG)),
        # The person's own mood stays when plexrate adds its tag.
        change(302, ItemType.TRACK, before=8.0, after=8.0, set_rating=False, own=None),
        # Clear a rating and take the tags off, keeping the person's mood.
        change(
            304,
            ItemType.TRACK,
            after=None,
            add_tags=(),
            remove_tags=(TAG, ODD_TAG),
            own=False,
            phase=Phase.UNDO,
        ),
        change(306, ItemType.TRACK, after=None, add_tags=(), remove_tags=(ODD_TAG,), own=None),
        change(202, ItemType.ALBUM, after=6.5),
        change(102, ItemType.ARTIST, after=6.0, add_tags=()),
        # Bulk import of an album's release year (and no rating).
        change(203, ItemType.ALBUM, before=6.0, after=6.0, set_rating=False, add_tags=(),
               own=None, year=1987),
    ]  # fmt: skip
    emu.reset_stats()
    run, report = run_plan(client, store, plan, mode=WriteMode.EDIT)

    lib = emu.library
    assert lib.rating(301) == 7.0 and lib.item_tags(301) == (TAG,)
    assert lib.rating(305) == 9.5 and set(lib.item_tags(305)) == {TAG, ODD_TAG}
    assert lib.rating(302) == 8.0 and lib.item_tags(302) == ("Chill", TAG)
    assert lib.rating(304) is None and lib.item_tags(304) == ("Chill",)
    assert lib.item_tags(306) == ()  # removal matches tag names case-insensitively
    assert lib.rating(202) == 6.5 and lib.item_tags(202) == (TAG,)
    assert lib.rating(102) == 6.0 and lib.item_tags(102) == ()
    album = lib.item(203)
    assert album is not None
    assert album.originally_available_at == "1987-01-01"  # type: ignore[union-attr]
    # The strict emulator leaves ``year`` alone (unknown of real servers); plexrate reads the
    # release year from the date, so the edit shows and a re-import is a no-op.
    assert album.year == 2010  # type: ignore[union-attr]
    assert read_snapshot(client).albums[203].year == 1987
    assert lib.rating(203) == 6.0
    assert "originallyAvailableAt" in lib.locked_fields(203)
    # Through the documented edit form, not the bare key Plex ignores (defect 12).
    stats = emu.stats()
    assert stats.ignored_edits == 0
    year_edit = [r for r in edits(emu) if r.param("originallyAvailableAt.value")]
    assert [r.param("id") for r in year_edit] == ["203"]
    assert all(r.param("originallyAvailableAt") is None for r in edits(emu))

    assert (report.written, report.failed, report.pending, report.stopped) == (8, 0, 0, False)
    assert report.requests == stats.writes
    # Every change journaled once and confirmed.
    journal = store.journal(run_id=run)
    assert sorted(e.key for e in journal) == sorted(c.key for c in plan)
    assert {e.status for e in journal} == {EntryStatus.CONFIRMED}
    assert store.pending() == []
    # Ownership as the StateStore documents it: own True claims the value written, own False
    # and own None on an unowned item claim nothing.
    owned = store.owned()
    assert {k: (o.value, o.item_type, o.phase, o.run_id) for k, o in owned.items()} == {
        301: (7.0, ItemType.TRACK, "track-down", run),
        305: (9.5, ItemType.TRACK, "track-down", run),
        202: (6.5, ItemType.ALBUM, "track-down", run),
        102: (6.0, ItemType.ARTIST, "track-down", run),
    }


def test_ownership_follows_later_writes(emu: Emulator, store: StateStore) -> None:
    client = client_for(emu)
    run_plan(client, store, [change(301, ItemType.TRACK, after=7.0)])
    # own None on an owned item: the owned value follows the new rating.
    second, _ = run_plan(
        client, store, [change(301, ItemType.TRACK, before=7.0, after=7.5, add_tags=(), own=None)]
    )
    assert store.owned()[301].value == 7.5
    assert store.owned()[301].run_id == second
    # A hijack: the person's value stays, plexrate drops its tag and its claim.
    run_plan(
        client,
        store,
        [
            change(
                301,
                ItemType.TRACK,
                before=7.5,
                after=7.5,
                set_rating=False,
                add_tags=(),
                remove_tags=(TAG,),
                own=False,
                phase=Phase.HIJACK,
            )
        ],
    )
    assert 301 not in store.owned()
    assert emu.library.rating(301) == 7.5 and emu.library.item_tags(301) == ()


def test_ownership_only_changes_send_nothing(emu: Emulator, store: StateStore) -> None:
    client = client_for(emu)
    emu.reset_stats()
    plan = [
        change(303, ItemType.TRACK, before=6.0, after=6.0, set_rating=False, add_tags=(),
               own=True, phase=Phase.IMPORT),
    ]  # fmt: skip
    run, report = run_plan(client, store, plan)
    assert emu.stats().requests == 0
    assert report.written == 1 and report.requests == 0
    assert store.owned()[303].value == 6.0
    # Changes that neither write nor touch ownership are not even journaled.
    idle = change(307, ItemType.TRACK, before=10.0, after=10.0, set_rating=False, add_tags=(),
                  own=None)  # fmt: skip
    run, report = run_plan(client, store, [idle])
    assert store.journal(run_id=run) == [] and report.written == 0


# ------------------------------------------------------------------------------------ grouping
@pytest.fixture(scope="module")
def big_library() -> EmulatorLibrary:
    return generate_library(tracks=600, seed=11)


@pytest.fixture
def big(emulator_factory: Factory, big_library: EmulatorLibrary) -> Emulator:
    """An emulator over a fresh copy of a generated 600-track library."""
    return emulator_factory(EmulatorLibrary.from_dict(big_library.to_dict()))


@pytest.mark.parametrize(("n", "distinct", "batch"), [(150, 3, 25), (150, 7, 40), (60, 1, 1000)])
def test_changes_are_grouped_by_value_and_chunked(
    big: Emulator, tmp_path: Path, n: int, distinct: int, batch: int
) -> None:
    emu = big
    client = client_for(emu)
    plan = [c for c in inference_plan(emu, distinct=distinct) if c.item_type is ItemType.TRACK][:n]
    assert len(plan) == n
    per_value = Counter(c.after for c in plan)
    assert len(per_value) == distinct
    emu.reset_stats()
    with open_store(tmp_path / "s.sqlite", emu) as store:
        _, report = run_plan(client, store, plan, batch_size=batch, mode=WriteMode.EDIT)
    expected = sum(math.ceil(count / batch) for count in per_value.values())
    stats = emu.stats()
    assert stats.writes == stats.endpoint(EDIT) == report.requests == expected
    assert stats.reads == 0  # EDIT mode trusts the server: no read-back
    sent: list[int] = []
    for request in edits(emu):
        ids = [int(i) for i in (request.param("id") or "").split(",")]
        assert len(ids) <= batch
        value = float(request.param("userRating.value") or "nan")
        assert {per_key for per_key in ids if 4.0 + per_key % distinct != value} == set()
        assert request.param("mood[0].tag.tag") == TAG
        sent += ids
    assert sorted(sent) == sorted(c.key for c in plan)  # each item written exactly once
    for c in plan:
        assert emu.library.rating(c.key) == c.after


def test_tag_only_and_rating_changes_of_one_value_are_separate_requests(
    emu: Emulator, store: StateStore
) -> None:
    client = client_for(emu)
    plan = [
        change(301, ItemType.TRACK, after=7.0),
        change(303, ItemType.TRACK, before=6.0, after=6.0, set_rating=False, own=None),
        change(304, ItemType.TRACK, after=7.0),
        change(201, ItemType.ALBUM, after=7.0),  # another type: Plex edits one type per request
    ]
    emu.reset_stats()
    run_plan(client, store, plan, mode=WriteMode.EDIT)
    groups = sorted(
        (r.param("type"), r.param("id"), r.param("userRating.value")) for r in edits(emu)
    )
    assert groups == [("10", "301,304", "7.0"), ("10", "303", None), ("9", "201", "7.0")]


def test_auto_mode_verifies_each_type_once(big: Emulator, tmp_path: Path) -> None:
    emu = big
    client = client_for(emu)
    plan = inference_plan(emu)
    emu.reset_stats()
    with open_store(tmp_path / "s.sqlite", emu) as store:
        run, report = run_plan(client, store, plan, batch_size=100, mode=WriteMode.AUTO)
        journal = store.journal(run_id=run)
        owned = store.owned()
    stats = emu.stats()
    assert report.mode is WriteMode.AUTO
    assert stats.endpoint(RATE) == 0
    assert stats.endpoint(READBACK) == len({c.item_type for c in plan}) == 3
    # The sample read back is recorded with the entries; the rest own the value sent.
    read_back = [e for e in journal if e.readback is not None]
    assert 0 < len(read_back) <= 3 * 20
    assert all(e.readback == e.after for e in read_back)
    assert {k: o.value for k, o in owned.items()} == {c.key: c.after for c in plan}


# ------------------------------------------------------------------------------------ modes
def test_rate_mode_sends_one_rate_call_per_item(emu: Emulator, store: StateStore) -> None:
    client = client_for(emu)
    plan = [
        change(301, ItemType.TRACK, after=7.0),
        change(304, ItemType.TRACK, after=7.0),
        change(303, ItemType.TRACK, before=6.0, after=None, add_tags=(), own=None),
        change(203, ItemType.ALBUM, before=6.0, after=8.5, add_tags=()),
    ]
    emu.reset_stats()
    _, report = run_plan(client, store, plan, mode=WriteMode.RATE)
    rates = [r for r in emu.requests() if r.endpoint == RATE]
    assert sorted((r.param("key"), r.param("rating")) for r in rates) == [
        ("203", "8.5"),
        ("301", "7.0"),
        ("303", "-1"),  # /:/rate clears with -1
        ("304", "7.0"),
    ]
    assert all(r.param("identifier") == "com.plexapp.plugins.library" for r in rates)
    # The tag still goes in one multi-edit; no edit carries a rating.
    assert [(r.param("id"), r.param("mood[0].tag.tag")) for r in edits(emu)] == [("301,304", TAG)]
    assert all(r.param("userRating.value") is None for r in edits(emu))
    assert emu.library.rating(303) is None
    assert emu.library.rating(203) == 8.5
    assert report.mode is WriteMode.RATE and report.requests == 5
    assert set(store.owned()) == {301, 304, 203}


def test_emulator_can_ignore_rating_edits(emulator_factory: Factory) -> None:
    # The switch the fallback tests rely on, checked on its own.
    lib = generate_library(tracks=50, seed=1)
    emu = emulator_factory(lib, ignore_edit_fields=("userRating",))
    client = client_for(emu)
    key = emu.library.keys("track")[0]
    client.write(
        f"/library/sections/{emu.section_key}/all",
        {"id": key, "type": 10, "userRating.value": "3.0", "mood[0].tag.tag": TAG},
        kind="test",
    )
    assert emu.library.rating(key) != 3.0
    assert emu.library.item_tags(key) == (TAG,)  # the rest of the edit still applies
    assert emu.stats().ignored_edits == 1
    emu.ignore_edits((), rate=True)
    client.write("/:/rate", {"key": key, "identifier": "com.plexapp.plugins.library",
                             "rating": "3.0"}, kind="test")  # fmt: skip
    assert emu.library.rating(key) != 3.0
    assert emu.stats().ignored_edits == 2
    emu.ignore_edits(())
    client.write("/:/rate", {"key": key, "identifier": "com.plexapp.plugins.library",
                             "rating": "3.0"}, kind="test")  # fmt: skip
    assert emu.library.rating(key) == 3.0


def test_auto_falls_back_to_rate_when_edits_do_not_store_ratings(
    emulator_factory: Factory, big_library: EmulatorLibrary, tmp_path: Path
) -> None:
    emu = emulator_factory(
        EmulatorLibrary.from_dict(big_library.to_dict()), ignore_edit_fields=("userRating",)
    )
    client = client_for(emu)
    plan = inference_plan(emu, limit=120)
    ratings = sum(1 for c in plan if c.set_rating)
    emu.reset_stats()
    with open_store(tmp_path / "s.sqlite", emu) as store:
        run, report = run_plan(client, store, plan, batch_size=50, mode=WriteMode.AUTO)
        journal = store.journal(run_id=run)
        owned = store.owned()
    assert report.mode is WriteMode.RATE
    assert (report.written, report.failed) == (len(plan), 0)
    for c in plan:
        assert emu.library.rating(c.key) == c.after
        assert TAG in emu.library.item_tags(c.key)
    stats = emu.stats()
    assert stats.endpoint(RATE) == ratings  # every rating once through /:/rate
    # Only the first request tried the edit form; after the switch edits carry tags only.
    with_rating = [r for r in edits(emu) if r.param("userRating.value") is not None]
    assert len(with_rating) == 1
    assert stats.ignored_edits == 1
    assert {e.status for e in journal} == {EntryStatus.CONFIRMED}
    assert {k: o.value for k, o in owned.items()} == {c.key: c.after for c in plan}


def test_auto_raises_when_neither_form_stores_ratings(
    emulator_factory: Factory, big_library: EmulatorLibrary, tmp_path: Path
) -> None:
    emu = emulator_factory(
        EmulatorLibrary.from_dict(big_library.to_dict()),
        ignore_edit_fields=("userRating",),
        ignore_rate=True,
    )
    client = client_for(emu)
    plan = inference_plan(emu, limit=120, distinct=1)  # one value: chunks of 50 in plan order
    before = {c.key: emu.library.rating(c.key) for c in plan}
    with open_store(tmp_path / "s.sqlite", emu) as store:
        run = store.begin_run(command="test")
        applier = Applier(client, journal=store, run_id=run, batch_size=50, cooldown_sleep=0)
        with pytest.raises(RatingsNotStored, match="did not store them") as caught:
            applier.apply(plan)
        assert caught.value.exit_code == 4
        assert caught.value.hint is not None and "edit this library" in caught.value.hint
        # The run stops at the first chunk: nothing after it is sent, nothing is owned, and the
        # chunk waits for reconciliation, which finds the ratings unchanged.
        assert applier.report.pending == 50 and applier.report.written == 0
        assert len(store.journal(run_id=run)) == 50
        assert len(store.pending()) == 50
        assert store.owned() == {}
        store.finish_run(run, status=RunStatus.FAILED)
        report = reconcile(store, client, dialog=SilentDialog())
        assert len(report.failed) == 50 and report.confirmed == ()
        assert store.owned() == {} and store.pending() == []
    assert emu.stats().endpoint(RATE) == 50
    assert {c.key: emu.library.rating(c.key) for c in plan} == before


def test_auto_accepts_a_zero_rating_read_back_as_unrated(emu: Emulator, store: StateStore) -> None:
    # Plex's 0 is unrated, and the read-back says so; that is the value sent, not an ignored edit.
    client = client_for(emu)
    emu.reset_stats()
    _, report = run_plan(
        client, store, [change(303, ItemType.TRACK, before=6.0, after=0.0)], mode=WriteMode.AUTO
    )
    assert report.mode is WriteMode.AUTO and report.written == 1
    assert emu.stats().endpoint(RATE) == 0
    assert not emu.library.rating(303)
    assert 303 not in store.owned()  # an unrated item owns nothing


# ------------------------------------------------------------------------------------ pacing
class RecordingProgress:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def task(self, description: str, total: int | None = None) -> RecordingProgress:
        self.events.append(("task", (description, total)))
        return self

    def advance(self, n: int = 1, *, label: str | None = None) -> None:
        self.events.append(("advance", n))

    def status(self, text: str | None) -> None:
        self.events.append(("status", text))

    def close(self) -> None:
        self.events.append(("close", None))

    def __enter__(self) -> RecordingProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def test_cooldown_pauses_after_every_batch_of_requests(big: Emulator, tmp_path: Path) -> None:
    emu = big
    client = client_for(emu)
    plan = [c for c in inference_plan(emu, distinct=5) if c.item_type is ItemType.TRACK][:100]
    sleeps = Sleeps()
    progress = RecordingProgress()
    emu.reset_stats()
    with open_store(tmp_path / "s.sqlite", emu) as store:
        _, report = run_plan(
            client,
            store,
            plan,
            batch_size=10,
            mode=WriteMode.EDIT,
            cooldown_batch=3,
            cooldown_sleep=2.5,
            sleep=sleeps,
            progress=progress,
        )
    requests = sum(math.ceil(n / 10) for n in Counter(c.after for c in plan).values())
    assert report.requests == emu.stats().writes == requests >= 10
    # A pause before every fourth request: after each three, none after the last.
    pauses = (requests - 1) // 3
    assert sleeps.calls == [2.5] * pauses
    statuses = [v for kind, v in progress.events if kind == "status"]
    assert statuses == ["cooling down 2.5s (COOLDOWN_SLEEP)", None] * pauses
    assert ("task", ("Track down: writing", 100)) in progress.events
    assert sum(v for kind, v in progress.events if kind == "advance") == 100


def test_cooldown_counts_rate_calls_one_by_one(emu: Emulator, store: StateStore) -> None:
    client = client_for(emu)
    plan = [change(k, ItemType.TRACK, after=7.0, add_tags=()) for k in (301, 304, 305, 306, 308)]
    plan += [change(k, ItemType.TRACK, after=5.0, add_tags=()) for k in (309, 310)]
    sleeps = Sleeps()
    emu.reset_stats()
    run_plan(
        client,
        store,
        plan,
        mode=WriteMode.RATE,
        cooldown_batch=2,
        cooldown_sleep=1.0,
        sleep=sleeps,
    )
    # Seven /:/rate requests in two chunks (five, then two): a pause after every second
    # request, however they are chunked, and none after the last.
    assert emu.stats().endpoint(RATE) == 7
    assert sleeps.calls == [1.0, 1.0, 1.0]
    order = [r.endpoint for r in emu.requests()]
    assert order == [RATE] * 7


@pytest.mark.parametrize(("batch", "pause"), [(0, 5.0), (3, 0.0)])
def test_no_cooldown_when_switched_off(
    emu: Emulator, store: StateStore, batch: int, pause: float
) -> None:
    sleeps = Sleeps()
    plan = [change(k, ItemType.TRACK, after=float(k % 5), add_tags=()) for k in range(301, 311)]
    run_plan(client_for(emu), store, plan, cooldown_batch=batch, cooldown_sleep=pause, sleep=sleeps)
    assert sleeps.calls == []


# ------------------------------------------------------------------------------------ checkpoint
def test_checkpoint_stop_leaves_the_rest_untouched(big: Emulator, tmp_path: Path) -> None:
    emu = big
    client = client_for(emu)
    plan = inference_plan(emu, distinct=1)  # one value per type: chunks in plan order
    tracks = [c for c in plan if c.item_type is ItemType.TRACK]
    asked = 0

    def checkpoint() -> bool:
        nonlocal asked
        asked += 1
        return asked > 3  # three chunks, then the person asks to stop

    with open_store(tmp_path / "s.sqlite", emu) as store:
        run, report = run_plan(
            client, store, plan, batch_size=25, mode=WriteMode.EDIT, checkpoint=checkpoint
        )
        journal = store.journal(run_id=run)
        owned = store.owned()
        assert store.runs()[-1].status is RunStatus.INTERRUPTED
    assert report.stopped and report.written == 75 and report.pending == 0
    written = {int(i) for r in edits(emu) for i in (r.param("id") or "").split(",")}
    assert written == {c.key for c in tracks[:75]}
    for c in plan:
        if c.key in written:
            assert emu.library.rating(c.key) == c.after
        else:
            assert emu.library.rating(c.key) is None
            assert TAG not in emu.library.item_tags(c.key)
    assert {e.key for e in journal} == written
    assert set(owned) == written


def test_batch_size_must_be_positive(emu: Emulator, store: StateStore) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        Applier(client_for(emu), journal=store, run_id=1, batch_size=0)


def test_cooldown_sleep_single_paces_one_item_writes(emu: Emulator, store: StateStore) -> None:
    plan = [change(k, ItemType.TRACK, after=7.0, add_tags=()) for k in (301, 304, 305, 306)]
    sleeps = Sleeps()
    emu.reset_stats()
    run_plan(
        client_for(emu),
        store,
        plan,
        mode=WriteMode.RATE,
        cooldown_batch=0,
        cooldown_sleep_single=0.2,
        sleep=sleeps,
    )
    # COOLDOWN_SLEEP_SINGLE (old tool v1.5): a pause between consecutive /:/rate requests.
    assert emu.stats().endpoint(RATE) == 4
    assert sleeps.calls == [0.2, 0.2, 0.2]


def test_cooldown_sleep_single_leaves_multi_edits_alone(emu: Emulator, store: StateStore) -> None:
    plan = [change(k, ItemType.TRACK, after=7.0, add_tags=()) for k in (301, 304, 305, 306)]
    sleeps = Sleeps()
    run_plan(
        client_for(emu),
        store,
        plan,
        mode=WriteMode.EDIT,
        cooldown_batch=0,
        cooldown_sleep_single=0.2,
        sleep=sleeps,
    )
    assert sleeps.calls == []
