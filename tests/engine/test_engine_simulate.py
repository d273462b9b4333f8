"""simulate_apply: the library and ownership after a plan, computed without a server."""

from __future__ import annotations

import dataclasses

import pytest

from plexrate.engine import simulate_apply
from plexrate.model import Change, ItemType, OwnedItem, Phase, Plan
from tests.support.library import Lib, own


def library() -> Lib:
    lib = Lib()
    lib.artist(1, "A")
    lib.album(2, 1, rating=6.0)
    lib.track(3, 2)
    lib.track(4, 2, rating=5.0)
    lib.tag("rating_inferred", 2)
    return lib


def change(key: int, item_type: ItemType, **fields: object) -> Change:
    base = Change(
        key=key,
        item_type=item_type,
        title="t",
        phase=Phase.TRACK_DOWN,
        reason="r",
        before=None,
        after=None,
    )
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def test_ratings_tags_and_ownership_follow_the_plan() -> None:
    snapshot = library().snapshot()
    owned = own(snapshot, {2: 6.0, 4: 5.0})
    plan = Plan(
        changes=[
            change(
                3,
                ItemType.TRACK,
                after=7.5,
                add_tags=("Rating_Inferred", "Twin"),
                own=True,
                twin=True,
                phase=Phase.TWINS,
                guid="g3",
            ),
            change(
                2,
                ItemType.ALBUM,
                set_rating=False,
                before=6.0,
                after=6.0,
                remove_tags=("RATING_INFERRED",),
                own=False,
                phase=Phase.HIJACK,
            ),
            change(4, ItemType.TRACK, after=5.5, own=None),
        ]
    )
    after, claims = simulate_apply(snapshot, owned=owned, plan=plan)
    assert after.tracks[3].rating == 7.5
    assert after.albums[2].rating == 6.0
    assert after.tracks[4].rating == 5.5
    # The existing spelling is kept; Plex matches mood names case-insensitively.
    assert after.tagged["rating_inferred"] == frozenset({3})
    assert after.tagged["Twin"] == frozenset({3})
    assert claims == {
        3: OwnedItem(
            key=3, item_type=ItemType.TRACK, value=7.5, guid="g3", phase="twins", twin=True
        ),
        4: OwnedItem(key=4, item_type=ItemType.TRACK, value=5.5),
    }
    # The inputs are untouched.
    assert snapshot.tracks[3].rating is None
    assert snapshot.tagged["rating_inferred"] == frozenset({2})
    assert set(owned) == {2, 4}


def test_clearing_a_rating_drops_ownership() -> None:
    snapshot = library().snapshot()
    owned = own(snapshot, {2: 6.0})
    plan = Plan(changes=[change(2, ItemType.ALBUM, before=6.0, after=None, own=None)])
    after, claims = simulate_apply(snapshot, owned=owned, plan=plan)
    assert after.albums[2].rating is None
    assert claims == {}


def test_a_plan_for_an_unknown_item_is_an_error() -> None:
    with pytest.raises(ValueError, match="not in the library"):
        simulate_apply(
            library().snapshot(),
            owned={},
            plan=Plan(changes=[change(99, ItemType.TRACK, after=5.0)]),
        )
