"""A year of nightly runs on one state file: its size, start-up and integrity-check time.

Simulates, at the StateStore (no Plex: what is measured is the state file), a first run that
infers most of a library, then one run a night that writes a few hundred items, each night a new
process: open the store as a writer (which runs the integrity check), write the night's changes in
journaled batches of 250, compact the journal (``JOURNAL_KEEP_RUNS``), close. Reports, for the
chosen nights, the file size, the time to open the store (the check included), the check alone,
SQLite's full integrity check and its quick check for comparison, and undo's ``original_values()``
(each the best of three).

    python -m benchmarks.state_years --tracks 50000 --nights 365 --keep 30 --keep 0
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from plexrate.model import Change, ItemType, Phase
from plexrate.state import RunStatus, StateStore, schema

LIBRARY = "bench-library"
TAG = "Rating_Inferred"
BATCH = 250
REPEAT = 3
"""Timings are the best of this many: the machine is shared, and the minimum is the cost."""


def _items(tracks: int) -> list[tuple[int, ItemType]]:
    """Tracks, plus an album per 12 tracks and an artist per 8 albums, as a library has."""
    albums = max(tracks // 12, 1)
    artists = max(albums // 8, 1)
    keys = [(k, ItemType.TRACK) for k in range(1, tracks + 1)]
    keys += [(1_000_000 + k, ItemType.ALBUM) for k in range(albums)]
    keys += [(2_000_000 + k, ItemType.ARTIST) for k in range(artists)]
    return keys


def _change(key: int, item_type: ItemType, before: float | None, after: float) -> Change:
    phase = {ItemType.TRACK: Phase.TRACK_DOWN, ItemType.ALBUM: Phase.ALBUM_UP}.get(
        item_type, Phase.ARTIST_UP
    )
    return Change(
        key=key,
        item_type=item_type,
        title=f"Some Artist — Some Album Title — Track Number {key}",
        phase=phase,
        reason="album rated 3.5★ from 7 of 11 tracks you rated; gravity 0.3 toward it",
        before=before,
        after=after,
        add_tags=(TAG,) if before is None else (),
        own=True,
        guid=f"plex://{item_type.value}/{key:024x}",
        year=1999,
    )


def _write(store: StateStore, changes: list[Change]) -> None:
    run = store.begin_run(command="run")
    for start in range(0, len(changes), BATCH):
        batch = changes[start : start + BATCH]
        ids = store.record_intents(run, batch)
        store.confirm(ids, readback={c.key: c.after for c in batch})
    store.finish_run(run, status=RunStatus.COMPLETED)


def _timed_checks(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    with closing(sqlite3.connect(path)) as conn:
        for name, check in (
            ("write_path_check_s", lambda c: schema.check_write_path(c, path)),
            ("full_integrity_check_s", schema.deep_check),
            ("quick_check_s", schema.quick_check),
        ):
            best = float("inf")
            for _ in range(REPEAT):
                started = time.perf_counter()
                assert check(conn) is None
                best = min(best, time.perf_counter() - started)
            out[name] = round(best, 3)
    return out


def _timed_open(path: Path) -> tuple[float, float]:
    """Opening the store as the next night's writer, best of ``REPEAT``: total and check."""
    best = (float("inf"), float("inf"))
    for _ in range(REPEAT):
        started = time.perf_counter()
        store = StateStore(path, library_uuid=LIBRARY, library_title="Music")
        seconds = time.perf_counter() - started
        assert store.deep_checked is None
        best = min(best, (seconds, store.check_seconds))
        store.close()
    return best


def simulate(
    folder: Path, *, tracks: int, nights: int, keep: int, seed: int
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    path = folder / f"state-keep{keep}.sqlite"
    items = _items(tracks)
    values: dict[int, float] = {}
    first = [(k, t) for k, t in items if rng.random() < 0.7]  # 70 % unrated: inferred
    report_nights = {1, 30, 90, 180, nights}
    figures: list[dict[str, Any]] = []
    for night in range(1, nights + 1):
        store = StateStore(path, library_uuid=LIBRARY, library_title="Music")
        try:
            if night == 1:
                changes = [_change(k, t, None, round(rng.uniform(1, 10), 1)) for k, t in first]
            else:
                picked = rng.sample(first, k=min(rng.randint(200, 400), len(first)))
                changes = [
                    _change(k, t, values.get(k), round(rng.uniform(1, 10), 1)) for k, t in picked
                ]
            _write(store, changes)
            values.update({c.key: c.after for c in changes if c.after is not None})
            if keep:
                store.compact(keep_runs=keep)
        finally:
            store.close()
        if night in report_nights:
            open_s, check_s = _timed_open(path)
            undo_s = float("inf")
            for _ in range(REPEAT):
                started = time.perf_counter()
                with StateStore(path, library_uuid=LIBRARY, readonly=True) as reader:
                    originals = len(reader.original_values())
                undo_s = min(undo_s, time.perf_counter() - started)
            row = {
                "night": night,
                "keep_runs": keep,
                "file_mb": round(path.stat().st_size / 1e6, 2),
                "open_s": round(open_s, 3),
                "check_at_open_s": round(check_s, 3),
                "original_values_s": round(undo_s, 3),
                "undo_items": originals,
                **_timed_checks(path),
            }
            figures.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--keep", type=int, action="append", help="JOURNAL_KEEP_RUNS (repeat)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    keeps = args.keep or [30, 0]
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        results = {
            "tracks": args.tracks,
            "nights": args.nights,
            "sqlite": sqlite3.sqlite_version,
            "python": platform.python_version(),
            "runs": [
                row
                for keep in keeps
                for row in simulate(
                    Path(tmp), tracks=args.tracks, nights=args.nights, keep=keep, seed=args.seed
                )
            ],
        }
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
