"""Which line of evidence filled each hidden track, read from the inference's structure."""

from __future__ import annotations

from dataclasses import replace

from plexrate.engine import ArtistEvidence, EngineConfig, InferenceModel, infer
from plexrate.evaluate import FillPath, PathFinder
from plexrate.model import ItemType, OwnedItem
from tests.evaluate.evalkit import evaluate_lib
from tests.support.library import Lib

HIDDEN = {101, 110, 120, 200, 300, 410, 510}


def library() -> Lib:
    lib = evaluate_lib()
    lib.artist(1, "A1")
    lib.album(10, 1)  # its other rated track makes it an Album-Up album
    lib.track(100, 10, rating=8.0)
    lib.track(101, 10, rating=6.0)
    lib.album(11, 1, rating=9.0)  # rated by hand
    lib.track(110, 11, rating=7.0)
    lib.album(12, 1)  # nothing of its own: Album-Down from A1, who has evidence
    lib.track(120, 12, rating=5.0)
    lib.artist(2, "A2", rating=8.0)  # a manual artist
    lib.album(20, 2)
    lib.track(200, 20, rating=6.0)
    lib.artist(3, "A3")  # no evidence anywhere
    lib.album(30, 3)
    lib.track(300, 30, rating=4.0)
    lib.artist(4, "A4")
    lib.album(40, 4)
    lib.track(400, 40, "Same Song", rating=9.0)
    lib.album(41, 4)
    lib.track(410, 41, "Same Song", rating=9.0)  # a twin of 400
    lib.artist(5, "A5")
    lib.album(50, 5)
    lib.track(500, 50, rating=7.0)
    lib.album(51, 5)  # from A5, whose only evidence is album 50 as Album-Up derives it
    lib.track(510, 51, rating=5.0)
    return lib


def paths(config: EngineConfig, owned: dict[int, OwnedItem] | None = None) -> dict[int, FillPath]:
    snapshot = library().snapshot()
    inference = infer(snapshot, owned=owned or {}, config=config, hidden=HIDDEN)
    finder = PathFinder(inference)
    return {key: finder.track(key) for key in sorted(HIDDEN)}


def test_every_path_with_the_default_settings() -> None:
    assert paths(EngineConfig(inference_model=InferenceModel.CLASSIC)) == {
        101: FillPath.ALBUM_TRACKS,
        110: FillPath.MANUAL_ALBUM,
        120: FillPath.ARTIST,
        200: FillPath.ARTIST,
        300: FillPath.PRIOR,
        410: FillPath.TWINS,
        510: FillPath.ARTIST,
    }


def test_derived_albums_are_evidence_only_under_artist_evidence_derived() -> None:
    found = paths(
        EngineConfig(inference_model=InferenceModel.CLASSIC, artist_evidence=ArtistEvidence.MANUAL)
    )

    # A5 has no album rated by hand, so under the old rule Artist-Up gives it only μ.
    assert found[510] is FillPath.PRIOR
    # A1 has a manual album either way.
    assert found[120] is FillPath.ARTIST


def test_without_fill_a_track_with_no_evidence_stays_unfilled_or_keeps_an_old_value() -> None:
    config = replace(
        EngineConfig(inference_model=InferenceModel.CLASSIC), fill_without_evidence=False
    )
    # Album 30 holds a value plexrate wrote earlier; nothing recomputes it without evidence.
    lib = library()
    lib.albums[30] = replace(lib.albums[30], rating=7.0)
    snapshot = lib.snapshot()
    owned = {30: OwnedItem(30, ItemType.ALBUM, 7.0)}

    kept = PathFinder(infer(snapshot, owned=owned, config=config, hidden=HIDDEN))
    unfilled = PathFinder(infer(library().snapshot(), owned={}, config=config, hidden=HIDDEN))

    assert kept.track(300) is FillPath.KEPT
    assert unfilled.track(300) is FillPath.UNFILLED
    assert kept.inference.values[300] == 7.0
    assert 300 not in unfilled.inference.values
