"""What undo reads from the StateStore beyond ``before``: phase, twin, ownership, tags removed."""

from __future__ import annotations

from pathlib import Path

from plexrate.model import Change, ItemType, Phase
from plexrate.state import RunStatus, StateStore

UUID = "admin-store-test"
TAG = "Rating_Inferred"
TWIN = "Twin"


def change(
    key: int,
    *,
    phase: Phase,
    before: float | None = None,
    after: float | None = 7.0,
    set_rating: bool = True,
    add: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
    own: bool | None = True,
    twin: bool = False,
) -> Change:
    return Change(
        key=key,
        item_type=ItemType.TRACK,
        title=f"track {key}",
        phase=phase,
        reason="test",
        before=before,
        after=after if set_rating else before,
        set_rating=set_rating,
        add_tags=add,
        remove_tags=remove,
        own=own,
        twin=twin,
        guid=f"plex://track/{key}",
    )


def write(store: StateStore, changes: list[Change]) -> int:
    run = store.begin_run(command="test")
    store.confirm(store.record_intents(run, changes))
    store.finish_run(run, status=RunStatus.COMPLETED)
    return run


def test_original_values_carry_phase_twin_ownership_and_removed_tags(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite", library_uuid=UUID) as store:
        run1 = write(
            store,
            [
                change(1, phase=Phase.TWINS, add=(TAG, TWIN), twin=True),
                change(2, phase=Phase.TRACK_DOWN, add=(TAG,), remove=(TWIN,)),
                change(3, phase=Phase.SYNC_TAGS, set_rating=False, add=(TAG,), own=None),
                change(4, phase=Phase.SYNC_TAGS, set_rating=False, remove=(TAG,), own=None),
            ],
        )
        run2 = write(
            store,
            [
                change(1, phase=Phase.UNDO, before=7.0, after=None, remove=(TAG, TWIN), own=False),
                change(
                    2, phase=Phase.HIJACK, before=5.0, set_rating=False, remove=(TAG,), own=False
                ),
                change(3, phase=Phase.SYNC_TAGS, set_rating=False, remove=(TAG,), own=None),
            ],
        )
        write(
            store,
            [
                change(3, phase=Phase.SYNC_TAGS, set_rating=False, add=(TAG,), own=None),
                change(4, phase=Phase.SYNC_TAGS, set_rating=False, add=(TAG,), own=None),
            ],
        )

        first = store.original_values(run_id=run1)
        assert (first[1].rating_phase, first[1].rating_twin, first[1].own) == ("twins", True, True)
        assert first[1].tags_added == (TAG, TWIN)
        assert first[1].superseded_by == run2
        assert (first[2].tags_added, first[2].tags_removed) == ((TAG,), (TWIN,))
        assert (first[3].rating_phase, first[3].own, first[3].wrote_rating) == ("", None, False)

        second = store.original_values(run_id=run2)
        assert (second[1].rating_phase, second[1].before, second[1].own) == ("undo", 7.0, False)
        assert second[1].tags_removed == (TAG, TWIN)
        assert (second[2].wrote_rating, second[2].own, second[2].tags_removed) == (
            False,
            False,
            (TAG,),
        )

        everything = store.original_values()
        assert (everything[1].rating_phase, everything[1].before) == ("twins", None)
        assert (everything[1].tags_added, everything[1].tags_removed) == ((), ())
        assert everything[1].own is False  # the last word on ownership: the undo gave it up
        assert (everything[2].tags_added, everything[2].tags_removed) == ((), (TWIN,))
        assert (everything[3].tags_added, everything[3].tags_removed) == ((TAG,), ())
        # Removed and put back later in scope: it was there before, so there is nothing to undo.
        assert (everything[4].tags_added, everything[4].tags_removed) == ((), ())


def test_owned_guids_maps_every_owned_key_to_its_guid(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite", library_uuid=UUID) as store:
        assert store.owned_guids() == {}
        write(store, [change(5, phase=Phase.TRACK_DOWN), change(6, phase=Phase.TRACK_DOWN)])
        assert store.owned_guids() == {5: "plex://track/5", 6: "plex://track/6"}
