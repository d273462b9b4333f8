"""``plexrate report …`` against emulated Plex servers: exact figures, files, and no writes.

The small example library of ``docs/emulator.md`` (hand-written; figures worked out below) and
a few libraries made here for edge values are served by the emulator over real HTTP.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from plexrate.cli.app import app
from plexrate.emulator import Emulator, EmulatorLibrary
from tests.reports.report_schemas import check_document
from tests.support.cli import NO_WAITING, PLAIN, PlexrateCli

SMALL_UUID = "00000000-0000-4000-8000-000000000003"
ANSI = "\x1b["

EmulatorFactory = Callable[..., Emulator]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("PLEXRATE_"):
            monkeypatch.delenv(name)
    (tmp_path / "state").mkdir()


@pytest.fixture
def serve(tmp_path: Path) -> Callable[[Emulator], PlexrateCli]:
    """plexrate pointed at a running emulator, working in the test's folder."""

    def point(emulator: Emulator) -> PlexrateCli:
        state = tmp_path / "state" / "plexrate.sqlite"
        return PlexrateCli.at(emulator, workdir=tmp_path, state=state, env={**NO_WAITING, **PLAIN})

    return point


@pytest.fixture
def small(
    emulator_factory: EmulatorFactory,
    small_library: EmulatorLibrary,
    serve: Callable[[Emulator], PlexrateCli],
) -> PlexrateCli:
    """plexrate against the small example library."""
    return serve(emulator_factory(small_library))


