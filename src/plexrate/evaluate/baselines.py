"""Simple predictors to measure plexrate against, computed on the same folds.

Each sees only the manual track ratings its fold leaves visible, as plexrate does, and uses every
one of them: these are plain means, without plexrate's filler rule, prior or shrinkage.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from plexrate.engine.maths import DEFAULT_PRIOR
from plexrate.model import Track


class Baseline(StrEnum):
    LIBRARY_MEAN = "library-mean"
    """The mean of every visible manual track rating."""
    ALBUM_MEAN = "album-mean"
    """The mean of the visible manual ratings on the track's album; else the library mean."""
    ARTIST_MEAN = "artist-mean"
    """The mean of the visible manual ratings of the album artist's tracks, on any of their
    albums; else the library mean."""


@dataclass(frozen=True, slots=True)
class Guess:
    value: float
    fallback: bool = False
    """The baseline had nothing of its own (no visible rating on the album or by the artist) and
    gave the library mean instead."""


def baseline_guesses(
    tracks: Mapping[int, Track],
    *,
    visible: Iterable[int],
    hidden: Iterable[int],
) -> dict[int, tuple[Guess, ...]]:
    """Each hidden track's guess by every baseline, in ``Baseline`` order.

    ``visible`` are the manual tracks the fold leaves rated; their ratings are the only input.
    With no visible rating at all the library mean is 6.0, as for the engine's prior.
    """
    ratings: list[float] = []
    by_album: dict[int, list[float]] = {}
    by_artist: dict[int, list[float]] = {}
    for key in visible:
        track = tracks[key]
        rating = track.rating
        if rating is None:
            continue
        ratings.append(rating)
        by_album.setdefault(track.album_key, []).append(rating)
        by_artist.setdefault(track.artist_key, []).append(rating)
    library = _mean(ratings) if ratings else DEFAULT_PRIOR
    album_means = {key: _mean(values) for key, values in by_album.items()}
    artist_means = {key: _mean(values) for key, values in by_artist.items()}
    fallback = Guess(library, fallback=True)
    plain = Guess(library)

    guesses: dict[int, tuple[Guess, ...]] = {}
    for key in hidden:
        track = tracks[key]
        album = album_means.get(track.album_key)
        artist = artist_means.get(track.artist_key)
        guesses[key] = (
            plain,
            fallback if album is None else Guess(album),
            fallback if artist is None else Guess(artist),
        )
    return guesses


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)
