"""Read only what changed since the last read (issue 23; docs/run.md, "Reading only what changed").

What a real server lets plexrate ask for decides the shape (docs/real-servers.md, "Finding what
changed"). Its Meta offers date filters on tracks only — ``track.lastRatedAt``, ``track.addedAt``,
``track.lastViewedAt``, ``track.lastSkippedAt`` (home-assistant/core
``tests/components/plex/fixtures/library_music_metadata.xml``); albums and artists have no
``lastRatedAt`` there, and nothing anywhere has ``updatedAt``. So:

- artists and albums are read whole, as ever (about one item in eleven of a library, and their
  ratings can change with nothing to filter on);
- tracks are the cached copy, with plexrate's own writes since laid over it, then updated by the
  tracks rated, added, played or skipped since the marks, and the tracks of every album that
  appeared or changed (a re-match changes an album's guid; its tracks are listed again);
- then it checks what it cannot list: the track count, the count of rated tracks (a rating
  cleared with ``/:/rate`` may leave ``lastRatedAt`` as it was) and each managed tag's track count.
  Any that does not add up means the tracks are read whole, and the result says why.

The marks: a read that lasted ``s`` seconds and saw ``t`` as the newest ``lastRatedAt`` sets the
mark to ``t - s - slack``. Since ``t`` is at most the server's time when the read ended, the mark is
at or before the server's time when it began, so anything rated after the read began has a later
time — whichever page it would have been on. The next read lists from the mark on (re-listing a few
tracks costs nothing; missing one would cost a wrong plan).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from xml.etree.ElementTree import Element

from plexrate.errors import PlexAuthError, PlexError, PlexUnreachable
from plexrate.model import (
    Album,
    Artist,
    ItemType,
    LibrarySnapshot,
    Marks,
    ObservedItem,
    Track,
)
from plexrate.plex.client import PlexClient
from plexrate.plex.readback import ReadBack, read_items
from plexrate.plex.snapshot import (
    Rejects,
    Upper,
    _choice_keys,
    _in_library_order,
    _int,
    _made,
    _track,
    iter_listing,
    other_tags,
    read_snapshot,
    read_tracks,
    read_upper,
    tagged_keys,
)
from plexrate.progress import NULL_PROGRESS, Progress

log = logging.getLogger(__name__)

# (Marks field, the track attribute and filter field it follows)
DATE_FIELDS: tuple[tuple[str, str], ...] = (
    ("rated", "lastRatedAt"),
    ("added", "addedAt"),
    ("viewed", "lastViewedAt"),
    ("skipped", "lastSkippedAt"),
)
SLACK_SECONDS = 2
"""Plex's times are whole seconds, and "is after" is strict: two seconds more covers both."""
CHILDREN_LIMIT = 25
"""More changed albums than this and reading every track is about as cheap as their listings."""


class MarkTracker:
    """The newest time of each followed attribute among the track elements shown to it."""

    def __init__(self) -> None:
        self.newest: dict[str, int | None] = dict.fromkeys(name for name, _ in DATE_FIELDS)

    def see(self, element: Element) -> None:
        for name, attribute in DATE_FIELDS:
            value = _int(element.get(attribute))
            if value is not None:
                current = self.newest[name]
                if current is None or value > current:
                    self.newest[name] = value

    def marks(self, previous: Marks | None, *, seconds: float) -> Marks:
        back = math.ceil(seconds) + SLACK_SECONDS
        values: dict[str, int | None] = {}
        for name, _ in DATE_FIELDS:
            newest = self.newest[name]
            mark = None if newest is None else newest - back
            before = getattr(previous, name) if previous is not None else None
            if before is not None and (mark is None or before > mark):
                mark = before
            values[name] = mark
        return Marks(**values)


@dataclass(frozen=True, slots=True)
class LibraryRead:
    """A snapshot and how it was read."""

    snapshot: LibrarySnapshot
    marks: Marks
    whole: bool
    """Every artist, album and track listed (a first read, or a change read that could not be
    sure of the tracks and listed the artists and albums too)."""
    why: str
    """Why the tracks were read whole, or what a change read found."""
    changed_tracks: int = 0
    """Tracks that differ from the copy the read started from (changed, added or gone); every
    track for a whole read."""
    requests: int = 0


def read_whole(
    client: PlexClient,
    *,
    tags: Sequence[str],
    page_size: int,
    progress: Progress = NULL_PROGRESS,
    why: str,
) -> LibraryRead:
    started, before = time.monotonic(), client.counts.reads
    tracker = MarkTracker()
    snapshot = read_snapshot(
        client, tags=tags, page_size=page_size, progress=progress, see=tracker.see
    )
    marks = tracker.marks(None, seconds=time.monotonic() - started)
    return LibraryRead(
        snapshot,
        marks,
        whole=True,
        why=why,
        changed_tracks=len(snapshot.tracks),
        requests=client.counts.reads - before,
    )


