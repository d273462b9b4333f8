"""Builders shared by the StateStore tests."""

from __future__ import annotations

from pathlib import Path

from plexrate.model import Change, ItemType, Phase
from plexrate.state import RunStatus, StateStore

TAG = "Rating_Inferred"
LIBRARY = "5f1c0e5e-7a1b-4c33-9e55-000000000001"
OTHER_LIBRARY = "5f1c0e5e-7a1b-4c33-9e55-000000000002"


def change(
    key: int,
    *,
    after: float | None = 7.0,
    before: float | None = None,
    own: bool | None = True,
    set_rating: bool = True,
    add_tags: tuple[str, ...] = (TAG,),
    remove_tags: tuple[str, ...] = (),
    item_type: ItemType = ItemType.TRACK,
    phase: Phase = Phase.TRACK_DOWN,
    twin: bool = False,
    guid: str | None = None,
) -> Change:
    return Change(
        key=key,
        item_type=item_type,
        title=f"item {key}",
        phase=phase,
        reason="test",
        before=before,
        after=after,
        set_rating=set_rating,
        add_tags=add_tags,
        remove_tags=remove_tags,
        own=own,
        twin=twin,
        guid=f"plex://track/{key:024x}" if guid is None else guid,
    )


UNDO_SCHEMA_4 = (
    "DROP TRIGGER owned_stamp_insert; DROP TRIGGER owned_stamp_update; "
    "DROP TRIGGER owned_stamp_delete; DELETE FROM meta WHERE name = 'owned_stamp';"
)
"""SQL that takes a file back to what schema 3 made (the ownership stamp and its triggers)."""


def open_store(path: Path, library: str = LIBRARY, *, readonly: bool = False) -> StateStore:
    return StateStore(path, library_uuid=library, library_title="Music", readonly=readonly)


def write_and_confirm(
    store: StateStore,
    changes: list[Change],
    *,
    command: str = "run",
    readback: dict[int, float | None] | None = None,
) -> int:
    """One complete run whose every write landed; returns the run id."""
    run = store.begin_run(command=command)
    ids = store.record_intents(run, changes)
    store.confirm(ids, readback=readback)
    store.finish_run(run, status=RunStatus.COMPLETED)
    return run
