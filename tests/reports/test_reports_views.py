"""The rich views: bars that add up, glyphs that survive without colour, the twins tree."""

from __future__ import annotations

import pytest
from rich.console import Console

from plexrate.engine import EngineConfig, InferenceModel
from plexrate.reports import analyse, coverage, dissenters, histogram, twins_inventory
from plexrate.reports.views import (
    INFERRED_GLYPH,
    MANUAL_GLYPH,
    UNRATED_GLYPH,
    plain_text,
    stacked_bar,
    view,
)
from plexrate.wording import signed_stars
from tests.reports.report_lib import claims
from tests.support.library import Lib

CFG = EngineConfig(inference_model=InferenceModel.CLASSIC)


@pytest.mark.parametrize(
    ("parts", "scale", "width", "expected"),
    [
        ([(1, "a", ""), (1, "b", ""), (2, "c", "")], 4, 8, "aabbcccc"),
        ([(3, "a", ""), (0, "b", ""), (1, "c", "")], 4, 8, "aaaaaacc"),
        ([(1, "a", ""), (99, "b", "")], 100, 10, "bbbbbbbbbb"),  # 0.1 cell rounds away
        ([(5, "a", ""), (5, "b", "")], 20, 10, "aaabb"),  # 2.5 cells round up, not to even
        ([(0, "a", "")], 0, 10, ""),
    ],
)
def test_stacked_bar_rounds_segment_ends_cumulatively(
    parts: list[tuple[int, str, str]], scale: int, width: int, expected: str
) -> None:
    assert stacked_bar(parts, scale=scale, width=width).plain == expected


@pytest.mark.parametrize(
    ("deviation", "text"), [(2.0, "+2★"), (-0.25, "-0.25★"), (1.754, "+1.75★"), (0.0, "±0★")]
)
def test_signed_stars(deviation: float, text: str) -> None:
    assert signed_stars(deviation) == text


def library() -> Lib:
    lib = Lib()
    lib.artist(1, "Band", rating=8.0)
    lib.album(10, 1, "Studio", rating=6.0)
    lib.album(11, 1, "Hits [Remastered]")
    lib.track(100, 10, "Song", rating=10.0, seconds=200)
    lib.track(101, 10, "Other", rating=7.0, seconds=100)
    lib.track(110, 11, "Song", seconds=201)
    lib.track(111, 11, "Song", seconds=None)
    lib.track(112, 11, "Other", seconds=160)
    return lib


def test_histogram_bars_stack_manual_then_inferred_glyphs() -> None:
    snapshot = library().snapshot()
    owned = claims(snapshot, {101: 7.0})
    text = plain_text(histogram(analyse(snapshot, owned=owned, config=CFG)))

    five = next(line for line in text.splitlines() if "5.0★" in line)
    three_and_half = next(line for line in text.splitlines() if "3.5★" in line)
    # One manual track in each bucket: both bars fill the width, one in each glyph.
    assert MANUAL_GLYPH * 40 in five
    assert INFERRED_GLYPH * 40 in three_and_half
    assert "\x1b[" not in text


def test_coverage_drops_its_bars_on_a_narrow_terminal() -> None:
    report = coverage(analyse(library().snapshot(), owned={}, config=CFG))
    wide = plain_text(report, width=120)
    narrow = plain_text(report, width=80)
    assert UNRATED_GLYPH in wide
    assert UNRATED_GLYPH not in narrow
    assert all(len(line) <= 80 for line in narrow.splitlines())
    assert "│ Tracks  │     5 │ 2  40.0% │ 0   0.0% │ 3  60.0% │    2  40.0% │" in narrow


def test_twins_tree_shows_the_group_members_and_dropped_tracks() -> None:
    snapshot = library().snapshot()
    text = plain_text(twins_inventory(analyse(snapshot, owned={}, config=CFG)), width=160)

    lines = [line.rstrip() for line in text.splitlines()]
    assert lines[0] == (
        "Twin groups: 1 (2 tracks; 1 dropped; durations within 5 s of the group's median)"
    )
    assert lines[1] == ("└── Band — song  5★  (manual anchor: the copy you rated; median 3:20)")
    assert lines[2] == "    ├── Song  ·  Studio  ·  3:20  ·  5★ manual  (#100)"
    assert lines[3] == "    ├── Song  ·  Hits [Remastered]  ·  3:21  ·  — unrated  (#110)"
    assert lines[4] == (
        "    └── dropped (no duration): Song  ·  Hits [Remastered]  ·  —  ·  — unrated  (#111)"
    )


def test_titles_with_brackets_are_printed_as_they_are_not_as_markup() -> None:
    snapshot = library().snapshot()
    report = dissenters(analyse(snapshot, owned={}, config=CFG))
    console = Console(width=200, color_system=None, record=True)
    console.print(view(report))
    assert "Band — Studio" in console.export_text()
    twins = plain_text(twins_inventory(analyse(snapshot, owned={}, config=CFG)))
    assert "Hits [Remastered]" in twins