def _shape(album: Album) -> Album:
    # What of an album, if it changes, may have changed its tracks: everything but the rating
    # the person (or plexrate) gives it.
    return replace(album, rating=None, rated_at=None)


def _count_where(client: PlexClient, item_type: ItemType, params: Mapping[str, str | int]) -> int:
    container = client.read(
        f"/library/sections/{client.section.id}/all",
        kind=f"count-{item_type.value}-filtered",
        params={
            "type": item_type.plex_type,
            **params,
            "X-Plex-Container-Start": 0,
            "X-Plex-Container-Size": 0,
        },
    )
    total = _int(container.get("totalSize"))
    if total is None or total < 0:
        raise PlexError(
            f"the Plex server at {client.url} answered a filtered count without a totalSize"
        )
    return total


def _keeps_track_order(
    previous: LibrarySnapshot,
    *,
    artists: Mapping[int, Artist],
    albums: Mapping[int, Album],
    tracks: Mapping[int, Track],
) -> bool:
    """Whether ``tracks`` (the cached copy, in library order, with changed tracks replaced in
    place) is still in library order, so sorting 300,000 tracks again can be skipped: no track
    is new, no artist or album changed what orders it, and no changed track changed what orders
    it (album, disc, number, title)."""
    before = previous.tracks
    if any(key not in before for key in tracks):
        return False
    # Tracks listed again may have been taken out and put back (at the end of the dict).
    if list(tracks) != [key for key in before if key in tracks]:
        return False
    old_albums = previous.albums
    if albums.keys() != old_albums.keys():
        return False
    old_artists = previous.artists
    if artists.keys() != old_artists.keys() or any(
        artist.sort_title != old_artists[key].sort_title for key, artist in artists.items()
    ):
        return False
    return not _reordered(albums, old_albums, _ALBUM_ORDER) and not _reordered(
        tracks, before, _TRACK_ORDER
    )


# What places an album or a track in library order (``snapshot._in_library_order``).
_ALBUM_ORDER = ("sort_title", "year", "artist_key", "artist_title")
_TRACK_ORDER = ("album_key", "disc", "index", "title")


def _reordered(
    now: Mapping[int, object], before: Mapping[int, object], names: Sequence[str]
) -> bool:
    """Whether an item replaced since ``before`` (the unchanged are the same objects) differs in
    a field that orders it."""
    for key, item in now.items():
        old = before[key]
        if item is not old and any(getattr(item, n) != getattr(old, n) for n in names):
            return True
    return False


@dataclass(frozen=True, slots=True)
class _FromCopy:
    """Artists and albums taken from the cached copy, with the items webhooks named read again."""

    upper: Upper
    observed: Mapping[int, ObservedItem]


def _upper_from_copy(
    client: PlexClient, previous: LibrarySnapshot, hint: Collection[int], *, first: str | None
) -> _FromCopy | None:
    """Artists and albums as ``previous`` holds them, with the rating and tags of the ``hint``
    keys read again (one request per 1,000); None when a key is not in the copy or its read
    fails, and they must be read whole.

    Only rating, rating date and tags are taken from the detail read: a detail answer carries
    every genre where a listing carries three (docs/real-servers.md), and the copy must stay
    what a listing would give.
    """
    artists, albums = dict(previous.artists), dict(previous.albums)
    keys = set(hint)
    if any(k not in artists and k not in albums for k in keys):
        return None
    seen = read_items(client, keys, kind="webhook-read") if keys else ReadBack()
    if set(seen.found) != keys:
        return None
    for key, observed in seen.found.items():
        if key in artists:
            artists[key] = replace(artists[key], rating=observed.rating, rated_at=observed.rated_at)
        else:
            albums[key] = replace(albums[key], rating=observed.rating, rated_at=observed.rated_at)
    members: tuple[set[int] | None, set[int] | None] = (None, None)
    if first is not None:
        carried = _carriers(previous, first, seen.found)
        members = (carried & artists.keys(), carried & albums.keys())
    return _FromCopy(Upper(artists, albums, *members, False, False), seen.found)


def _carriers(
    previous: LibrarySnapshot, tag: str, observed: Mapping[int, ObservedItem]
) -> set[int]:
    """Who carries ``tag`` in the copy, with the items read again as they are now."""
    wanted = tag.casefold()
    carried: set[int] = set()
    for name, keys in previous.tagged.items():
        if name.casefold() == wanted:
            carried |= keys
    for key, item in observed.items():
        if item.has_tag(tag):
            carried.add(key)
        else:
            carried.discard(key)
    return carried


