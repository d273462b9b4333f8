"""The four reports computed from hand-made snapshots, with every figure worked out by hand."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexrate.engine import EngineConfig, InferenceModel, TwinAnchor, TwinRules, build_plan, infer
from plexrate.model import Album, Artist, ItemType, LibrarySnapshot, OwnedItem, Track
from plexrate.reports import (
    BUCKETS,
    Status,
    analyse,
    coverage,
    dissenters,
    document,
    duration_text,
    half_star_bucket,
    histogram,
    twins_inventory,
)
from tests.reports.report_lib import claims
from tests.reports.report_schemas import check_document
from tests.support.library import Lib

CFG = EngineConfig(inference_model=InferenceModel.CLASSIC)
Rated = TypeVar("Rated", Artist, Album, Track)


# -- coverage ----------------------------------------------------------------------------------


def coverage_library() -> tuple[LibrarySnapshot, dict[int, OwnedItem]]:
    """Every classification on every level, one twin group, and a stale ownership record.

    Artists: Alpha manual, Beta inferred, Gamma unrated, Delta hijacked (owned 5, now 7).
    Albums: 10 manual, 11 inferred (7.005 read back as 7.0: within the hijack tolerance),
    12 cleared (owned, now unrated), 13 unrated.
    Tracks: 100 manual, 101 and 103 inferred, 102/104/105/106 unrated; "Song" 100 + 102 are
    twins, 104 (no duration) and 105 (far from the median) are dropped from that group.
    """
    lib = Lib()
    lib.artist(1, "Alpha", rating=8.0)
    lib.artist(2, "Beta", rating=6.0)
    lib.artist(3, "Gamma")
    lib.artist(4, "Delta", rating=7.0)
    lib.album(10, 1, "Ten", rating=9.0)
    lib.album(11, 1, "Eleven", rating=7.0)
    lib.album(12, 2, "Twelve")
    lib.album(13, 3, "Thirteen")
    lib.track(100, 10, "Song", rating=8.0, seconds=200)
    lib.track(101, 10, "Other", rating=6.0)
    lib.track(102, 11, "Song", seconds=201)
    lib.track(103, 11, "Third", rating=4.0)
    lib.track(104, 12, "Song", seconds=None)
    lib.track(105, 13, "Song", seconds=400)
    lib.track(106, 13, "Fourth")
    snapshot = lib.snapshot()
    owned = claims(
        snapshot,
        {2: 6.0, 4: 5.0, 11: 7.005, 12: 6.0, 101: 6.0, 103: 4.0, 999: 3.0},
    )
    return snapshot, owned


def test_coverage_counts_every_status_exactly_per_type_and_in_total() -> None:
    snapshot, owned = coverage_library()
    report = coverage(analyse(snapshot, owned=owned, config=CFG))

    figures = {
        row.label: (row.items, row.manual, row.inferred, row.unrated, row.twin_linked)
        for row in (*report.types, report.total)
    }
    assert figures == {
        "artist": (4, 2, 1, 1, None),
        "album": (4, 1, 1, 2, None),
        "track": (7, 1, 2, 4, 2),
        "total": (15, 4, 4, 7, 2),
    }
    assert (report.total.hijacked, report.total.cleared) == (1, 1)
    assert report.row(ItemType.ARTIST).hijacked == 1
    assert report.row(ItemType.ALBUM).cleared == 1
    assert report.twin_groups == 1
    # The old tool's "total minus state size" would say 15 - 7 = 8 manual.
    assert report.total.manual != report.total.items - len(owned)


def test_coverage_percentages_are_shares_of_the_items_of_each_row() -> None:
    snapshot, owned = coverage_library()
    body = coverage(analyse(snapshot, owned=owned, config=CFG)).json_body()

    assert body["types"]["artist"]["percent"] == {
        "manual": 50.0,
        "inferred": 25.0,
        "unrated": 25.0,
        "twin_linked": None,
    }
    assert body["types"]["track"]["percent"] == {
        "manual": 14.29,
        "inferred": 28.57,
        "unrated": 57.14,
        "twin_linked": 28.57,
    }
    assert body["total"]["percent"] == {
        "manual": 26.67,
        "inferred": 26.67,
        "unrated": 46.67,
        "twin_linked": 13.33,
    }


def test_coverage_without_twins_links_nothing_and_an_empty_library_has_no_percentages() -> None:
    snapshot, owned = coverage_library()
    off = dataclasses.replace(CFG, twins=TwinRules(enabled=False))
    report = coverage(analyse(snapshot, owned=owned, config=off))
    assert (report.total.twin_linked, report.twin_groups) == (0, 0)

    empty = coverage(analyse(Lib().snapshot(), owned={}, config=CFG))
    assert empty.total.items == 0
    assert empty.json_body()["total"]["percent"]["manual"] == 0.0


def test_coverage_after_applying_a_plan_counts_its_rating_writes_as_inferred() -> None:
    snapshot, _ = coverage_library()
    plan = build_plan(snapshot, owned={}, config=CFG)
    written = {c.key: c.after for c in plan.changes if c.set_rating and c.after is not None}
    after = Lib()

    def rerated(items: Mapping[int, Rated]) -> dict[int, Rated]:
        return {
            k: dataclasses.replace(v, rating=written.get(k, v.rating)) for k, v in items.items()
        }

    after.artists = rerated(snapshot.artists)
    after.albums = rerated(snapshot.albums)
    after.tracks = rerated(snapshot.tracks)
    applied = after.snapshot()
    report = coverage(analyse(applied, owned=claims(applied, written), config=CFG))
    assert report.total.inferred == len(written)
    assert report.total.unrated == 0


# -- histogram ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "bucket"),
    [
        (0.2, 0.5),  # 0.1★: anything above 0 is at least half a star
        (1.0, 0.5),  # 0.5★ exactly
        (1.01, 1.0),
        (2.0, 1.0),  # 1★ exactly
        (7.0, 3.5),
        (7.000000001, 3.5),  # float noise stays in its bucket
        (7.01, 4.0),
        (9.5, 5.0),  # 4.75★ rounds up to the 5★ bucket
        (10.0, 5.0),
    ],
)
def test_a_rating_goes_to_the_half_star_bucket_at_or_above_it(rating: float, bucket: float) -> None:
    assert half_star_bucket(rating) == bucket
    assert bucket in BUCKETS


def histogram_library() -> tuple[LibrarySnapshot, dict[int, OwnedItem]]:
    lib = Lib()
    lib.artist(1, "Alpha", rating=9.0)
    lib.artist(2, "Beta", rating=3.0)
    lib.album(10, 1, "Ten", rating=4.0)
    lib.album(11, 2, "Eleven", rating=4.0)
    manual = {100: 0.2, 101: 1.0, 102: 2.0, 103: 9.5, 104: 10.0, 105: 7.0, 106: 7.01}
    inferred = {110: 7.0, 111: 9.5, 112: 6.99}
    for key, rating in (manual | inferred).items():
        lib.track(key, 10, f"Track {key}", rating=rating)
    lib.track(120, 11, "Unrated one")
    lib.track(121, 11, "Unrated two")
    snapshot = lib.snapshot()
    return snapshot, claims(snapshot, {**inferred, 11: 4.0})


def test_histogram_stacks_manual_and_inferred_in_half_star_buckets() -> None:
    snapshot, owned = histogram_library()
    report = histogram(analyse(snapshot, owned=owned, config=CFG))

    counts = {b.stars: (b.manual, b.inferred) for b in report.buckets if b.total}
    assert counts == {0.5: (2, 0), 1.0: (1, 0), 3.5: (1, 2), 4.0: (1, 0), 5.0: (2, 1)}
    assert [b.stars for b in report.buckets] == list(BUCKETS)
    assert (report.items, report.rated, report.manual, report.inferred, report.unrated) == (
        12,
        10,
        7,
        3,
        2,
    )
    five = next(b for b in report.json_body()["buckets"] if b["stars"] == 5.0)
    assert five == {
        "stars": 5.0,
        "above_stars": 4.5,
        "manual": 2,
        "inferred": 1,
        "total": 3,
        "percent": 30.0,
        "manual_percent": 20.0,
        "inferred_percent": 10.0,
    }
    assert math.isclose(sum(b["percent"] for b in report.json_body()["buckets"]), 100.0)


def test_histogram_of_albums_and_artists() -> None:
    snapshot, owned = histogram_library()
    inference = analyse(snapshot, owned=owned, config=CFG)

    albums = histogram(inference, item_type=ItemType.ALBUM)
    two = albums.bucket(2.0)
    assert (two.manual, two.inferred) == (1, 1)
    assert (albums.items, albums.rated, albums.unrated) == (2, 2, 0)
    artists = histogram(inference, item_type=ItemType.ARTIST)
    assert {b.stars: b.manual for b in artists.buckets if b.total} == {4.5: 1, 1.5: 1}
    assert artists.inferred == 0


def test_histogram_of_an_unrated_library_has_empty_buckets_and_no_division_by_zero() -> None:
    lib = Lib()
    lib.artist(1)
    lib.album(10, 1)
    lib.track(100, 10)
    report = histogram(analyse(lib.snapshot(), owned={}, config=CFG))
    assert report.rated == 0
    assert all(b["percent"] == 0.0 for b in report.json_body()["buckets"])


# -- twins -------------------------------------------------------------------------------------


def twins_library() -> tuple[LibrarySnapshot, dict[int, OwnedItem]]:
    """Four songs by one band on three albums, and a live album whose copies never count.

    One: two manual copies (8 and 6) anchor an unrated third. Two: two inferred copies (7, 6)
    agree on their mean. Three: nothing rated; its copy without a duration is dropped. Four: one
    manual copy (9); a copy 29 s longer than the median is dropped.
    """
    lib = Lib()
    lib.artist(1, "The Band", sort_title="Band")
    lib.album(10, 1, "Studio")
    lib.album(11, 1, "Hits")
    lib.album(12, 1, "Live Tonight", live=True)
    lib.album(13, 1, "More")
    lib.track(100, 10, "One", rating=8.0, seconds=200)
    lib.track(110, 11, "One", rating=6.0, seconds=202)
    lib.track(130, 13, "one", seconds=199)
    lib.track(120, 12, "One", seconds=200)
    lib.track(101, 10, "Two", rating=7.0, seconds=180)
    lib.track(111, 11, "Two", rating=6.0, seconds=181)
    lib.track(102, 10, "Three", seconds=240)
    lib.track(112, 11, "Three", seconds=241)
    lib.track(132, 13, "Three", seconds=None)
    lib.track(103, 10, "Four", rating=9.0, seconds=300)
    lib.track(113, 11, "Four", seconds=301)
    lib.track(133, 13, "Four", seconds=330)
    snapshot = lib.snapshot()
    return snapshot, claims(snapshot, {101: 7.0, 111: 6.0})


def test_twins_inventory_lists_groups_with_their_rating_basis_and_members() -> None:
    snapshot, owned = twins_library()
    report = twins_inventory(analyse(snapshot, owned=owned, config=CFG))

    summary = [
        (g.artist, g.title, g.basis, g.anchors, g.rating, [m.key for m in g.members])
        for g in report.groups
    ]
    assert summary == [
        ("The Band", "four", TwinAnchor.MANUAL, (103,), 9.0, [103, 113]),
        ("The Band", "one", TwinAnchor.MANUAL, (100, 110), 7.0, [100, 110, 130]),
        ("The Band", "three", TwinAnchor.NONE, (), None, [102, 112]),
        ("The Band", "two", TwinAnchor.INFERRED, (), 6.5, [101, 111]),
    ]
    one = report.groups[1]
    assert [(m.album, m.duration_ms, m.rating, m.status) for m in one.members] == [
        ("Studio", 200_000, 8.0, Status.MANUAL),
        ("Hits", 202_000, 6.0, Status.MANUAL),
        ("More", 199_000, None, Status.UNRATED),
    ]
    assert one.reason == "manual anchors: the mean of the 2 copies you rated"
    assert report.groups[0].reason == "manual anchor: the copy you rated"
    assert report.groups[3].reason.startswith("inferred consensus")
    assert [m.status for m in report.groups[3].members] == [Status.INFERRED, Status.INFERRED]
    assert (report.members, report.dropped) == (9, 2)
    assert report.by_basis() == {"manual": 2, "inferred": 1, "none": 1}
    live_copy = 120
    assert all(live_copy not in (m.key for m in (*g.members, *g.dropped)) for g in report.groups)


def test_twins_inventory_shows_dropped_members_and_why() -> None:
    snapshot, owned = twins_library()
    report = twins_inventory(analyse(snapshot, owned=owned, config=CFG))
    four, _, three, _ = report.groups

    (far,) = four.dropped
    assert (far.key, far.dropped, far.offset_ms, far.album) == (
        133,
        "outside tolerance",
        29_000,
        "More",
    )
    assert four.median_ms == 301_000
    (silent,) = three.dropped
    assert (silent.key, silent.dropped, silent.offset_ms) == (132, "no duration", None)
    assert silent.as_dict()["duration"] == "—"


def test_twins_inventory_follows_the_twin_settings() -> None:
    snapshot, owned = twins_library()
    wide = dataclasses.replace(CFG, twins=TwinRules(duration_tolerance_sec=30))
    four = twins_inventory(analyse(snapshot, owned=owned, config=wide)).groups[0]
    assert [m.key for m in four.members] == [103, 113, 133]
    assert four.dropped == ()

    off = dataclasses.replace(CFG, twins=TwinRules(enabled=False))
    report = twins_inventory(analyse(snapshot, owned=owned, config=off))
    assert (report.groups, report.enabled) == ((), False)


def test_twins_inventory_needs_the_twins_phase() -> None:
    snapshot, owned = twins_library()
    without = infer(snapshot, owned=owned, config=CFG, phases=())
    with pytest.raises(ValueError, match="twins phase"):
        twins_inventory(without)


@pytest.mark.parametrize(
    ("ms", "text"),
    [(None, "—"), (0, "0:00"), (59_499, "0:59"), (61_000, "1:01"), (3_723_000, "62:03")],
)
def test_durations_read_as_minutes_and_seconds(ms: int | None, text: str) -> None:
    assert duration_text(ms) == text


# -- dissenters --------------------------------------------------------------------------------


def dissenters_library() -> tuple[LibrarySnapshot, dict[int, OwnedItem]]:
    """Deviations of ±2 stars on three artists' albums, two of ½ star, a 0 and unrated parents.

    "The Zed" has the smallest keys but files under Z, so ties put it last.
    """
    lib = Lib()
    lib.artist(3, "The Zed", sort_title="Zed")
    lib.artist(1, "Alpha")
    lib.artist(2, "Beta")
    lib.album(9, 3, "Last", rating=2.0)
    lib.track(90, 9, "Z1", rating=6.0, index=1)
    lib.album(10, 1, "First", rating=6.0)
    lib.track(100, 10, "A2", rating=10.0, index=2)
    lib.track(101, 10, "A1", rating=2.0, index=1)
    lib.track(102, 10, "A3", rating=6.0, index=3)
    lib.track(103, 10, "A4", rating=7.0, index=4)
    lib.track(104, 10, "A5", index=5)
    lib.album(11, 2, "Second", rating=8.0)
    lib.track(110, 11, "B1", rating=4.0, index=1)
    lib.track(111, 11, "B2", rating=9.0, index=2)
    lib.album(12, 2, "Unrated")
    lib.track(120, 12, "B3", rating=10.0, index=1)
    snapshot = lib.snapshot()
    return snapshot, claims(snapshot, {103: 7.0, 11: 8.0})


def test_dissenters_sorted_by_size_of_deviation_then_library_order() -> None:
    snapshot, owned = dissenters_library()
    report = dissenters(analyse(snapshot, owned=owned, config=CFG))

    assert [(r.key, r.deviation) for r in report.rows] == [
        (101, -2.0),
        (100, 2.0),
        (110, -2.0),
        (90, 2.0),
        (103, 0.5),
        (111, 0.5),
    ]
    assert (report.compared, report.matching) == (7, 6)
    first = report.rows[0]
    assert (first.title, first.album, first.rating, first.album_rating) == (
        "Alpha — A1",
        "Alpha — First",
        2.0,
        6.0,
    )
    assert (first.status, first.album_status) == (Status.MANUAL, Status.MANUAL)
    b1 = report.rows[2]
    assert (b1.status, b1.album_status) == (Status.MANUAL, Status.INFERRED)
    assert report.rows[4].status is Status.INFERRED


def test_dissenters_limit_and_minimum_deviation() -> None:
    snapshot, owned = dissenters_library()
    inference = analyse(snapshot, owned=owned, config=CFG)

    top = dissenters(inference, limit=3)
    assert [r.key for r in top.rows] == [101, 100, 110]
    assert top.matching == 6
    strong = dissenters(inference, min_deviation=2.0)
    assert [r.key for r in strong.rows] == [101, 100, 110, 90]
    assert strong.matching == 4
    assert dissenters(inference, min_deviation=2.01).rows == ()
    everything = dissenters(inference, limit=0)
    assert len(everything.rows) == 6
    with pytest.raises(ValueError, match="limit"):
        dissenters(inference, limit=-1)
    with pytest.raises(ValueError, match="min_deviation"):
        dissenters(inference, min_deviation=-0.5)


def test_dissenters_ignore_the_order_of_the_snapshot_mappings() -> None:
    snapshot, owned = dissenters_library()
    reversed_snapshot = dataclasses.replace(
        snapshot, tracks=dict(reversed(list(snapshot.tracks.items())))
    )
    forward = dissenters(analyse(snapshot, owned=owned, config=CFG))
    backward = dissenters(analyse(reversed_snapshot, owned=owned, config=CFG))
    assert [r.key for r in backward.rows] == [r.key for r in forward.rows]


# -- documents ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "library", [coverage_library, histogram_library, twins_library, dissenters_library]
)
def test_every_report_document_matches_its_schema_and_csv_rows_match_their_header(
    library: object,
) -> None:
    snapshot, owned = library()  # type: ignore[operator]
    inference = analyse(snapshot, owned=owned, config=CFG)
    for report in (
        coverage(inference),
        histogram(inference),
        histogram(inference, item_type=ItemType.ALBUM),
        twins_inventory(inference),
        dissenters(inference),
    ):
        doc = json.loads(json.dumps(document(report, snapshot=snapshot)))
        check_document(doc)
        assert doc["report"] == report.name
        assert doc["library"] == {"title": "Music", "uuid": "test-library"}
        header = report.csv_header()
        assert all(len(row) == len(header) for row in report.csv_rows())


@given(st.floats(min_value=0.0, max_value=10.0, exclude_min=True, allow_nan=False))
def test_every_rating_lies_within_its_bucket(rating: float) -> None:
    bucket = half_star_bucket(rating)
    assert bucket in BUCKETS
    assert bucket - 0.5 - 1e-9 < rating / 2 <= bucket + 1e-9
