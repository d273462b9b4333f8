"""A plan limited to some items is the whole plan's changes of those items (``only``).

``plexrate watch`` writes what a rating reaches (its album, artist and their tracks) from such a
plan before it works out the rest of the library (issue 23): the two must never disagree."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexrate.engine.config import EngineConfig, InferenceModel
from plexrate.engine.index import LibraryIndex
from plexrate.engine.infer import infer, scope_closure
from plexrate.engine.plan import build_plan
from plexrate.model import INFERENCE_PHASES, OwnedItem, Phase
from tests.engine.strategies import Case, cases
from tests.support.library import Lib


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(max_artists=4, max_albums=3, max_tracks=5), data=st.data())
def test_a_limited_plan_is_the_whole_plans_changes_of_its_items(
    case: Case, data: st.DataObject
) -> None:
    snapshot = case.snapshot
    index = LibraryIndex.build(snapshot, case.config)
    every = sorted([*snapshot.artists, *snapshot.albums, *snapshot.tracks])
    keys = set(data.draw(st.lists(st.sampled_from(every), max_size=6), label="keys"))
    copy: bool = data.draw(st.booleans(), label="a copy")
    if index.twin_groups and copy:
        # One copy of a recording, not the others: the case a closure must not get wrong.
        group = data.draw(st.sampled_from(index.twin_groups), label="group")
        keys.add(data.draw(st.sampled_from(group.members), label="member"))
    album: bool = data.draw(st.booleans(), label="an album")
    if snapshot.albums and album:
        # An album without its artist: Album-Down gives it what Artist-Up gave the artist.
        keys.add(data.draw(st.sampled_from(sorted(snapshot.albums)), label="album"))
    phases = data.draw(
        st.sampled_from([INFERENCE_PHASES] * 3 + [(p,) for p in INFERENCE_PHASES]), label="phases"
    )
    whole = build_plan(snapshot, owned=case.owned, config=case.config, phases=phases)
    limited = build_plan(snapshot, owned=case.owned, config=case.config, phases=phases, only=keys)
    closure = scope_closure(snapshot, index, keys)
    assert keys <= closure
    assert limited.changes == [c for c in whole.changes if c.key in closure]
    assert limited.stats["changes"] == len(limited.changes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_a_plan_limited_to_every_item_is_the_whole_plan(case: Case) -> None:
    snapshot = case.snapshot
    every = frozenset([*snapshot.artists, *snapshot.albums, *snapshot.tracks])
    whole = build_plan(snapshot, owned=case.owned, config=case.config)
    limited = build_plan(snapshot, owned=case.owned, config=case.config, only=every)
    assert limited.changes == whole.changes


def test_the_closure_takes_in_copies_albums_and_artists() -> None:
    lib = Lib()
    lib.artist(1, "Alpha")
    lib.album(10, 1, "Debut")
    lib.album(11, 1, "Other Album")
    lib.track(100, 10, "Song", seconds=200.0)
    lib.track(101, 10, "Other", seconds=150.0)
    lib.track(110, 11, "Song", seconds=201.0)
    snapshot = lib.snapshot()
    index = LibraryIndex.build(snapshot, EngineConfig())
    assert any(set(g.members) == {100, 110} for g in index.twin_groups)
    assert scope_closure(snapshot, index, {100}) == {100, 110, 10, 11, 1}
    assert scope_closure(snapshot, index, {101}) == {101, 10, 1}
    assert scope_closure(snapshot, index, {11}) == {11, 1}


def test_an_album_alone_gets_what_its_artist_is_given_in_the_same_run() -> None:
    """Album-Down under the classic model: the album takes the value Artist-Up gives its artist
    in this run, so a plan limited to the album must run Artist-Up for that artist too."""
    lib = Lib()
    lib.artist(1, "Alpha")
    lib.album(10, 1, "Rated")
    lib.album(11, 1, "Unrated")
    for n in range(4):
        lib.track(100 + n, 10, f"Song {n}", rating=10.0)
    lib.track(110, 11, "Other")
    snapshot = lib.snapshot()
    config = EngineConfig(inference_model=InferenceModel.CLASSIC)
    whole = build_plan(snapshot, owned={}, config=config)
    limited = build_plan(snapshot, owned={}, config=config, only={11})
    album = [c for c in whole.changes if c.key == 11]
    assert album and album[0].phase is Phase.ALBUM_DOWN
    assert [c for c in limited.changes if c.key == 11] == album


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_reusing_a_limited_inferences_fit_plans_what_fitting_again_plans(case: Case) -> None:
    snapshot, owned, config = case.snapshot, case.owned, case.config
    limited = infer(snapshot, owned=owned, config=config, only=set(list(snapshot.tracks)[:2]))
    again = infer(snapshot, owned=owned, config=config, reuse=limited)
    assert again.model is limited.model
    assert build_plan(snapshot, owned=owned, config=config, inference=again) == build_plan(
        snapshot, owned=owned, config=config
    )


def test_an_inference_of_other_inputs_is_not_reused() -> None:
    lib = Lib()
    lib.artist(1, "Alpha")
    lib.album(10, 1, "Debut")
    lib.track(100, 10, "Song", rating=8.0)
    snapshot = lib.snapshot()
    config = EngineConfig()
    owned: dict[int, OwnedItem] = {}
    first = infer(snapshot, owned=owned, config=config)
    assert infer(snapshot, owned=owned, config=config, reuse=first).model is first.model
    with pytest.raises(ValueError, match="other inputs"):
        infer(snapshot, owned={}, config=config, reuse=first)  # another ownership record
    with pytest.raises(ValueError, match="other inputs"):
        infer(lib.snapshot(), owned=owned, config=config, reuse=first)  # another read