class _Unsure(Exception):
    """The change read cannot vouch for the tracks; the message says why."""


def read_changes(
    client: PlexClient,
    previous: LibrarySnapshot,
    marks: Marks,
    *,
    tags: Sequence[str],
    page_size: int,
    progress: Progress = NULL_PROGRESS,
    upper_hint: Collection[int] | None = None,
) -> LibraryRead:
    """``previous`` (plexrate's own writes since already laid over it) brought up to date.

    The result equals what ``read_snapshot`` would read now, or the tracks were read whole and
    ``LibraryRead.why`` says what did not add up. ``upper_hint``, from webhooks, names every
    artist and album rated since (none for a track's rating): those are read again and the rest
    taken from the copy, instead of listing every artist and album. That trusts the webhooks;
    ``plexrate watch`` reads them whole again at least every ``--sweep``.
    """
    started, before = time.monotonic(), client.counts.reads
    names = list(dict.fromkeys(t for t in tags if t))
    first = names[0] if names else None
    rejects: Rejects = {}
    from_copy = (
        _upper_from_copy(client, previous, upper_hint, first=first)
        if upper_hint is not None
        else None
    )
    upper = (
        from_copy.upper
        if from_copy is not None
        else read_upper(
            client, first=first, page_size=page_size, progress=progress, rejects=rejects
        )
    )
    tracker = MarkTracker()
    track_members: set[int] | None
    by_tag: dict[str, set[int]] = {}
    try:
        tracks, by_tag, changed, found = _changed_tracks(
            client,
            previous,
            upper.albums,
            marks,
            names=names,
            page_size=page_size,
            progress=progress,
            rejects=rejects,
            tracker=tracker,
        )
        track_members = by_tag.get(first) if first is not None else None
        whole, why = False, found
        if from_copy is not None:
            why += f"; {_from_copy_note(from_copy)}"
    except _Unsure as exc:
        log.info("reading every track: %s", exc)
        rejects = {k: v for k, v in rejects.items() if k[0] is not ItemType.TRACK}
        tracker = MarkTracker()
        tracks, track_members, _ = read_tracks(
            client,
            first=first,
            page_size=page_size,
            progress=progress,
            rejects=rejects,
            see=tracker.see,
        )
        changed, whole, why = len(tracks), True, str(exc)
        # A whole read of the tracks starts the marks afresh.
        marks = Marks()
    artists, albums, tracks = _in_library_order(
        upper.artists,
        upper.albums,
        tracks,
        reorder=(
            True,
            True,
            whole
            or not _keeps_track_order(
                previous, artists=upper.artists, albums=upper.albums, tracks=tracks
            ),
        ),
    )
    listed: dict[ItemType, Collection[int]] = {
        ItemType.ARTIST: artists.keys(),
        ItemType.ALBUM: albums.keys(),
        ItemType.TRACK: tracks.keys(),
    }
    tagged: dict[str, frozenset[int]] = {}
    if first is not None:
        tagged[first] = frozenset(
            set().union(
                *(m for m in (upper.artist_members, upper.album_members, track_members) if m)
            )
        )
    if whole:
        found_others = other_tags(client, names[1:], listed, page_size=page_size)
    elif from_copy is not None:
        upper_keys = artists.keys() | albums.keys()
        found_others = {
            name: (_carriers(previous, name, from_copy.observed) & upper_keys) | by_tag[name]
            for name in names[1:]
        }
    else:
        # Track members of the further tags were settled by _changed_tracks; the artists' and
        # albums' are read as a whole read reads them.
        found_others = other_tags(
            client,
            names[1:],
            listed,
            page_size=page_size,
            types=(ItemType.ARTIST, ItemType.ALBUM),
        )
        for name in names[1:]:
            found_others[name] |= by_tag[name]
    for name, members in found_others.items():
        tagged[name] = frozenset(members)
    snapshot = LibrarySnapshot(
        library_uuid=client.section.uuid,
        section_id=client.section.id,
        section_title=client.section.title,
        artists=MappingProxyType(artists),
        albums=MappingProxyType(albums),
        tracks=MappingProxyType(tracks),
        tagged=MappingProxyType(tagged),
        server_name=client.server_name,
        rejected=tuple(rejects.values()),
    )
    if whole and from_copy is not None:
        # Every track, but artists and albums from the copy: not a whole read, whose time
        # (WHOLE_READ_HOURS) it must not reset.
        why = f"every track read again ({why}); {_from_copy_note(from_copy)}"
    return LibraryRead(
        snapshot,
        tracker.marks(marks, seconds=time.monotonic() - started),
        whole=whole and from_copy is None,
        why=why,
        changed_tracks=changed,
        requests=client.counts.reads - before,
    )


