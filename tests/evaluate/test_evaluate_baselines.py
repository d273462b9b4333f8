"""The baselines: plain means of the visible manual ratings, with the library mean as fallback."""

from __future__ import annotations

import pytest

from plexrate.evaluate import Baseline, Guess, baseline_guesses
from tests.evaluate.evalkit import evaluate_lib
from tests.support.library import Lib


def library() -> Lib:
    lib = evaluate_lib()
    lib.artist(1, "A")
    lib.album(10, 1, "X")
    lib.track(100, 10, rating=8.0)
    lib.track(101, 10, rating=6.0)
    lib.track(102, 10)
    lib.track(103, 10, rating=4.0)
    lib.album(11, 1, "Y")
    lib.track(110, 11, rating=10.0)
    lib.artist(2, "B")
    lib.album(20, 2, "Z")
    lib.track(200, 20, rating=2.0)
    return lib


def test_means_use_only_the_visible_ratings() -> None:
    tracks = library().snapshot().tracks

    guesses = baseline_guesses(tracks, visible=[100, 101, 110], hidden=[103, 200])

    # Library (8 + 6 + 10) / 3 = 8; album X (8 + 6) / 2 = 7; artist A (8 + 6 + 10) / 3 = 8.
    assert guesses[103] == (Guess(8.0), Guess(7.0), Guess(8.0))
    # Nothing visible on Z or by B: both fall back to the library mean.
    assert guesses[200] == (Guess(8.0), Guess(8.0, fallback=True), Guess(8.0, fallback=True))
    assert list(Baseline) == [Baseline.LIBRARY_MEAN, Baseline.ALBUM_MEAN, Baseline.ARTIST_MEAN]


def test_the_artist_mean_spans_the_artists_albums() -> None:
    tracks = library().snapshot().tracks

    guesses = baseline_guesses(tracks, visible=[100, 103, 200], hidden=[110])

    # Y has nothing visible: the album mean falls back to the library mean (8 + 4 + 2) / 3;
    # the artist mean takes A's tracks on X: (8 + 4) / 2.
    library_mean, album, artist = guesses[110]
    assert library_mean.value == pytest.approx(14 / 3)
    assert album.value == pytest.approx(14 / 3)
    assert album.fallback
    assert artist == Guess(6.0)


def test_without_any_visible_rating_the_library_mean_is_the_default_prior() -> None:
    tracks = library().snapshot().tracks

    guesses = baseline_guesses(tracks, visible=[102], hidden=[100])

    assert guesses[100] == (Guess(6.0), Guess(6.0, fallback=True), Guess(6.0, fallback=True))
