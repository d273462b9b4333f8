"""Read only what changed since the last read (issue 23; docs/run.md, "Reading only what changed").

What a real server lets plexrate ask for decides the shape (docs/real-servers.md, "Finding what
changed"). Its Meta offers date filters on tracks only — ``track.lastRatedAt``, ``track.addedAt``,
``track.lastViewedAt``, ``track.lastSkippedAt`` (home-assistant/core
``tests/components/plex/fixtures/library_music_metadata.xml``). plexapi adds ``lastRatedAt`` and
``updatedAt`` on every type by hand and its CI, against a real server, searches albums and
artists by them; whether every server filters them is not known. So:

- artists and albums are listed by their ``lastRatedAt`` and ``updatedAt`` since the marks and
  checked by counts; a server that refuses those filters, or a count that does not add up, has
  them read whole (about one item in eleven of a library);
- tracks are the cached copy, with plexrate's own writes since laid over it, then updated by the
  tracks rated, added, played or skipped since the marks, and the tracks of every album that
  appeared or changed (a re-match changes an album's guid; its tracks are listed again);
- then it checks what it cannot list: the track count, the count of rated tracks (a rating
  cleared with ``/:/rate`` may leave ``lastRatedAt`` as it was) and each managed tag's track count.
  Any that does not add up means the tracks are read whole, and the result says why.

The marks: listings that lasted ``s`` seconds and saw ``t`` as the newest ``lastRatedAt`` set the
mark to ``t - s - slack``. Since ``t`` is at most the server's time when the listings ended, the
mark is at or before the server's time when they began, so anything rated after that has a later
time — whichever page it would have been on. The newest time an earlier read saw is at or before
the time this one began too, so the mark is also at least that less the slack: without that bound
a mark would stay a read's length behind the last change, and every read would list it again. The
next read lists from the mark on (re-listing a few items costs little; missing one would cost a
wrong plan).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TypeVar
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
    COMPILATION_SUBFORMAT,
    LIVE_SUBFORMAT,
    Rejects,
    Unreadable,
    Upper,
    _album,
    _artist,
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
# The same for artists and albums, on a server that filters them by these (Marks).
UPPER_DATE_FIELDS: tuple[tuple[str, str], ...] = (
    ("upper_rated", "lastRatedAt"),
    ("upper_updated", "updatedAt"),
)
SLACK_SECONDS = 2
"""Plex's times are whole seconds, and "is after" is strict: two seconds more covers both."""
CHILDREN_LIMIT = 25
"""More changed albums than this and reading every track is about as cheap as their listings."""


class MarkTracker:
    """The newest time of each followed attribute among the elements shown to it."""

    def __init__(self, fields: Sequence[tuple[str, str]] = DATE_FIELDS) -> None:
        # Made just before the listings it follows begin: ``marks`` measures from then.
        self.fields = tuple(fields)
        self.newest: dict[str, int | None] = dict.fromkeys(name for name, _ in self.fields)
        self.started = time.monotonic()
        self._last_at: float | None = None

    def see(self, element: Element) -> None:
        self._last_at = time.monotonic()
        for name, attribute in self.fields:
            value = _int(element.get(attribute))
            if value is not None:
                current = self.newest[name]
                if current is None or value > current:
                    self.newest[name] = value

    def marks(self, previous: Marks | None, *, afresh: bool = False) -> Marks:
        """``previous`` with this tracker's marks moved on, for listings that took in every
        change since ``previous``'s marks; ``afresh`` (the items were listed whole) sets them
        from what was seen alone.

        A time seen is at most the server's time when its page was answered, which is at most
        the time the listings began plus how long they took; a time an earlier read saw is at
        most the time this one began, and every change before that was listed. The mark is the
        later of the two bounds, less the slack.
        """
        seconds = 0.0 if self._last_at is None else max(0.0, self._last_at - self.started)
        back = math.ceil(seconds) + SLACK_SECONDS
        keep = previous is not None and not afresh
        values: dict[str, int | None] = {}
        for name, _ in self.fields:
            newest = self.newest[name]
            before = getattr(previous, name) if keep else None
            seen = getattr(previous, f"seen_{name}") if keep else None
            bounds = (
                None if newest is None else newest - back,
                before,
                None if seen is None else seen - SLACK_SECONDS,
            )
            values[name] = max((b for b in bounds if b is not None), default=None)
            values[f"seen_{name}"] = max((v for v in (newest, seen) if v is not None), default=None)
        return replace(previous or Marks(), **values)


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
    before = client.counts.reads
    tracker, upper_tracker = MarkTracker(), MarkTracker(UPPER_DATE_FIELDS)
    snapshot = read_snapshot(
        client,
        tags=tags,
        page_size=page_size,
        progress=progress,
        see=tracker.see,
        see_upper=upper_tracker.see,
    )
    marks = upper_tracker.marks(tracker.marks(None))
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


