"""Library scale: 300,000 owned items, and one transaction per journaled batch.

Timings are measured and reported (``record_property``; ``bench_state.py`` for the full figures),
never asserted: the machine running the suite decides them, not the code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from plexrate.model import ItemType, OwnedItem
from tests.state.state_helpers import change, open_store

ITEMS = 300_000


@pytest.mark.slow
def test_300k_owned_items_round_trip(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    types = (ItemType.ARTIST, ItemType.ALBUM, ItemType.TRACK)
    items = [
        OwnedItem(
            key=k,
            item_type=types[k % 3],
            value=(k % 101) / 10,
            guid=f"plex://track/{k:024x}",
            phase="track-down",
            twin=k % 7 == 0,
            written_at=1.7e9 + k,
        )
        for k in range(1, ITEMS + 1)
    ]
    with open_store(tmp_path / "state.sqlite") as store:
        start = time.perf_counter()
        store.set_owned(items, source="reconstruct")
        record_property("set_owned_300k_s", round(time.perf_counter() - start, 3))
        start = time.perf_counter()
        owned = store.owned()
        elapsed = time.perf_counter() - start
        record_property("owned_300k_s", round(elapsed, 3))
        print(f"\nowned() for {ITEMS:,} rows: {elapsed:.3f} s")
        assert len(owned) == ITEMS
        assert owned == {item.key: item for item in items}
        assert store.owned_count() == ITEMS


def test_a_batch_of_250_is_one_transaction_each(tmp_path: Path) -> None:
    with open_store(tmp_path / "state.sqlite") as store:
        run = store.begin_run(command="run")
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        ids = store.record_intents(run, [change(k) for k in range(1, 251)])
        intents_sql = list(statements)
        statements.clear()
        store.confirm(ids)
        confirm_sql = list(statements)
        store._conn.set_trace_callback(None)

    for sql in (intents_sql, confirm_sql):
        assert sum(s.startswith("BEGIN") for s in sql) == 1
        assert sum(s == "COMMIT" for s in sql) == 1
    # executemany: the insert is one prepared statement run 250 times, not 250 transactions
    assert sum(s.startswith("INSERT INTO journal") for s in intents_sql) == 250
    assert sum(s.startswith("UPDATE journal") for s in confirm_sql) == 250
    assert intents_sql[0].startswith("BEGIN") and intents_sql[-1] == "COMMIT"
    # Intents commit with the connection's FULL sync (fsync before any request is sent); the
    # confirmation skips its own fsync and restores FULL right after.
    assert confirm_sql[0] == "PRAGMA synchronous = NORMAL"
    assert confirm_sql[1].startswith("BEGIN") and confirm_sql[-2] == "COMMIT"
    assert confirm_sql[-1] == "PRAGMA synchronous = FULL"
    assert not any("synchronous" in s for s in intents_sql)
    assert store_sync(tmp_path / "state.sqlite") == 2  # FULL again after the confirmation


def store_sync(path: Path) -> int:
    with open_store(path) as store:
        run = store.begin_run(command="run")
        store.confirm(store.record_intents(run, [change(1)]))
        return int(store._conn.execute("PRAGMA synchronous").fetchone()[0])
