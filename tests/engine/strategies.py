"""Hypothesis strategies for small, messy libraries with an ownership record and settings.

``cases()`` draws a ``Case``: a snapshot whose items are in every state the engine must handle
(manual, inferred, inferred but slightly off, hijacked, cleared, unrated, tagged by a lost
state), titles and durations that form twins or trip the filler and twin rules, and a varied
``EngineConfig``. Reusable by any test that needs a library (reports, bulk, evaluate).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from hypothesis import strategies as st

from plexrate.engine.config import (
    ArtistEvidence,
    EngineConfig,
    FillerRules,
    InferenceModel,
    KeywordMatch,
    TwinRules,
)
from plexrate.model import (
    Album,
    Artist,
    ItemType,
    LibrarySnapshot,
    OwnedItem,
    Track,
    plex_rating,
)

K = TypeVar("K")
V = TypeVar("V")

INFERRED_TAG = "Rating_Inferred"
TWIN_TAG = "Twin"

# What a Plex server holds and the snapshot reads: one decimal (plex-api.md §7), never 0.
RATINGS = st.one_of(
    st.sampled_from([1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]),
    st.integers(min_value=1, max_value=100).map(lambda tenths: tenths / 10.0),
)
ARTISTS = [
    ("Alpha", "Alpha"),
    ("The Beta Band", "Beta Band"),
    ("Various Artists", "Various Artists"),
    ("Édith", "Édith"),
    ("4 Hero", "4 Hero"),
]
TITLES = [
    "Song",
    "song!",
    "Song (Live)",
    "Song [Remastered]",
    "Intro",
    "Don't Stop",
    "Dont Stop",
    "Live Wire",
    "Oliver",
    "Skit",
    "Other",
]
DURATIONS = [None, 20.0, 200.0, 201.0, 204.0, 230.0]
STATES = ["unrated", "unrated", "manual", "inferred", "drift", "hijacked", "cleared"]


@dataclass(frozen=True)
class Case:
    snapshot: LibrarySnapshot
    owned: dict[int, OwnedItem]
    config: EngineConfig


configs = st.builds(
    EngineConfig,
    confidence_c=st.sampled_from([0.5, 1.0, 3.0]),
    bias_critic=st.sampled_from([0.0, 1.5]),
    weight_critic=st.sampled_from([0.0, 3.0]),
    weight_global=st.sampled_from([1.0, 2.0]),
    album_gravity=st.sampled_from([0.0, 0.3, 0.8, 1.0]),
    track_gravity=st.sampled_from([0.0, 0.3]),
    dynamic_precision=st.booleans(),
    inferred_tag=st.sampled_from([INFERRED_TAG, ""]),
    artist_evidence=st.sampled_from(list(ArtistEvidence)),
    fill_without_evidence=st.booleans(),
    rating_step=st.sampled_from([0.0, 0.0, 0.2, 1.0, 2.0]),
    twins=st.builds(
        TwinRules,
        enabled=st.booleans(),
        exclude_parentheses=st.booleans(),
        exclude_live_albums=st.booleans(),
        twin_tag=st.sampled_from(["", TWIN_TAG]),
    ),
    filler=st.builds(
        FillerRules,
        enabled=st.booleans(),
        case_sensitive=st.booleans(),
        match=st.sampled_from(list(KeywordMatch)),
    ),
    inference_model=st.sampled_from(list(InferenceModel)),
)


def _state(draw: st.DrawFn, key: int, item_type: ItemType) -> tuple[float | None, OwnedItem | None]:
    """A rating and maybe an ownership claim, in one of the states of ``STATES``."""
    state = draw(st.sampled_from(STATES))
    if state == "unrated":
        return None, None
    value = draw(RATINGS)
    if state == "manual":
        return value, None
    if state == "cleared":
        return None, OwnedItem(key=key, item_type=item_type, value=value)
    if state == "inferred":
        return value, OwnedItem(key=key, item_type=item_type, value=value)
    if state == "drift":
        # The record keeps more precision than Plex does (an old tool's state file held
        # 6.8912); Plex holds that value at one decimal.
        exact = draw(st.floats(min_value=0.06, max_value=10.0).map(lambda v: round(v, 4)))
        return plex_rating(exact), OwnedItem(key=key, item_type=item_type, value=exact)
    other = draw(RATINGS.filter(lambda v: abs(v - value) > 0.05))
    return other, OwnedItem(key=key, item_type=item_type, value=value)


@st.composite
def cases(
    draw: st.DrawFn, *, max_artists: int = 3, max_albums: int = 3, max_tracks: int = 5
) -> Case:
    artists: dict[int, Artist] = {}
    albums: dict[int, Album] = {}
    tracks: dict[int, Track] = {}
    owned: dict[int, OwnedItem] = {}
    keys = iter(range(1, 10_000))

    def rated(key: int, item_type: ItemType) -> float | None:
        rating, claim = _state(draw, key, item_type)
        if claim is not None:
            owned[key] = claim
        return rating

    for _ in range(draw(st.integers(1, max_artists))):
        key = next(keys)
        title, sort_title = draw(st.sampled_from(ARTISTS))
        artists[key] = Artist(key, title, sort_title, rating=rated(key, ItemType.ARTIST))
        for _ in range(draw(st.integers(0, max_albums))):
            album_key = next(keys)
            album_title = draw(st.sampled_from(["Debut", "Hits (Deluxe)", "Live at Home"]))
            albums[album_key] = Album(
                album_key,
                album_title,
                album_title,
                key,
                title,
                rating=rated(album_key, ItemType.ALBUM),
                critic_rating=draw(st.sampled_from([None, None, 0.0, 6.5, 9.0])),
                live=draw(st.booleans()),
            )
            for number in range(draw(st.integers(0, max_tracks))):
                track_key = next(keys)
                seconds = draw(st.sampled_from(DURATIONS))
                tracks[track_key] = Track(
                    track_key,
                    draw(st.sampled_from(TITLES)),
                    album_key,
                    key,
                    album_title,
                    title,
                    track_artist=draw(st.sampled_from([None, None, "Guest"])),
                    duration_ms=None if seconds is None else int(seconds * 1000),
                    rating=rated(track_key, ItemType.TRACK),
                    index=number + 1,
                )

    every = sorted([*artists, *albums, *tracks])
    tagged = {
        INFERRED_TAG: frozenset(k for k in every if k in owned or draw(st.booleans())),
        TWIN_TAG: frozenset(k for k in every if draw(st.integers(0, 4)) == 0),
    }
    snapshot = LibrarySnapshot(
        library_uuid="hypothesis",
        section_id=1,
        section_title="Music",
        artists=MappingProxyType(artists),
        albums=MappingProxyType(albums),
        tracks=MappingProxyType(tracks),
        tagged=MappingProxyType(tagged),
    )
    return Case(snapshot=snapshot, owned=owned, config=draw(configs))


def shuffled(case: Case, seed: int) -> Case:
    """The same library and ownership with every mapping in a different insertion order."""
    rng = random.Random(seed)

    def mix(mapping: Mapping[K, V]) -> dict[K, V]:
        items = list(mapping.items())
        rng.shuffle(items)
        return dict(items)

    snapshot = case.snapshot
    return Case(
        snapshot=dataclasses.replace(
            snapshot,
            artists=MappingProxyType(mix(snapshot.artists)),
            albums=MappingProxyType(mix(snapshot.albums)),
            tracks=MappingProxyType(mix(snapshot.tracks)),
            tagged=MappingProxyType(mix(snapshot.tagged)),
        ),
        owned=mix(case.owned),
        config=case.config,
    )