def _carriers_now(
    client: PlexClient,
    item_type: ItemType,
    *,
    field: str,
    name: str,
    kept: set[int],
    choices: Mapping[str, str | None],
    page_size: int,
    universe: Collection[int] | None = None,
) -> set[int]:
    """Who carries tag ``name`` of ``field`` among ``item_type``: ``kept`` (the copy's carriers)
    when Plex counts as many, else asked for again. Someone added or removed the tag, or
    re-keyed items kept it; a tag moved from one item to another keeps the count (docs/run.md)."""
    choice = choices[name]
    filter_ = f"{item_type.value}.{field}"
    count = 0 if choice is None else _count_where(client, item_type, {filter_: choice})
    if count == len(kept):
        return kept
    return tagged_keys(
        client,
        field=field,
        name=name,
        item_type=item_type,
        page_size=page_size,
        universe=universe,
        choices=choices,
    )


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
    return _keeps_upper_order(previous, artists=artists, albums=albums) and not _reordered(
        tracks, before, _TRACK_ORDER
    )


def _keeps_upper_order(
    previous: LibrarySnapshot, *, artists: Mapping[int, Artist], albums: Mapping[int, Album]
) -> bool:
    """Whether every artist and album holds the place it held in the copy: the same keys, and
    no artist's sort title or album's place (``_ALBUM_ORDER``) changed."""
    old_albums, old_artists = previous.albums, previous.artists
    if albums.keys() != old_albums.keys() or artists.keys() != old_artists.keys():
        return False
    if any(
        artist is not old_artists[key] and artist.sort_title != old_artists[key].sort_title
        for key, artist in artists.items()
    ):
        return False
    return not _reordered(albums, old_albums, _ALBUM_ORDER)


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


@dataclass(frozen=True, slots=True)
class _UpperChanges:
    """Artists and albums brought up to date by their changes."""

    upper: Upper
    members: Mapping[str, set[int]]
    """Every managed tag's members among artists and albums."""
    listed: int


def _upper_changes(
    client: PlexClient,
    previous: LibrarySnapshot,
    marks: Marks,
    *,
    names: Sequence[str],
    page_size: int,
    tracker: MarkTracker,
) -> _UpperChanges | str:
    """``previous``'s artists and albums brought up to date from those Plex dates as rated or
    updated since the marks; or why that cannot be vouched for, and they must be read whole.

    That takes a server that filters artists and albums by ``lastRatedAt`` and ``updatedAt``:
    plexapi adds both by hand and its CI searches them on a real server, but no recorded ``Meta``
    lists them, so a server that refuses them (the strict emulator does) costs one request and
    a whole read (docs/real-servers.md, "Finding what changed"). What no date shows is checked
    by counts: items of each type (one deleted), rated ones (a rating cleared), and the carriers
    of each managed tag and album subformat. A new item (which comes with a scan) or one Plex
    sends unreadable also means a whole read, which reports it.
    """
    if marks.upper_updated is None:
        return "no marks for them yet"
    artists: dict[int, Artist] = dict(previous.artists)
    albums: dict[int, Album] = dict(previous.albums)

    def same_subformats(element: Element, container: Element, old: Album) -> Album:
        # Not in a listing; _recount_subformats checks them.
        return replace(_album(element, container), live=old.live, compilation=old.compilation)

    listed_artists = _relist(
        client,
        ItemType.ARTIST,
        artists,
        lambda e, _c, _o: _artist(e),
        marks=marks,
        page_size=page_size,
        tracker=tracker,
    )
    if isinstance(listed_artists, str):
        return listed_artists
    # An album carries its artist's name (``parentTitle``), and its tracks too; Plex serves it
    # from the artist, so renaming the artist dates only the artist. Put the new name on the
    # copy's albums: their changed shape has their tracks listed again (_changed_tracks).
    renamed = {
        key: artist.title
        for key, artist in artists.items()
        if artist is not previous.artists[key] and artist.title != previous.artists[key].title
    }
    if renamed:
        for key, album in albums.items():
            if album.artist_key in renamed:
                albums[key] = replace(album, artist_title=renamed[album.artist_key])
    listed_albums = _relist(
        client,
        ItemType.ALBUM,
        albums,
        same_subformats,
        marks=marks,
        page_size=page_size,
        tracker=tracker,
    )
    if isinstance(listed_albums, str):
        return listed_albums
    members: dict[str, set[int]] = {name: set() for name in names}
    first_members: dict[ItemType, set[int]] = {}
    for item_type, records in ((ItemType.ARTIST, artists), (ItemType.ALBUM, albums)):
        rated = {k for k, r in records.items() if r.rating is not None}
        found = _recount(
            client, previous, item_type, records.keys(), rated, names=names, page_size=page_size
        )
        if isinstance(found, str):
            return found
        for name in names:
            members[name] |= found[name]
        if names:
            first_members[item_type] = found[names[0]]
    _recount_subformats(client, albums, page_size=page_size)
    upper = Upper(
        artists,
        albums,
        first_members.get(ItemType.ARTIST),
        first_members.get(ItemType.ALBUM),
        False,
        False,
    )
    return _UpperChanges(upper, members, listed_artists + listed_albums)