def report_json(cli: PlexrateCli, *args: str) -> dict[str, Any]:
    result = cli.invoke("report", *args, "--json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    check_document(document)
    return document


def library_dict(
    *,
    artists: list[dict[str, Any]],
    albums: list[dict[str, Any]],
    tracks: list[dict[str, Any]],
) -> EmulatorLibrary:
    return EmulatorLibrary.from_dict(
        {
            "schema": "plexrate-emulator-library/1",
            "sections": [
                {
                    "key": 3,
                    "title": "Music",
                    "uuid": "00000000-0000-4000-8000-00000000abcd",
                    "artists": artists,
                    "albums": albums,
                    "tracks": tracks,
                }
            ],
        }
    )


# -- figures on the small example library ----------------------------------------------------
#
# Artists: The Testers 8.0 (manual), Ådne Ångström and Various Artists unrated.
# Albums: Nordic Hymns 6.0 (manual), three unrated.
# Tracks: Morning Song 8.0 (4★), Evening Song 6.0 (3★), Fjord 10.0 (5★) manual, seven unrated.
# Twins: Morning Song (302, 215 s) and its copy on the compilation by track artist The Testers
# (309, 216 s); the copy on the live album is left out, "Evening Song (Live)" has brackets.


def test_coverage_of_the_small_library(small: PlexrateCli) -> None:
    doc = report_json(small, "coverage")

    assert doc["library"] == {"title": "Music", "uuid": SMALL_UUID}
    rows = {
        name: (r["items"], r["manual"], r["inferred"], r["unrated"], r["twin_linked"])
        for name, r in (*doc["types"].items(), ("total", doc["total"]))
    }
    assert rows == {
        "artist": (3, 1, 0, 2, None),
        "album": (4, 1, 0, 3, None),
        "track": (10, 3, 0, 7, 2),
        "total": (17, 5, 0, 12, 2),
    }
    assert doc["types"]["track"]["percent"] == {
        "manual": 30.0,
        "inferred": 0.0,
        "unrated": 70.0,
        "twin_linked": 20.0,
    }
    assert doc["total"]["percent"]["manual"] == 29.41
    assert doc["twin_groups"] == 1


def test_histogram_twins_and_dissenters_of_the_small_library(small: PlexrateCli) -> None:
    histogram = report_json(small, "histogram")
    counts = {b["stars"]: (b["manual"], b["inferred"]) for b in histogram["buckets"] if b["total"]}
    assert counts == {3.0: (1, 0), 4.0: (1, 0), 5.0: (1, 0)}
    assert (histogram["type"], histogram["rated"], histogram["unrated"]) == ("track", 3, 7)
    albums = report_json(small, "histogram", "--type", "album")
    assert [(b["stars"], b["manual"]) for b in albums["buckets"] if b["total"]] == [(3.0, 1)]

    twins = report_json(small, "twins")
    (group,) = twins["groups"]
    assert (group["artist"], group["title"], group["rating"], group["basis"]) == (
        "The Testers",
        "morning song",
        8.0,
        "manual",
    )
    assert group["anchors"] == [302]
    assert [(m["key"], m["album"], m["duration"], m["status"]) for m in group["members"]] == [
        (302, "First Light", "3:35", "manual"),
        (309, "Summer Anthems 2005", "3:36", "unrated"),
    ]

    dissenters = report_json(small, "dissenters")
    assert [(t["key"], t["deviation_stars"]) for t in dissenters["tracks"]] == [(307, 2.0)]
    assert (dissenters["compared"], dissenters["limit"]) == (1, 50)


def test_text_output_shows_the_figures_in_tables_and_a_tree(small: PlexrateCli) -> None:
    coverage = small.invoke("report", "coverage")
    assert coverage.exit_code == 0, coverage.output
    track_row = next(line for line in coverage.stdout.splitlines() if "Tracks" in line)
    assert [cell.strip() for cell in track_row.split("│")[1:7]] == [
        "Tracks",
        "10",
        "3  30.0%",
        "0   0.0%",
        "7  70.0%",
        "2  20.0%",
    ]
    assert "█ manual  ▒ inferred  ░ unrated" in coverage.stdout
    twins = small.invoke("report", "twins").stdout
    assert "The Testers — morning song  4★  (manual anchor: the copy you rated" in twins
    assert "Morning Song  ·  Summer Anthems 2005  ·  3:36  ·  — unrated  (#309)" in twins
    dissenters = small.invoke("report", "dissenters").stdout
    assert "+2★" in dissenters
    assert "Ådne Ångström — Fjord" in dissenters
    assert ANSI not in coverage.stdout + twins + dissenters


# -- edge values through the CLI ---------------------------------------------------------------


def test_histogram_edges_and_dissenter_flags_on_a_made_library(
    emulator_factory: EmulatorFactory, serve: Callable[[Emulator], PlexrateCli]
) -> None:
    ratings = [1.0, 2.0, 9.5, 10.0, 7.0, 7.2, None]
    library = library_dict(
        artists=[{"ratingKey": 1, "title": "Edge"}],
        albums=[{"ratingKey": 10, "artist": 1, "title": "Bounds", "userRating": 6.0}],
        tracks=[
            {
                "ratingKey": 100 + i,
                "album": 10,
                "title": f"T{i}",
                "index": i + 1,
                "duration": 200_000,
            }
            | ({} if r is None else {"userRating": r})
            for i, r in enumerate(ratings)
        ],
    )
    small = serve(emulator_factory(library))

    histogram = report_json(small, "histogram")
    counts = {b["stars"]: b["manual"] for b in histogram["buckets"] if b["total"]}
    assert counts == {0.5: 1, 1.0: 1, 3.5: 1, 4.0: 1, 5.0: 2}
    assert next(b for b in histogram["buckets"] if b["stars"] == 5.0)["percent"] == 33.33

    all_of_them = report_json(small, "dissenters", "--limit", "0")
    assert [(t["key"], t["deviation_stars"]) for t in all_of_them["tracks"]] == [
        (100, -2.5),  # 0.5★ on a 3★ album
        (101, -2.0),  # ties keep the tracks' order on the album
        (103, 2.0),
        (102, 1.75),
        (105, 0.6),
        (104, 0.5),
    ]
    assert [t["key"] for t in report_json(small, "dissenters", "-n", "2")["tracks"]] == [100, 101]
    strong = report_json(small, "dissenters", "--min-deviation", "1.75")
    assert [t["key"] for t in strong["tracks"]] == [100, 101, 103, 102]
    assert strong["min_deviation_stars"] == 1.75
    bad = small.invoke("report", "dissenters", "--min-deviation", "-1")
    assert bad.exit_code == 2


# -- --output ----------------------------------------------------------------------------------


def test_output_by_extension(small: PlexrateCli, tmp_path: Path) -> None:
    text_file, csv_file, json_file, other = (
        tmp_path / "coverage.txt",
        tmp_path / "coverage.csv",
        tmp_path / "coverage.json",
        tmp_path / "coverage.report",
    )
    for target in (text_file, csv_file, json_file, other):
        result = small.invoke("report", "coverage", "--output", str(target))
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert f"to {target}" in result.stderr

    text = text_file.read_text(encoding="utf-8")
    assert ANSI not in text
    assert "Rating coverage" in text
    assert "│ Total   │    17 │ 5  29.4% │ 0   0.0% │ 12  70.6% │    2  11.8% │" in text
    assert other.read_text(encoding="utf-8") == text

    rows = list(csv.DictReader(io.StringIO(csv_file.read_text(encoding="utf-8"), newline="")))
    assert [r["type"] for r in rows] == ["artist", "album", "track", "total"]
    track = rows[2]
    assert (track["items"], track["manual"], track["unrated"], track["twin_linked"]) == (
        "10",
        "3",
        "7",
        "2",
    )
    assert (track["manual_percent"], track["twin_linked_percent"]) == ("30.0", "20.0")
    assert rows[0]["twin_linked"] == ""

    document = json.loads(json_file.read_text(encoding="utf-8"))
    check_document(document)
    assert document == report_json(small, "coverage")


@pytest.mark.parametrize("name", ["coverage", "histogram", "twins", "dissenters"])
def test_every_report_writes_each_format(small: PlexrateCli, tmp_path: Path, name: str) -> None:
    for suffix in ("txt", "csv", "json"):
        target = tmp_path / f"{name}.{suffix}"
        result = small.invoke("report", name, "-o", str(target), "--quiet")
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
        content = target.read_text(encoding="utf-8")
        assert ANSI not in content
        if suffix == "json":
            check_document(json.loads(content))
        elif suffix == "csv":
            header, *rows = list(csv.reader(io.StringIO(content, newline="")))
            assert rows
            assert all(len(row) == len(header) for row in rows)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(name)) == [
        f"{name}.csv",
        f"{name}.json",
        f"{name}.txt",
    ]


