"""The reports agree with each other and with the snapshot on a generated library after a run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from plexrate.emulator import Emulator
from plexrate.emulator.library import ItemKind, TrackItem
from tests.reports.report_schemas import check_document
from tests.support.cli import PlexrateCli, plexrate_in

ITEM_KINDS: tuple[ItemKind, ...] = ("track", "album", "artist")


def rating_of(ratings: dict[int, float | None], key: int) -> float:
    rating = ratings[key]
    assert rating is not None, key
    return rating


@pytest.fixture
def generated(
    emulator_factory: Callable[..., Emulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> PlexrateCli:
    return plexrate_in(
        tmp_path,
        emulator_factory(tracks=1500, seed=4),
        monkeypatch,
        env={"PLEXRATE_COOLDOWN_SLEEP": "0", "NO_COLOR": "1"},
    )


def test_reports_are_consistent_with_each_other_and_with_plex(generated: PlexrateCli) -> None:
    run = generated.ok_json
    outcome = run("run", "--apply", "--yes")
    library = generated.emulator.library

    reports = {name: run("report", name) for name in ("coverage", "twins")}
    reports["dissenters"] = run("report", "dissenters", "--limit", "0")
    for item_type in ITEM_KINDS:
        reports[f"histogram-{item_type}"] = run("report", "histogram", "--type", item_type)
    for document in reports.values():
        check_document(document)

    coverage = reports["coverage"]
    assert coverage["total"]["inferred"] == outcome["written"]
    for item_type in ITEM_KINDS:
        row = coverage["types"][item_type]
        histogram = reports[f"histogram-{item_type}"]
        assert row["manual"] + row["inferred"] + row["unrated"] == row["items"]
        assert (histogram["manual"], histogram["inferred"], histogram["unrated"]) == (
            row["manual"],
            row["inferred"],
            row["unrated"],
        )
        assert row["items"] == len(library.keys(item_type))
        rated = sum(1 for v in library.ratings(item_type).values() if v)
        assert rated == row["manual"] + row["inferred"]

    twins = reports["twins"]
    assert twins["member_count"] == coverage["types"]["track"]["twin_linked"]
    assert twins["group_count"] == coverage["twin_groups"] > 0
    assert twins["by_basis"]["none"] == 0  # the run gave every copy a value first
    # After a run every copy but the manual anchors holds the group's value, give or take the
    # rounding to two decimals and ε: a copy that Track-Down set less than ε from the shared value
    # keeps its value (docs/inference.md §4).
    slack = outcome["stats"]["epsilon"] + 0.005 + 1e-9
    for group in twins["groups"]:
        for member in group["members"]:
            if member["key"] not in group["anchors"]:
                assert member["rating"] == pytest.approx(group["rating"], abs=slack)
                assert member["status"] == "inferred"
        anchors = [m for m in group["members"] if m["key"] in group["anchors"]]
        assert all(m["status"] == "manual" for m in anchors)
        if anchors:
            mean = sum(m["rating"] for m in anchors) / len(anchors)
            assert group["rating"] == pytest.approx(mean, abs=1e-4)

    dissenters = reports["dissenters"]
    tracks = library.ratings("track")
    albums = library.ratings("album")
    expected = 0
    for key in library.keys("track"):
        item = library.item(key)
        assert isinstance(item, TrackItem)
        if tracks[key] and albums.get(item.album_key):
            expected += 1
    assert dissenters["compared"] == expected
    sizes = [abs(t["deviation_stars"]) for t in dissenters["tracks"]]
    assert sizes == sorted(sizes, reverse=True)
    assert len(sizes) == dissenters["matching"]
    for row in dissenters["tracks"][:20]:
        assert row["deviation_stars"] == pytest.approx(
            (rating_of(tracks, row["key"]) - rating_of(albums, row["album_key"])) / 2, abs=1e-6
        )