UpperRecord = TypeVar("UpperRecord", Artist, Album)


def _relist(
    client: PlexClient,
    item_type: ItemType,
    records: dict[int, UpperRecord],
    make: Callable[[Element, Element, UpperRecord], UpperRecord],
    *,
    marks: Marks,
    page_size: int,
    tracker: MarkTracker,
) -> int | str:
    """Put the items of ``item_type`` rated or updated since the marks in place of their copies
    in ``records``: how many were listed, or why not (one is new or unreadable, or the server
    refuses the filters)."""
    listed = 0
    for mark_name, attribute in UPPER_DATE_FIELDS:
        params: dict[str, str | int] = {
            f"{item_type.value}.{attribute}>>": getattr(marks, mark_name) or 0
        }
        try:
            for container, element in iter_listing(
                client, item_type, page_size=page_size, params=params
            ):
                tracker.see(element)
                listed += 1
                old = records.get(_int(element.get("ratingKey")) or 0)
                if old is None:
                    return f"an {item_type} is new"
                try:
                    record = make(element, container, old)
                except Unreadable:
                    return f"an {item_type} came unreadable"
                records[record.key] = record
        except (PlexUnreachable, PlexAuthError):
            raise
        except PlexError as exc:
            log.info("reading %ss whole: %s.%s refused (%s)", item_type, item_type, attribute, exc)
            return "the server does not filter them by date"
    return listed


def _recount(
    client: PlexClient,
    previous: LibrarySnapshot,
    item_type: ItemType,
    keys: Collection[int],
    rated: Collection[int],
    *,
    names: Sequence[str],
    page_size: int,
) -> dict[str, set[int]] | str:
    """Check what no date shows for one type: how many there are (one deleted), how many are
    rated (a rating cleared) and who carries each managed tag (listed again when the count
    differs). The tags' carriers, or which count did not add up."""
    total = client.count(item_type)
    if total != len(keys):
        return f"Plex counts {total:,} {item_type}s, the copy {len(keys):,}"
    field = f"{item_type.value}.userRating>>"
    counted = _count_where(client, item_type, {field: 0})
    if counted != len(rated):
        return f"Plex counts {counted:,} rated {item_type}s, the copy {len(rated):,}"
    found: dict[str, set[int]] = {}
    if not names:
        return found
    choices = _choice_keys(client, "mood", item_type, names)
    for name in names:
        found[name] = _carriers_now(
            client,
            item_type,
            field="mood",
            name=name,
            kept={k for k in previous.tagged.get(name, frozenset()) if k in keys},
            choices=choices,
            page_size=page_size,
            universe=keys,
        )
    return found