@pytest.mark.parametrize("name", ["coverage", "histogram", "twins", "dissenters"])
def test_every_report_writes_a_web_page_and_a_picture(
    small: PlexrateCli, tmp_path: Path, name: str
) -> None:
    text = tmp_path / f"{name}.txt"
    assert small.invoke("report", name, "-o", str(text), "--quiet").exit_code == 0
    words = [w for w in text.read_text(encoding="utf-8").split() if w.isalpha() and len(w) > 3]
    for suffix in ("html", "svg"):
        target = tmp_path / f"{name}.{suffix}"
        result = small.invoke("report", name, "-o", str(target))
        assert result.exit_code == 0, result.output
        assert f"({suffix}) to {target}" in result.stderr
        content = target.read_text(encoding="utf-8")
        assert ANSI not in content
        if suffix == "html":
            assert content.lstrip().lower().startswith("<!doctype html>")
            assert "color:" in content  # rich's export keeps the colours, inline
        else:
            assert content.lstrip().startswith("<svg")
            assert "plexrate" in content and name in content
        # The same words as the text report: the page shows the same report.
        shown = content.replace("&#160;", " ")
        assert all(word in shown for word in words[:8]), words[:8]


def test_output_replaces_a_file_only_with_force_and_atomically(
    small: PlexrateCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "twins.csv"
    target.write_text("keep me\n", encoding="utf-8")

    refused = small.invoke("report", "twins", "-o", str(target))
    assert refused.exit_code == 2
    assert "already exists" in refused.stderr
    assert small.emulator.stats().requests == 0  # refused before reading the library

    def broken_rows(self: object) -> Iterator[tuple[Any, ...]]:
        yield ("a row that is written before the failure",)
        raise RuntimeError("disk on fire")

    from plexrate.reports.twins import TwinsInventory

    with monkeypatch.context() as patch:
        patch.setattr(TwinsInventory, "csv_rows", broken_rows)
        failed = small.invoke("report", "twins", "-o", str(target), "--force")
    assert failed.exit_code == 1
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".twins")] == []

    inode = target.stat().st_ino
    replaced = small.invoke("report", "twins", "-o", str(target), "--force")
    assert replaced.exit_code == 0, replaced.output
    assert target.read_text(encoding="utf-8").startswith("group,group_artist,group_title")
    assert target.stat().st_ino != inode  # a new file renamed over the old one

    folder = small.invoke("report", "twins", "-o", str(tmp_path))
    assert folder.exit_code == 2


# -- read-only ---------------------------------------------------------------------------------


def _fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """Content and modification time of the state file and anything else beside it.

    SQLite's WAL index files are left out: a read-only connection to a WAL database may create
    an empty ``-wal`` and a ``-shm`` (shared-memory index) that it cannot remove on close. That
    nothing was written is checked on the ``-wal`` itself: it must be empty.
    """
    wal = [p for p in folder.iterdir() if p.name.endswith("-wal")]
    assert all(p.stat().st_size == 0 for p in wal)
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if not p.name.endswith(("-wal", "-shm"))
    }


