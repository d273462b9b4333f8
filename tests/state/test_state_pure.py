"""The store's pure parts on plain records, without a database: ownership transitions and the
undo fold (the store's own tests cover them through SQLite)."""

from __future__ import annotations

import json
from typing import Any

from plexrate.model import ItemType
from plexrate.state import EntryStatus, JournalEntry
from plexrate.state.ownership import ownership_after
from plexrate.state.undo_fold import UndoRecord, fold


def _entry(key: int, *, own: bool | None, after: float | None, entry_id: int = 1) -> JournalEntry:
    return JournalEntry(
        id=entry_id,
        run_id=7,
        key=key,
        item_type=ItemType.ALBUM,
        title=f"album {key}",
        guid=f"plex://album/{key}",
        phase="up-albums",
        reason="",
        set_rating=after is not None,
        before=None,
        after=after,
        add_tags=(),
        remove_tags=(),
        own=own,
        twin=False,
        year=None,
        status=EntryStatus.CONFIRMED,
        recorded_at=1.0,
    )


def test_a_claim_takes_the_value_read_back_and_a_later_entry_gives_it_back() -> None:
    change = ownership_after(
        [_entry(1, own=True, after=7.0), _entry(2, own=True, after=6.0, entry_id=2)],
        {},
        {1: 7.5},
        now=100.0,
    )
    assert change.claimed
    assert change.rows[1] == (1, "album", 7.5, "plex://album/1", "up-albums", 0, 7, 100.0)
    assert change.rows[2] is not None and change.rows[2][2] == 6.0

    owned = {1: change.rows[1]}
    released = ownership_after([_entry(1, own=False, after=None, entry_id=3)], owned, {}, 200.0)
    assert released.rows == {1: None}
    assert not released.claimed


def test_a_write_to_an_item_plexrate_does_not_own_changes_no_ownership() -> None:
    change = ownership_after([_entry(5, own=None, after=8.0)], {}, {}, 100.0)
    assert change.rows == {}
    assert not change.claimed


def _row(run: int, key: int, after: float, added: list[str], removed: list[str]) -> tuple[Any, ...]:
    # FOLD_COLUMNS: run_id, key, item_type, guid, set_rating, before, after, readback,
    # add_tags, remove_tags, phase, own, twin
    return (
        run,
        key,
        "track",
        f"g{key}",
        1,
        None if run == 1 else after - 1,
        after,
        None,
        json.dumps(added),
        json.dumps(removed),
        "down-tracks",
        1,
        0,
    )


def test_folding_from_a_compacted_record_sees_what_folding_everything_sees() -> None:
    rows = [
        _row(1, 9, 6.0, ["Inferred"], []),
        _row(2, 9, 7.0, ["Twin"], ["Inferred"]),
        _row(3, 9, 8.0, ["Inferred"], []),
    ]
    whole: dict[int, UndoRecord] = {}
    fold(whole, rows)

    prefix: dict[int, UndoRecord] = {}
    fold(prefix, rows[:2])
    resumed = {9: UndoRecord.from_compact_row(prefix[9].compact_row())}
    fold(resumed, rows[2:])

    assert resumed[9].value(None) == whole[9].value(None)
    assert whole[9].value(None).tags_added == ("Inferred", "Twin")
    assert whole[9].value(None).before is None
    assert whole[9].value(None).last_written == 8.0