def _from_copy_note(from_copy: _FromCopy) -> str:
    named = len(from_copy.observed)
    again = f", {named:,} read again as webhooks named them" if named else ""
    return f"artists and albums from the last read{again}"


def _track_members_of(snapshot: LibrarySnapshot, name: str, keys: Collection[int]) -> set[int]:
    members = snapshot.tagged.get(name, frozenset())
    return {k for k in members if k in snapshot.tracks and k in keys}


def _changed_tracks(
    client: PlexClient,
    previous: LibrarySnapshot,
    albums: Mapping[int, Album],
    marks: Marks,
    *,
    names: Sequence[str],
    page_size: int,
    progress: Progress,
    rejects: Rejects,
    tracker: MarkTracker,
) -> tuple[dict[int, Track], dict[str, set[int]], int, str]:
    """The tracks, who of them carries each managed tag, how many differ from ``previous``
    (changed, added or gone), and a summary."""
    gone = previous.albums.keys() - albums.keys()
    moved = [
        key
        for key, album in albums.items()
        if key not in previous.albums or _shape(previous.albums[key]) != _shape(album)
    ]
    if len(moved) > CHILDREN_LIMIT:
        raise _Unsure(f"{len(moved)} albums are new or changed")
    reread = set(moved)
    tracks = {
        key: track
        for key, track in previous.tracks.items()
        if track.album_key not in gone and track.album_key not in reread
    }
    listed = 0

    def take(element: Element, container: Element) -> None:
        nonlocal listed
        tracker.see(element)
        record = _made(_track, element, container, rejects)
        listed += 1
        if record is not None:
            tracks[record.key] = record

    with progress.task("Reading what changed", total=None) as task:
        for key in moved:
            for container, element in iter_listing(
                client,
                ItemType.TRACK,
                page_size=page_size,
                path=f"/library/metadata/{key}/children",
            ):
                take(element, container)
            task.advance(1)
        for name, attribute in DATE_FIELDS:
            since = getattr(marks, name)
            params: dict[str, str | int] = {f"track.{attribute}>>": since or 0}
            try:
                for container, element in iter_listing(
                    client, ItemType.TRACK, page_size=page_size, params=params
                ):
                    take(element, container)
            except (PlexUnreachable, PlexAuthError):
                raise
            except PlexError as exc:
                # A server without this filter field (an older Meta): read every track.
                raise _Unsure(f"the server refused the track.{attribute} filter ({exc})") from exc
            task.advance(1)

    left_out = sum(1 for k in rejects if k[0] is ItemType.TRACK)
    # Tracks whose album is gone, or that a changed album no longer holds, went with it.
    tracks = {k: t for k, t in tracks.items() if t.album_key not in gone}
    total = client.count(ItemType.TRACK)
    if len(tracks) + left_out != total:
        raise _Unsure(f"Plex counts {total:,} tracks, the changes read add up to {len(tracks):,}")
    rated = _count_where(client, ItemType.TRACK, {"track.userRating>>": 0})
    known = sum(1 for t in tracks.values() if t.rating is not None)
    if rated != known:
        raise _Unsure(f"Plex counts {rated:,} rated tracks, the changes read {known:,}")
    members: dict[str, set[int]] = {}
    if names:
        choices = _choice_keys(client, "mood", ItemType.TRACK, names)
        for name in names:
            kept = _track_members_of(previous, name, tracks.keys())
            choice = choices[name]
            count = (
                0
                if choice is None
                else _count_where(client, ItemType.TRACK, {"track.mood": choice})
            )
            if count != len(kept):
                # Someone added or removed the tag, or re-keyed tracks kept it: ask who has it.
                kept = tagged_keys(
                    client,
                    field="mood",
                    name=name,
                    item_type=ItemType.TRACK,
                    page_size=page_size,
                    universe=tracks.keys(),
                    choices=choices,
                )
            members[name] = kept
    differ = sum(1 for k, t in tracks.items() if previous.tracks.get(k) != t) + sum(
        1 for k in previous.tracks if k not in tracks
    )
    why = (
        f"{listed:,} tracks listed again, {differ:,} changed"
        + (f", {len(moved)} albums new or changed" if moved else "")
        + (f", {len(gone)} albums gone" if gone else "")
    )
    return tracks, members, differ, why
