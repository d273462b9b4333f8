"""Everything about a snapshot that does not depend on ratings, computed once.

``plexrate evaluate`` calls ``infer`` hundreds of times on one snapshot with different hidden
ratings; the tree structure, the filler flags and the twin candidate groups are the same each time,
so they live here and ``infer`` only walks ratings.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from plexrate.engine.config import EngineConfig, FillerRules, KeywordMatch, TwinRules
from plexrate.engine.gc_pause import paused_gc
from plexrate.engine.text import (
    KeywordMatcher,
    clean_title,
    has_brackets,
    sort_form,
    strip_trailing_brackets,
)
from plexrate.model import Album, Artist, LibrarySnapshot, Track

VARIOUS_ARTISTS = "various artists"


@dataclass(frozen=True, slots=True)
class TwinCandidates:
    """One recording that appears more than once: tracks by one artist with one cleaned title.

    ``members`` are in key order and within the duration tolerance of the group's median;
    ``dropped`` were grouped by name but left out (no duration, or too far from the median).
    """

    artist: str
    title: str
    members: tuple[int, ...]
    dropped: tuple[int, ...] = ()
    median_ms: float = 0.0


@dataclass(frozen=True, slots=True, eq=False)
class LibraryIndex:
    snapshot: LibrarySnapshot
    filler_rules: FillerRules
    twin_rules: TwinRules
    artist_keys: tuple[int, ...]
    album_keys: tuple[int, ...]
    track_keys: tuple[int, ...]
    albums_by_artist: Mapping[int, tuple[int, ...]]
    tracks_by_album: Mapping[int, tuple[int, ...]]
    filler: frozenset[int]
    """Tracks the UPWARD_EXCLUSION_RULES exclude from evidence and from μ (empty when disabled)."""
    twin_groups: tuple[TwinCandidates, ...]
    artist_form: Mapping[int, str]
    """Per artist key: its sort title casefolded without accents (Plex's ``titleSort``, so "The
    Beatles" is "beatles"). Artists that albums or tracks name but the snapshot lacks are
    included, under the album's or track's artist name."""
    artist_rank: Mapping[int, int]
    album_rank: Mapping[int, int]
    """Positions in library order: artist sort title, then album sort title, then key."""

    @classmethod
    def build(cls, snapshot: LibrarySnapshot, config: EngineConfig) -> LibraryIndex:
        previous = _last_built[0] if _last_built else None
        if (
            previous is not None
            and previous.filler_rules == config.filler
            and previous.twin_rules == config.twins
            and _same_structure(previous.snapshot, snapshot)
        ):
            index = replace(previous, snapshot=snapshot)
        else:
            with paused_gc():
                index = cls._build(snapshot, config)
        _last_built[:] = [index]
        return index

    @classmethod
    def _build(cls, snapshot: LibrarySnapshot, config: EngineConfig) -> LibraryIndex:
        artist_keys = tuple(sorted(snapshot.artists))
        album_keys = tuple(sorted(snapshot.albums))
        track_keys = tuple(sorted(snapshot.tracks))

        albums_by_artist: dict[int, list[int]] = {}
        for key in album_keys:
            albums_by_artist.setdefault(snapshot.albums[key].artist_key, []).append(key)
        tracks_by_album: dict[int, list[int]] = {}
        for key in track_keys:
            tracks_by_album.setdefault(snapshot.tracks[key].album_key, []).append(key)
        forms, artist_rank, album_rank = _library_order(snapshot, album_keys, track_keys)
        by_album = {k: tuple(v) for k, v in tracks_by_album.items()}

        return cls(
            snapshot=snapshot,
            filler_rules=config.filler,
            twin_rules=config.twins,
            artist_keys=artist_keys,
            album_keys=album_keys,
            track_keys=track_keys,
            albums_by_artist={k: tuple(v) for k, v in albums_by_artist.items()},
            tracks_by_album=by_album,
            filler=_filler_tracks(snapshot, track_keys, config.filler),
            twin_groups=_twin_groups(snapshot, by_album, config.twins),
            artist_form=forms,
            artist_rank=artist_rank,
            album_rank=album_rank,
        )

    def matches(self, snapshot: LibrarySnapshot, config: EngineConfig) -> bool:
        """Whether this index was built for ``snapshot`` with the rules in ``config``."""
        return (
            self.snapshot is snapshot
            and self.filler_rules == config.filler
            and self.twin_rules == config.twins
        )


# What a record may change without changing anything the index holds: its ratings and play
# counts. None of these is read to build an index (tests/engine/test_engine_index_reuse.py).
VOLATILE_FIELDS = frozenset(
    {"rating", "rated_at", "plays", "skips", "last_played", "popularity", "critic_rating"}
)
# ``plexrate watch`` plans every cycle on a library that differs from the last by a few ratings;
# building the index again cost seconds at 300,000 tracks. The last index built is carried over
# to a snapshot whose records differ from its own in volatile fields only. Unchanged records are
# the very same objects from one read to the next (the snapshot cache hands them back), so the
# check is an identity test for all but the few that changed; past a share of changed records a
# fresh build is cheaper than comparing them.
_last_built: list[LibraryIndex] = []
_MAX_COMPARED = 0.05


def _same_records(before: Mapping[int, Any], after: Mapping[int, Any]) -> bool:
    # Record by record even when both are one mapping: it may have been changed in place.
    if len(before) != len(after):
        return False
    budget = max(100, int(len(after) * _MAX_COMPARED))
    for key, record in after.items():
        old = before.get(key)
        if old is record:
            continue
        budget -= 1
        if old is None or budget < 0:
            return False
        if replace(old, **{f: getattr(record, f) for f in _VOLATILE_OF[type(record)]}) != record:
            return False
    return True


_VOLATILE_OF: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls) if f.name in VOLATILE_FIELDS)
    for cls in (Artist, Album, Track)
}


def _same_structure(before: LibrarySnapshot, after: LibrarySnapshot) -> bool:
    """Whether ``after`` differs from ``before`` in nothing but volatile fields."""
    return (
        _same_records(before.artists, after.artists)
        and _same_records(before.albums, after.albums)
        and _same_records(before.tracks, after.tracks)
    )


def _library_order(
    snapshot: LibrarySnapshot, album_keys: tuple[int, ...], track_keys: tuple[int, ...]
) -> tuple[dict[int, str], dict[int, int], dict[int, int]]:
    forms = {k: sort_form(a.sort_title or a.title) for k, a in snapshot.artists.items()}
    albums = snapshot.albums
    for key in album_keys:
        album = albums[key]
        if album.artist_key not in forms:
            forms[album.artist_key] = sort_form(album.artist_title)
    tracks = snapshot.tracks
    for key in track_keys:
        track = tracks[key]
        if track.artist_key not in forms:
            forms[track.artist_key] = sort_form(track.album_artist)
    artist_rank = {k: i for i, k in enumerate(sorted(forms, key=lambda k: (forms[k], k)))}

    def album_order(key: int) -> tuple[int, str, int]:
        album = albums[key]
        return (artist_rank[album.artist_key], sort_form(album.sort_title or album.title), key)

    album_rank = {k: i for i, k in enumerate(sorted(album_keys, key=album_order))}
    return forms, artist_rank, album_rank


def is_filler(track: Track, rules: FillerRules, matcher: KeywordMatcher) -> bool:
    """Short tracks and titled interludes: not evidence, not part of μ. No duration = not short."""
    if not rules.enabled:
        return False
    if track.duration_ms is not None and track.duration_ms < rules.min_duration_sec * 1000.0:
        return True
    return matcher(track.title)


def filler_matcher(rules: FillerRules, *, match: KeywordMatch | None = None) -> KeywordMatcher:
    """The keyword test of the filler rules (``match`` overrides UPWARD_EXCLUSION_RULES.MATCH)."""
    chosen = rules.match if match is None else match
    return KeywordMatcher(
        rules.keywords,
        case_sensitive=rules.case_sensitive,
        substring=chosen is KeywordMatch.SUBSTRING,
    )


def filler_rule_difference(
    snapshot: LibrarySnapshot, rules: FillerRules
) -> tuple[int, tuple[str, ...]]:
    """Tracks the whole-word and the substring keyword rule treat differently: how many, and
    the first few distinct titles (in key order). Short tracks are filler either way and do
    not count."""
    if not rules.enabled or not rules.keywords:
        return 0, ()
    word = filler_matcher(rules, match=KeywordMatch.WORD)
    substring = filler_matcher(rules, match=KeywordMatch.SUBSTRING)
    minimum = rules.min_duration_sec * 1000.0
    titles: list[str] = []
    total = 0
    for key in sorted(snapshot.tracks):
        track = snapshot.tracks[key]
        if track.duration_ms is not None and track.duration_ms < minimum:
            continue
        if word(track.title) != substring(track.title):
            total += 1
            if len(titles) < 5 and track.title not in titles:
                titles.append(track.title)
    return total, tuple(titles)


def _filler_tracks(
    snapshot: LibrarySnapshot, track_keys: tuple[int, ...], rules: FillerRules
) -> frozenset[int]:
    if not rules.enabled:
        return frozenset()
    matcher = filler_matcher(rules)
    tracks = snapshot.tracks
    return frozenset(k for k in track_keys if is_filler(tracks[k], rules, matcher))


def twin_artist(track: Track) -> str | None:
    """The artist a twin is grouped under, or None for a compilation track with no own artist."""
    if track.track_artist:
        return track.track_artist
    if track.album_artist.strip().casefold() == VARIOUS_ARTISTS:
        return None
    return track.album_artist


def _twin_groups(
    snapshot: LibrarySnapshot, tracks_by_album: Mapping[int, tuple[int, ...]], rules: TwinRules
) -> tuple[TwinCandidates, ...]:
    if not rules.enabled:
        return ()
    keyword = KeywordMatcher(rules.exclude_keywords)
    albums = snapshot.albums
    tracks = snapshot.tracks
    exclude_brackets = rules.exclude_parentheses
    # Artist names repeat on every track of an album, so each is cleaned once. The album artist
    # cache maps "Various Artists" to "": such a track without its own artist is skipped.
    track_artists: dict[str, str] = {}
    album_artists: dict[str, str] = {}

    by_name: dict[tuple[str, str], list[int]] = {}
    for album_key, album_tracks in tracks_by_album.items():
        album = albums.get(album_key)
        if rules.exclude_live_albums and album is not None and album.live:
            continue
        for key in album_tracks:
            track = tracks[key]
            if track.track_artist:
                artist = track_artists.get(track.track_artist)
                if artist is None:
                    artist = track_artists[track.track_artist] = clean_title(track.track_artist)
            else:
                artist = album_artists.get(track.album_artist)
                if artist is None:
                    is_various = twin_artist(track) is None
                    artist = "" if is_various else clean_title(track.album_artist)
                    album_artists[track.album_artist] = artist
            if not artist:
                continue
            title = track.title
            # Judged on the track's own title: an album called "… (Deluxe)" says nothing about
            # its tracks (defect 16).
            if keyword(title):
                continue
            if exclude_brackets:
                if has_brackets(title):
                    continue
            else:
                title = strip_trailing_brackets(title)
            cleaned = clean_title(title)
            if cleaned:
                by_name.setdefault((artist, cleaned), []).append(key)

    tolerance_ms = rules.duration_tolerance_sec * 1000.0
    groups: list[TwinCandidates] = []
    for (artist, title), keys in by_name.items():
        if len(keys) < 2:
            continue
        # A member without a duration cannot be compared, so it alone is dropped (defect 16).
        keys.sort()
        timed = [k for k in keys if tracks[k].duration_ms is not None]
        dropped = [k for k in keys if tracks[k].duration_ms is None]
        median = statistics.median(tracks[k].duration_ms or 0 for k in timed) if timed else 0.0
        members: list[int] = []
        for k in timed:
            if abs((tracks[k].duration_ms or 0) - median) <= tolerance_ms:
                members.append(k)
            else:
                dropped.append(k)
        if len(members) >= 2:
            groups.append(
                TwinCandidates(
                    artist=artist,
                    title=title,
                    members=tuple(members),
                    dropped=tuple(sorted(dropped)),
                    median_ms=float(median),
                )
            )
    groups.sort(key=lambda g: (g.artist, g.title, g.members))
    return tuple(groups)
