"""The benchmark harness: the floor's arithmetic, the CSV edit, and a --quick run end to end."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from benchmarks.floor import (
    REQUEST_LINE_MAX,
    Difference,
    difference,
    floor,
    library_state,
    same_result,
    split_group,
)
from benchmarks.harness import clean_env, run_child
from benchmarks.report import request_kinds
from benchmarks.scenarios import cooldown_extra, edit_ratings

from plexrate.emulator import LatencyModel

REPO = Path(__file__).resolve().parents[2]


def _dump(tracks: list[dict[str, Any]], albums: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "sections": [
            {"key": 1, "type": "movie", "title": "Movies"},
            {"key": 3, "type": "artist", "artists": [], "albums": albums, "tracks": tracks},
        ]
    }


BEFORE = _dump(
    tracks=[
        {"ratingKey": 301, "userRating": 8.0},
        {"ratingKey": 302},
        {"ratingKey": 303},
        {"ratingKey": 304, "moods": ["Chill"]},
        {"ratingKey": 305, "userRating": 6.0, "moods": ["rating_inferred"]},
    ],
    albums=[{"ratingKey": 201}, {"ratingKey": 202, "userRating": 4.0}],
)
AFTER = _dump(
    tracks=[
        {"ratingKey": 301, "userRating": 8.0},  # manual, untouched
        {"ratingKey": 302, "userRating": 7.0, "moods": ["Rating_Inferred"]},
        {"ratingKey": 303, "userRating": 7.001, "moods": ["Rating_Inferred"]},  # same value
        {"ratingKey": 304, "userRating": 5.0, "moods": ["Chill", "Rating_Inferred"]},
        {"ratingKey": 305},  # cleared, tag removed
    ],
    albums=[
        {"ratingKey": 201, "userRating": 7.0, "moods": ["Rating_Inferred"]},
        {"ratingKey": 202, "userRating": 4.0},
    ],
)


def test_difference_groups_changes_as_one_multi_edit_each() -> None:
    diff = difference(library_state(BEFORE), library_state(AFTER))
    assert (diff.items, diff.ratings, diff.tags_added, diff.tags_removed) == (5, 5, 4, 1)
    assert diff.by_kind == {"track": 4, "album": 1}
    assert diff.groups == {
        ("album", True, 7.0, ("rating_inferred",), ()): [201],
        ("track", True, None, (), ("rating_inferred",)): [305],
        ("track", True, 5.0, ("rating_inferred",), ()): [304],
        ("track", True, 7.0, ("rating_inferred",), ()): [302],
        ("track", True, 7.001, ("rating_inferred",), ()): [303],
    }


def test_floor_charges_one_listing_the_groups_and_each_change() -> None:
    diff = difference(library_state(BEFORE), library_state(AFTER))
    model = LatencyModel(per_request=0.02, per_item=0.001, per_rating=0.003, per_tag=0.005)
    low = floor(item_counts={"artist": 0, "album": 2, "track": 5}, diff=diff, model=model)
    assert (low.read_requests, low.read_items, low.write_requests) == (3, 7, 5)
    assert low.seconds == pytest.approx(0.02 * 8 + 0.001 * 7 + 0.003 * 5 + 0.005 * 5)
    assert (
        floor(
            item_counts={"track": 25_000}, diff=Difference(), model=model, page_size=10_000
        ).read_requests
        == 3
    )
    half = floor(item_counts={"track": 5}, diff=diff, model=model.scaled(0.5))
    assert half.seconds == pytest.approx(
        floor(item_counts={"track": 5}, diff=diff, model=model).seconds / 2
    )


def test_groups_split_only_at_the_request_line_limit() -> None:
    group = ("track", True, 7.0, ("Rating_Inferred",), ())
    assert split_group(3, group, list(range(100_000, 100_250))) == 1
    # Six-digit keys cost nine characters with their encoded comma.
    many = list(range(100_000, 100_000 + 2 * REQUEST_LINE_MAX // 9))
    assert split_group(3, group, many) == 3


def test_same_result_compares_ratings_and_moods() -> None:
    before, after = library_state(BEFORE), library_state(AFTER)
    assert same_result(after, after) == (True, [])
    same, problems = same_result(after, before)
    assert not same
    assert "track 302: rating None instead of 7.0" in problems


def test_cooldown_and_request_kinds() -> None:
    assert cooldown_extra(24) == 0
    assert cooldown_extra(694) == 27 * 5.0
    kinds = request_kinds(
        {
            "GET /": 1,
            "GET /library/sections/{id}/all": 5,
            "GET /library/sections/{id}/mood": 3,
            "PUT /library/sections/{id}/all": 7,
            "PUT /:/rate": 2,
        }
    )
    assert kinds == "connect 1, filter choices 3, listing 5, multi-edit 7, rate 2"


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_edit_ratings_changes_the_chosen_rows_and_keeps_the_dialect(
    tmp_path: Path, delimiter: str
) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    header = ["ratingKey", "trackTitle", "userRating", "ratingType"]
    rows = [[str(300 + i), f"Song {i}", "", ""] for i in range(10)]
    rows[2][2], rows[2][3] = ("4,5" if delimiter == ";" else "4.5"), "manual"
    rows[3][2] = "5"
    with source.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    changed = edit_ratings(source, target, rows=6, seed=1)
    assert len(changed) == 6
    with target.open(newline="", encoding="utf-8") as fh:
        out = list(csv.DictReader(fh, delimiter=delimiter))
    assert [r["ratingKey"] for r in out] == [r[0] for r in rows]
    for record, original in zip(out, rows, strict=True):
        key = int(record["ratingKey"])
        if key not in changed:
            assert record["userRating"] == original[2]
            continue
        stars = float(record["userRating"].replace(",", "."))
        assert changed[key] == stars * 2
        assert 0.5 <= stars <= 5 and stars * 2 == int(stars * 2)
        old = float(original[2].replace(",", ".")) if original[2] else 0.0
        assert stars != old
        assert ("," in record["userRating"]) == (delimiter == ";" and stars != int(stars))


@pytest.mark.slow
@pytest.mark.integration
def test_quick_run_end_to_end(tmp_path: Path) -> None:
    out, tables = tmp_path / "results.json", tmp_path / "tables.md"
    argv = ["--quick", "--output", str(out), "--markdown", str(tables)]
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", *argv, "--workdir", str(tmp_path / "work")],
        cwd=REPO,
        capture_output=True,
        text=True,
        # A guard against a hang, not a speed check: the quick run takes about a minute on an
        # idle machine and several minutes on a loaded one.
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(out.read_text())
    (size,) = document["sizes"]
    assert size["tracks"] == 500
    scenarios = {s["id"]: s for s in size["scenarios"]}
    first, noop, plain = scenarios["first-tag"], scenarios["no-op"], scenarios["first-no-tag"]

    # The first run wrote what changed, each item once, and far fewer requests than items.
    assert first["written"] == first["changed"]["items"] > 300
    assert first["ratings_written"] == first["changed"]["ratings"]
    assert first["tags_added"] == first["changed"]["tags_added"] == first["changed"]["items"]
    assert first["writes"] < first["changed"]["items"] / 4
    assert first["floor"]["write_requests"] <= first["writes"]
    assert plain["tags_added"] == 0 and plain["changed"]["ratings"] == first["changed"]["ratings"]
    assert noop["writes"] == 0 and noop["checks"] == {"no_writes": True, "library_unchanged": True}
    # A rerun reads artists and albums whole and the tracks by their changes: a fixed handful of
    # filtered listings and counts (docs/run.md, "Reading only what changed") that return few items.
    assert noop["reads"] < 30
    assert noop["items_returned"] < first["items_returned"] / 2
    for s in (first, noop, plain):
        assert s["peak_rss_mib"] > 10 and s["wall_s"] > 0 and s["cooldown_extra_s"] >= 0

    # The bulk import wrote every changed row; undo (once it exists) restored the library.
    bulk = scenarios["bulk-import"]
    assert bulk["rows_changed"] == 200
    assert bulk["checks"] == {"changed_rows_landed": True, "landed": 200}
    assert bulk["changed"]["ratings"] == 200
    assert scenarios["bulk-export"]["writes"] == 0
    if "undo" in scenarios:
        assert scenarios["undo"]["checks"] == {"restored": True, "examples": []}
    else:
        assert any(note.startswith("undo:") for note in size["skipped"])

    # The reference client reproduced plexrate's result with the predicted request counts
    # (plus plexapi's connection and filter-metadata requests).
    old = scenarios["old-tag-x1"]
    assert old["same_result_as_plexrate"] is True
    assert old["measured_minus_predicted"]["writes"] == 0
    assert 0 <= old["measured_minus_predicted"]["reads"] <= 6
    assert old["client_report"]["unplanned"] == 0
    assert old["plexrate_vs_old"]["requests_ratio"] >= 10

    text = tables.read_text()
    for heading in ("### 500 tracks", "### First-run requests against N", "### Targets"):
        assert heading in text
    assert "old pattern" in result.stderr  # progress went to stderr


def test_a_childs_peak_memory_is_its_own(tmp_path: Path) -> None:
    # The harness holds whole library dumps; a child forked from it directly would report the
    # harness's memory as its own peak.
    ballast = b"x" * (400 * 2**20)
    small = run_child(
        [sys.executable, "-c", "import sys; sys.stdout.write('ok')"], env=clean_env(), cwd=tmp_path
    )
    big = run_child(
        [sys.executable, "-c", "b = b'y' * (200 * 2**20); print(len(b))"],
        env=clean_env(),
        cwd=tmp_path,
    )
    assert len(ballast) == 400 * 2**20
    assert small.check().stdout == "ok"
    assert small.peak_rss_mib < 100
    assert 200 < big.peak_rss_mib < 300
    assert big.user + big.system > 0 and big.wall > 0
    failed = run_child([sys.executable, "-c", "raise SystemExit(3)"], env=clean_env(), cwd=tmp_path)
    assert failed.returncode == 3
    with pytest.raises(RuntimeError, match="exited 3"):
        failed.check()
