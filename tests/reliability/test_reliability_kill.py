"""SIGKILL a real ``plexrate … --apply`` process at seeded points, then rerun: nothing is lost.

The emulator runs in this process with a little latency per request, so a run takes a few
seconds. Each kill comes at a seeded fraction of the run, measured in the requests the emulator
has seen (so a slow machine shifts the moment in time, not in the work): either while a write is
in flight (it has changed the library, its answer is still on the way) or between requests. Two
processes are killed one after the other, the second often while it settles what the first left
unconfirmed; then a rerun finishes the job. The end state (the emulator's dump and the ownership
record) must equal that of one uninterrupted run.
"""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import LatencyModel, generate_library
from tests.reliability.reliability_helpers import (
    FUTURE,
    PAST,
    TOKEN,
    Outcome,
    Target,
    assert_same_outcome,
    kill,
    serve,
    wait_for,
)
from tests.support.statefile import copy_state

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LATENCY = LatencyModel(per_request=0.02)
SETTINGS = {"PAGE_SIZE": "100", "WRITE_BATCH_SIZE": "20", "RETRIES": "1"}
KILLS = 2


@dataclass(frozen=True)
class Work:
    """What one uninterrupted command asks of the emulator, and the state it ends in."""

    outcome: Outcome
    reads: int
    writes: int


def kill_at(target: Target, rng: random.Random, args: tuple[str, ...], work: Work) -> str:
    """Start ``plexrate ARGS`` and SIGKILL it at a seeded point; returns where it was killed.

    The point is a fraction of what is left to do: all the reads (every process reads the
    library again) and the writes the emulator has not yet seen. Returns "finished" if the process
    ended before the point (a rerun with less left than estimated).
    """
    emu = target.emu
    stats = emu.stats()
    requests, version = stats.requests, emu.library.version
    writes_left = max(1, work.writes - stats.writes)
    proc = target.spawn(*args, "--apply", "--yes", "--quiet")
    fraction = rng.uniform(0.05, 0.8)
    in_flight = rng.random() < 0.5
    if in_flight:
        # The k-th write has changed the library; its answer waits for the write latency.
        writes = max(1, round(fraction * writes_left))
        condition: Callable[[], bool] = lambda: emu.library.version >= version + writes  # noqa: E731
        where = f"in flight: write {writes} of {writes_left}"
    else:
        count = max(1, round(fraction * (work.reads + writes_left)))
        condition = lambda: emu.stats().requests >= requests + count  # noqa: E731
        where = f"after request {count} of {work.reads + writes_left}"
    if not wait_for(condition, proc, limit=60):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert TOKEN not in out + err
        return "finished"
    if not in_flight:
        # Somewhere between the request's answer and the process's next request.
        time.sleep(rng.uniform(0, 0.03))
    out, err = kill(proc)
    assert TOKEN not in out + err
    return where


def kill_twice_then_finish(
    target: Target, args: tuple[str, ...], work: Work, *, seed: str
) -> list[str]:
    rng = random.Random(seed)
    points = [kill_at(target, rng, args, work) for _ in range(KILLS)]
    assert points[0] != "finished", "the first process finished before its kill"
    result = target.invoke(*args, "--apply", "--yes")
    assert result.exit_code == 0, (points, result.stderr)
    assert TOKEN not in result.stdout + result.stderr
    target.assert_no_token_in_files()
    return points


# ------------------------------------------------------------------------------------ run
@pytest.fixture(scope="module")
def library() -> dict[str, Any]:
    return generate_library(tracks=500, seed=43).to_dict()