def _owned_rows(path: Path) -> list[tuple[Any, ...]]:
    uri = f"file:{path}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        return conn.execute("SELECT * FROM owned ORDER BY key").fetchall()


def _run_apply(cli: PlexrateCli) -> dict[str, Any]:
    result = cli.invoke("run", "--apply", "--yes", "--json")
    assert result.exit_code == 0, result.output
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


ALL_REPORTS = (
    ("coverage",),
    ("histogram",),
    ("histogram", "--type", "artist"),
    ("twins",),
    ("dissenters",),
)


def test_reports_send_no_writes_and_leave_the_state_untouched(
    small: PlexrateCli, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    for args in ALL_REPORTS:
        assert small.invoke("report", *args).exit_code == 0
    assert small.emulator.stats().writes == 0
    assert list(state_dir.iterdir()) == []  # no state file is created by looking

    _run_apply(small)
    before = _fingerprint(state_dir)
    assert "plexrate.sqlite" in before
    owned_before = _owned_rows(state_dir / "plexrate.sqlite")
    small.emulator.reset_stats()
    for args in ALL_REPORTS:
        result = small.invoke("report", *args, "--json")
        assert result.exit_code == 0, result.output
    stats = small.emulator.stats()
    assert stats.writes == 0
    assert stats.reads > 0
    assert _fingerprint(state_dir) == before
    assert _owned_rows(state_dir / "plexrate.sqlite") == owned_before


def test_after_run_apply_inferred_counts_equal_the_run_written_count(small: PlexrateCli) -> None:
    outcome = _run_apply(small)
    written = outcome["written"]
    assert written == outcome["stats"]["rating_writes"] > 0

    doc = report_json(small, "coverage")
    assert doc["total"]["inferred"] == written
    assert doc["total"]["manual"] == 5
    assert doc["total"]["unrated"] == 0
    per_type = {t: doc["types"][t]["inferred"] for t in ("artist", "album", "track")}
    for item_type, count in per_type.items():
        planned = sum(
            v
            for k, v in outcome["stats"].items()
            if k.startswith("changes.") and k.endswith(item_type)
        )
        assert count == planned
    histogram = report_json(small, "histogram")
    assert histogram["inferred"] == per_type["track"]
    assert histogram["manual"] == 3

    twins = report_json(small, "twins")
    member = twins["groups"][0]["members"][1]
    assert (member["key"], member["rating"], member["status"]) == (309, 8.0, "inferred")


def test_a_rating_changed_in_plex_after_a_run_counts_as_manual(small: PlexrateCli) -> None:
    _run_apply(small)
    before = report_json(small, "coverage")["types"]["track"]
    query: dict[str, str | int | float] = {
        "key": 304,
        "identifier": "com.plexapp.plugins.library",
        "rating": 2.0,
    }
    response = requests.put(
        f"{small.emulator.url}/:/rate",
        params=query,
        headers={"X-Plex-Token": small.emulator.token},
        timeout=10,
    )
    response.raise_for_status()

    after = report_json(small, "coverage")["types"]["track"]
    assert after["manual"] == before["manual"] + 1
    assert after["inferred"] == before["inferred"] - 1
    assert after["hijacked"] == 1


# -- a real process --------------------------------------------------------------------------


def test_each_report_runs_as_a_real_process(small: PlexrateCli, tmp_path: Path) -> None:
    env = {"PYTHONIOENCODING": "utf-8"}
    for name in ("coverage", "histogram", "twins", "dissenters"):
        done = small.run("report", name, "--json", env=env, timeout=120)
        assert done.exit_code == 0, done.stderr
        document = json.loads(done.stdout)
        check_document(document)
        assert document["report"] == name
    assert small.emulator.stats().writes == 0
    text = small.run("report", "histogram", env=env, timeout=120)
    assert text.exit_code == 0, text.stderr
    assert "│  5.0★ │      1 │        0 │     1 │  33.3% │" in text.stdout
    assert ANSI not in text.stdout


def test_every_report_command_has_help_with_an_example() -> None:
    for name in ("coverage", "histogram", "twins", "dissenters"):
        result = CliRunner().invoke(
            app, ["report", name, "--help"], env={"NO_COLOR": "1", "COLUMNS": "200"}
        )
        assert result.exit_code == 0
        assert "Example: plexrate report " + name in result.stdout
        for flag in ("--json", "--output", "--quiet", "--library", "--config"):
            assert flag in result.stdout