def _recount_subformats(client: PlexClient, albums: dict[int, Album], *, page_size: int) -> None:
    """The Live and Compilation albums: kept from the copy when Plex counts as many, else
    listed again."""
    choices = _choice_keys(
        client, "subformat", ItemType.ALBUM, (LIVE_SUBFORMAT, COMPILATION_SUBFORMAT)
    )
    for name in (LIVE_SUBFORMAT, COMPILATION_SUBFORMAT):
        live = name == LIVE_SUBFORMAT
        have = {k for k, a in albums.items() if (a.live if live else a.compilation)}
        now = _carriers_now(
            client,
            ItemType.ALBUM,
            field="subformat",
            name=name,
            kept=have,
            choices=choices,
            page_size=page_size,
        )
        for key in (have ^ now) & albums.keys():
            album = albums[key]
            albums[key] = (
                replace(album, live=key in now) if live else replace(album, compilation=key in now)
            )


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
    ``plexrate watch`` reads them from Plex again at least every ``--sweep``. Without it they are
    read by their changes where the server filters them by date (``_upper_changes``), else whole.
    """
    before = client.counts.reads
    names = list(dict.fromkeys(t for t in tags if t))
    first = names[0] if names else None
    rejects: Rejects = {}
    upper_tracker = MarkTracker(UPPER_DATE_FIELDS)
    from_copy = (
        _upper_from_copy(client, previous, upper_hint, first=first)
        if upper_hint is not None
        else None
    )
    changes = (
        _upper_changes(
            client, previous, marks, names=names, page_size=page_size, tracker=upper_tracker
        )
        if from_copy is None
        else None
    )
    by_changes = changes if isinstance(changes, _UpperChanges) else None
    upper_whole = from_copy is None and by_changes is None
    if from_copy is not None:
        upper = from_copy.upper
    elif by_changes is not None:
        upper = by_changes.upper
    else:
        # Marks seen by change listings that gave up start again from the whole one.
        upper_tracker = MarkTracker(UPPER_DATE_FIELDS)
        upper = read_upper(
            client,
            first=first,
            page_size=page_size,
            progress=progress,
            rejects=rejects,
            see=upper_tracker.see,
        )
    tracker = MarkTracker()
    track_members: set[int] | None
    by_tag: dict[str, set[int]] = {}
    tracks_whole = False
    try:
        tracks, by_tag, changed, why = _changed_tracks(
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
        changed, tracks_whole, why = len(tracks), True, str(exc)
    # Taken from the copy (by their changes or as webhooks named them), artists and albums are in
    # the copy's order, which is still the library's unless one changed its place.
    upper_kept = not upper_whole and _keeps_upper_order(
        previous, artists=upper.artists, albums=upper.albums
    )
    tracks_kept = not tracks_whole and _keeps_track_order(
        previous, artists=upper.artists, albums=upper.albums, tracks=tracks
    )
    artists, albums, tracks = _in_library_order(
        upper.artists,
        upper.albums,
        tracks,
        reorder=(not upper_kept, not upper_kept, not tracks_kept),
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
    # The further tags (the twin tag): their artists and albums as the upper read found them,
    # their tracks as _changed_tracks did, or as a whole read finds them.
    others = names[1:]
    if from_copy is not None:
        upper_keys = artists.keys() | albums.keys()
        found_others = {
            name: _carriers(previous, name, from_copy.observed) & upper_keys for name in others
        }
    elif by_changes is not None:
        found_others = {name: set(by_changes.members[name]) for name in others}
    else:
        found_others = other_tags(
            client, others, listed, page_size=page_size, types=(ItemType.ARTIST, ItemType.ALBUM)
        )
    track_others = (
        other_tags(client, others, listed, page_size=page_size, types=(ItemType.TRACK,))
        if tracks_whole
        else by_tag
    )
    for name in others:
        tagged[name] = frozenset(found_others[name] | track_others[name])
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
    if from_copy is not None:
        upper_note = _from_copy_note(from_copy)
    elif by_changes is not None:
        upper_note = f"artists and albums by their changes, {by_changes.listed:,} listed again"
    else:
        upper_note = f"artists and albums listed whole ({changes})" if changes else ""
    if upper_note:
        why = f"{f'every track read again ({why})' if tracks_whole else why}; {upper_note}"
    new_marks = tracker.marks(marks, afresh=tracks_whole)
    if from_copy is None:
        # Artists and albums taken from the copy listed nothing since their marks: a change made
        # before this read may still be unseen, so their marks stay (even the ``seen`` bound,
        # which holds only for a read that listed everything since the mark).
        new_marks = upper_tracker.marks(new_marks, afresh=upper_whole)
    return LibraryRead(
        snapshot,
        new_marks,
        # Every artist, album and track listed: the time of a whole read (WHOLE_READ_HOURS).
        whole=tracks_whole and upper_whole,
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
    before = previous.albums
    # An album not listed again is the very record of the copy: only those listed are compared.
    moved = [
        key
        for key, album in albums.items()
        if album is not before.get(key)
        and (key not in before or _shape(before[key]) != _shape(album))
    ]
    if len(moved) > CHILDREN_LIMIT:
        raise _Unsure(f"{len(moved)} albums are new or changed")
    reread = set(moved)
    tracks = (
        {
            key: track
            for key, track in previous.tracks.items()
            if track.album_key not in gone and track.album_key not in reread
        }
        if gone or reread
        else dict(previous.tracks)
    )
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
    if gone:
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
            members[name] = _carriers_now(
                client,
                ItemType.TRACK,
                field="mood",
                name=name,
                kept=_track_members_of(previous, name, tracks.keys()),
                choices=choices,
                page_size=page_size,
                universe=tracks.keys(),
            )
    # Identity first: ``!=`` on two records compares every field even when they are one object
    # (about a second over 300,000 tracks).
    before_tracks = previous.tracks
    differ = sum(
        1 for k, t in tracks.items() if (old := before_tracks.get(k)) is not t and old != t
    ) + len(before_tracks.keys() - tracks.keys())
    why = (
        f"{listed:,} tracks listed again, {differ:,} changed"
        + (f", {len(moved)} albums new or changed" if moved else "")
        + (f", {len(gone)} albums gone" if gone else "")
    )
    return tracks, members, differ, why