@pytest.fixture(scope="module")
def clean_run(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Work:
    emu = serve(library)
    try:
        target = Target(emu, tmp_path_factory.mktemp("clean-run"), SETTINGS)
        summary = target.invoke_json("run", "--apply", "--yes")
        assert summary["status"] == "completed"
        stats = emu.stats()
        return Work(target.outcome(), stats.reads, stats.writes)
    finally:
        emu.stop()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_run_killed_twice_then_rerun_ends_like_an_uninterrupted_run(
    library: dict[str, Any], clean_run: Work, tmp_path: Path, seed: int
) -> None:
    emu = serve(library, latency=LATENCY)
    try:
        target = Target(emu, tmp_path, SETTINGS)
        points = kill_twice_then_finish(target, ("run",), clean_run, seed=f"run-{seed}")
        emu.set_latency(None)
        assert target.pending() == [], points
        assert_same_outcome(clean_run.outcome, target.outcome())
        with target.store() as store:
            statuses = [r.status.value for r in store.runs()]
        # A killed run is settled as interrupted (the rerun records a run only if it writes).
        assert "interrupted" in statuses and "running" not in statuses, (points, statuses)
    finally:
        emu.stop()


# --------------------------------------------------------------------- bulk import and undo
@dataclass(frozen=True)
class Base:
    """A library after one `run --apply`, the state file of that run, and files to work with."""

    library: dict[str, Any]
    state: Path
    files: Mapping[str, str] = field(default_factory=dict)


def prepare(base: Base, folder: Path, settings: Mapping[str, str], **emulator: Any) -> Target:
    """``base`` in a new folder (state file and files copied) and a new emulator (caller stops)."""
    folder.mkdir()
    target = Target(serve(base.library, **emulator), folder, settings)
    copy_state(base.state, target.state)
    for name, text in base.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def from_base(tmp_path: Path) -> Iterator[Callable[..., Target]]:
    """``make(base, name, settings, **emulator_kwargs)``: ``prepare`` in this test's tmp_path."""
    made: list[Target] = []

    def make(base: Base, name: str, settings: Mapping[str, str], **emulator: Any) -> Target:
        made.append(prepare(base, tmp_path / name, settings, **emulator))
        return made[-1]

    yield make
    for target in made:
        target.emu.stop()


def edit_rows(rows: list[dict[str, str]], rng: random.Random) -> int:
    """Change a seeded sample of rows the ways a person does; returns how many rows changed."""
    rated = [r for r in rows if r["userRating"]]
    manual = [r for r in rated if r["ratingType"] == "manual"]
    inferred = [r for r in rated if r["ratingType"] == "inferred"]
    changed: set[str] = set()
    for row in rng.sample(rated, 160):
        new = rng.choice([x / 2 for x in range(1, 11) if x / 2 != float(row["userRating"])])
        row["userRating"] = f"{new:g}"
        changed.add(row["ratingKey"])
    for row in rng.sample([r for r in rated if r["ratingKey"] not in changed], 20):
        row["userRating"] = ""  # cleared
        changed.add(row["ratingKey"])
    for row in rng.sample([r for r in manual if r["ratingKey"] not in changed], 25):
        row["ratingType"] = "inferred"  # handed back to inference
        changed.add(row["ratingKey"])
    for row in rng.sample([r for r in inferred if r["ratingKey"] not in changed], 25):
        row["ratingType"] = "manual"  # claimed as the person's own
        changed.add(row["ratingKey"])
    return len(changed)


@pytest.fixture(scope="module")
def import_base(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Base:
    """The base with ``edited.csv``: a track export with 230 rows edited."""
    folder = tmp_path_factory.mktemp("import-base")
    emu = serve(library, at=PAST)  # the ratings exist before the person saves the file
    try:
        target = Target(emu, folder, SETTINGS)
        assert target.invoke_json("run", "--apply", "--yes")["status"] == "completed"
        export = target.invoke_json("bulk", "export", "--type", "track", "tracks.csv")
        assert export["rows"] == 500
        with (folder / "tracks.csv").open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = list(reader.fieldnames or [])
            rows = list(reader)
        assert edit_rows(rows, random.Random("bulk-edits")) == IMPORT_ROWS
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
        return Base(emu.dump(), target.state, {"edited.csv": buffer.getvalue()})
    finally:
        emu.stop()


IMPORT_ROWS = 230
IMPORT_SETTINGS = {**SETTINGS, "WRITE_BATCH_SIZE": "10"}


@pytest.mark.parametrize(
    ("mode", "plex_clock"),
    [("auto", FUTURE), ("edit", PAST + 3600)],
    # Plex's clock ahead of this machine's, as it must be after the file was saved; and behind
    # it, so that only plexrate's journal tells the rerun which rows the killed runs applied.
    ids=["auto-plex-clock-ahead", "edit-plex-clock-behind"],
)
def test_bulk_import_killed_twice_then_rerun_ends_like_an_uninterrupted_one(
    import_base: Base, from_base: Callable[..., Target], mode: str, plex_clock: float
) -> None:
    args = ("bulk", "import", "--type", "track", "edited.csv")
    settings = {**IMPORT_SETTINGS, "RATING_WRITE_MODE": mode}
    clean_target = from_base(import_base, "clean", settings, at=plex_clock)
    summary = clean_target.invoke_json(*args, "--apply", "--yes")
    assert summary["status"] == "completed"
    assert summary["planned"] == IMPORT_ROWS
    assert summary["stats"]["stale"] == 0
    assert summary["stats"]["inferred_edited"] > 0  # rows the rerun must not read as hand-backs
    stats = clean_target.emu.stats()
    clean = Work(clean_target.outcome(), stats.reads, stats.writes)
    assert clean.outcome.library != import_base.library

    target = from_base(import_base, "killed", settings, at=plex_clock, latency=LATENCY)
    points = kill_twice_then_finish(target, args, clean, seed=f"import-{mode}")
    target.emu.set_latency(None)
    assert target.pending() == [], points
    assert_same_outcome(clean.outcome, target.outcome())

    # Importing the same file once more changes nothing.
    target.emu.reset_stats()
    again = target.invoke_json(*args, "--apply", "--yes")
    assert (again["planned"], again["written"]) == (0, 0)
    assert target.emu.stats().writes == 0


@pytest.fixture(scope="module")
def undo_base(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Base:
    folder = tmp_path_factory.mktemp("undo-base")
    emu = serve(library)
    try:
        target = Target(emu, folder, SETTINGS)
        assert target.invoke_json("run", "--apply", "--yes")["status"] == "completed"
        return Base(emu.dump(), target.state)
    finally:
        emu.stop()


def ratings_and_moods(dump: dict[str, Any]) -> dict[int, tuple[Any, list[str]]]:
    section = next(s for s in dump["sections"] if s["type"] == "artist")
    return {
        item["ratingKey"]: (item.get("userRating"), sorted(item.get("moods", [])))
        for kind in ("artists", "albums", "tracks")
        for item in section[kind]
    }


@pytest.fixture(scope="module")
def clean_undo(
    library: dict[str, Any], undo_base: Base, tmp_path_factory: pytest.TempPathFactory
) -> Work:
    target = prepare(undo_base, tmp_path_factory.mktemp("undo") / "clean", SETTINGS)
    try:
        summary = target.invoke_json("admin", "undo", "--apply", "--yes")
        assert summary["status"] == "completed"
        assert summary["written"] > 300
        stats = target.emu.stats()
        clean = Work(target.outcome(), stats.reads, stats.writes)
    finally:
        target.emu.stop()
    assert clean.outcome.owned == {}
    # Undo gives back the ratings and moods plexrate first met (Plex's stamps and locks record
    # that it wrote, so the dumps themselves differ).
    assert ratings_and_moods(clean.outcome.library) == ratings_and_moods(library)
    return clean


@pytest.mark.parametrize("seed", [1, 2])
def test_undo_killed_twice_then_rerun_ends_like_an_uninterrupted_undo(
    undo_base: Base, clean_undo: Work, from_base: Callable[..., Target], seed: int
) -> None:
    target = from_base(undo_base, "killed", SETTINGS, latency=LATENCY)
    points = kill_twice_then_finish(target, ("admin", "undo"), clean_undo, seed=f"undo-{seed}")
    target.emu.set_latency(None)
    assert target.pending() == [], points
    assert_same_outcome(clean_undo.outcome, target.outcome())
