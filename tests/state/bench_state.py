"""Measure the StateStore at library scale: ``python tests/state/bench_state.py [--items N]``.

Prints one JSON object: seconds for a 300,000-item reconstruct (``set_owned``), for ``owned()``
(best of three), per batch of 250 for ``record_intents`` and ``confirm`` during a full journaled
run over every item (mean and 95th percentile), for ``original_values()`` over that journal, and
the file size. The figures are reported in ``docs/state.md``; the test suite asserts behaviour at
this scale (``test_state_scale.py``), not timings.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from plexrate.model import Change, ItemType, OwnedItem, Phase
from plexrate.state import RunStatus, StateStore

LIBRARY = "bench-library"


def _owned(n: int) -> list[OwnedItem]:
    return [
        OwnedItem(
            key=k,
            item_type=ItemType.TRACK,
            value=1.0 + (k % 90) / 10,
            guid=f"plex://track/{k:024x}",
            phase="track-down",
            written_at=1.7e9,
        )
        for k in range(1, n + 1)
    ]


def _changes(keys: range) -> list[Change]:
    return [
        Change(
            key=k,
            item_type=ItemType.TRACK,
            title=f"Track {k}",
            phase=Phase.TRACK_DOWN,
            reason="inherits its album",
            before=None,
            after=1.0 + (k % 90) / 10,
            add_tags=("Rating_Inferred",),
            own=True,
            guid=f"plex://track/{k:024x}",
        )
        for k in keys
    ]


def _p95(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95)]


def bench(items: int, batch: int, folder: Path) -> dict[str, object]:
    results: dict[str, object] = {
        "items": items,
        "batch": batch,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    reconstructed = folder / "reconstruct.sqlite"
    with StateStore(reconstructed, library_uuid=LIBRARY) as store:
        rows = _owned(items)
        start = time.perf_counter()
        store.set_owned(rows, source="bench")
        results["set_owned_s"] = round(time.perf_counter() - start, 3)
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            owned = store.owned()
            timings.append(time.perf_counter() - start)
        assert len(owned) == items
        results["owned_s"] = round(min(timings), 3)

    journaled = folder / "run.sqlite"
    with StateStore(journaled, library_uuid=LIBRARY) as store:
        run = store.begin_run(command="run")
        record, confirm = [], []
        for first in range(1, items + 1, batch):
            changes = _changes(range(first, min(first + batch, items + 1)))
            start = time.perf_counter()
            ids = store.record_intents(run, changes)
            middle = time.perf_counter()
            store.confirm(ids)
            record.append(middle - start)
            confirm.append(time.perf_counter() - middle)
        store.finish_run(run, status=RunStatus.COMPLETED)
        results["record_intents_ms"] = {
            "mean": round(statistics.mean(record) * 1000, 2),
            "p95": round(_p95(record) * 1000, 2),
        }
        results["confirm_ms"] = {
            "mean": round(statistics.mean(confirm) * 1000, 2),
            "p95": round(_p95(confirm) * 1000, 2),
        }
        start = time.perf_counter()
        values = store.original_values()
        results["original_values_s"] = round(time.perf_counter() - start, 3)
        assert len(values) == items
        start = time.perf_counter()
        owned = store.owned()
        results["owned_after_run_s"] = round(time.perf_counter() - start, 3)
        assert len(owned) == items
    results["file_mb_after_run"] = round(journaled.stat().st_size / 1e6, 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=250)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        print(json.dumps(bench(args.items, args.batch, Path(folder)), indent=2))


if __name__ == "__main__":
    main()
