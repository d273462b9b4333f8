"""Read a whole music section into a LibrarySnapshot with a handful of paged bulk listings.

Each type is listed in one of two ways, with P the page size and every ⌈n/P⌉ at least 1 (an
empty listing still costs the request that says so):

- when some item of the type carries the first managed tag (plexrate's inferred tag): a tag
  lookup, a ``Size=0`` count, then the items carrying the tag and the items without it, ⌈with/P⌉
  + ⌈without/P⌉ pages. Every item is listed once and its tag comes with it. The two halves must
  add up to the count, else (a server whose negated filter skips untagged items, a library
  changing meanwhile) the type is read the plain way and the tag by its own listing;
- otherwise: the tag lookup (when there is a tag) and ⌈items/P⌉ pages.

Then one lookup of the album subformats plus ⌈live albums/P⌉ pages for Live and
⌈compilations/P⌉ pages for Compilation (none for a subformat the library lacks), and per
further tag (the twin tag) and per type one lookup plus ⌈items carrying it/P⌉ pages. When such
a tag is on most items of a type, its listing stops after the first page and the items without
it are listed instead, checked the same way. Nothing is requested per item, and plexapi objects
are never built for items: the XML elements' attributes are read directly (plex-api.md §1.3).

Listing each item once matters after a first run, when plexrate's tag is on most of the library:
reading the tag by a listing of its own would transfer those items a second time (the emulator's
``plex`` model charges 0.2 ms per item listed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TypeVar
from xml.etree.ElementTree import Element

from plexrate.engine.text import sort_form
from plexrate.model import (
    Album,
    Artist,
    ItemType,
    LibrarySnapshot,
    Rejected,
    Track,
    check_rating,
    normalise_rating,
)
from plexrate.plex.client import PlexClient
from plexrate.progress import NULL_PROGRESS, Progress, ProgressTask
from plexrate.settings import MAX_PAGE_SIZE

log = logging.getLogger(__name__)

LIVE_SUBFORMAT = "live"
COMPILATION_SUBFORMAT = "compilation"


def _float(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return None


class Unreadable(ValueError):
    """An item element whose values cannot be trusted; ``rejected`` says which and why."""

    def __init__(self, rejected: Rejected) -> None:
        super().__init__(str(rejected))
        self.rejected = rejected


def _rating_key(value: str | None) -> int | None:
    """A ratingKey as Plex sends it (a positive whole number), else None."""
    if value is None or not value.isdigit() or len(value) > 18:
        return None
    return int(value) or None


def _checked(element: Element, item_type: ItemType, *, parents: tuple[str, ...] = ()) -> int:
    """The element's ratingKey, once its rating values and parent keys are checked.

    Raises ``Unreadable`` for a value no Plex server holds: a ``userRating`` or critic ``rating``
    outside 0–10, not finite or not a number, or a key that is not a number. Such an item is
    reported and left out, so a bad value is never taken for the person's change nor used as
    evidence (docs/real-servers.md, "Values Plex sends").
    """
    title = element.get("title", "")
    key = _rating_key(element.get("ratingKey"))
    problem: str | None = None
    if key is None:
        problem = f"ratingKey={element.get('ratingKey', '')[:24]!r} is not a rating key"
    else:
        try:
            check_rating(element.get("userRating"))
            check_rating(element.get("rating"), "rating")
        except ValueError as exc:
            problem = str(exc)
        for name in parents:
            raw = element.get(name)
            if problem is None and raw is not None and _rating_key(raw) is None:
                problem = f"{name}={raw[:24]!r} is not a rating key"
    if problem is not None:
        raise Unreadable(Rejected(key, item_type, title, problem))
    assert key is not None
    return key


def _tags(element: Element, name: str) -> tuple[str, ...]:
    return tuple(child.get("tag", "") for child in element.iter(name))


def _item_elements(container: Element, item_type: ItemType) -> list[Element]:
    # Tracks are <Track type="track">, artists and albums <Directory type="…">; anything else
    # in the container (a hub, a Meta block) is not an item of the listing.
    return [child for child in container if child.get("type") == item_type.value]


def _page(
    client: PlexClient,
    item_type: ItemType,
    *,
    params: dict[str, str | int] | None,
    start: int,
    size: int,
    path: str | None = None,
) -> tuple[Element, list[Element], int]:
    """One page of a (filtered) section listing, or of ``path`` (an album's children): the
    container, its items and the total."""
    if path is None:
        query: dict[str, str | int] = {"type": item_type.plex_type, **(params or {})}
        kind = f"list-{item_type.value}" + ("-filtered" if params else "")
    else:
        query, kind = dict(params or {}), f"children-{item_type.value}"
    container = client.read(
        path or f"/library/sections/{client.section.id}/all",
        kind=kind,
        params=query,
        start=start,
        size=size,
    )
    total = _int(container.get("totalSize")) or _int(container.get("size")) or 0
    return container, _item_elements(container, item_type), total


def iter_listing(
    client: PlexClient,
    item_type: ItemType,
    *,
    page_size: int,
    params: dict[str, str | int] | None = None,
    progress: Progress = NULL_PROGRESS,
    description: str | None = None,
    start: int = 0,
    task: ProgressTask | None = None,
    path: str | None = None,
) -> Iterator[tuple[Element, Element]]:
    """Yield ``(container, element)`` for each item of a (filtered) section listing, by pages,
    from item ``start`` on. Progress goes to ``task`` when given (the caller closes it), else
    to a task of its own named ``description``."""
    own = None
    try:
        while True:
            container, items, total = _page(
                client, item_type, params=params, start=start, size=page_size, path=path
            )
            if task is None and description is not None:
                task = own = progress.task(description, total=total)
            for element in items:
                yield container, element
            if task is not None:
                task.advance(len(items))
            start += len(items)
            if not items or start >= total:
                if start < total:
                    # Items deleted while we paged shrink the listing; what we have is consistent.
                    log.warning("%s listing ended at %d of %d items", item_type, start, total)
                return
    finally:
        if own is not None:
            own.close()


def _artist(element: Element) -> Artist:
    key = _checked(element, ItemType.ARTIST)
    title = element.get("title", "")
    return Artist(
        key=key,
        title=title,
        sort_title=element.get("titleSort") or title,
        guid=element.get("guid", ""),
        rating=normalise_rating(_float(element.get("userRating"))),
        rated_at=_int(element.get("lastRatedAt")),
        genres=_tags(element, "Genre"),
    )


def _album(element: Element, container: Element) -> Album:
    key = _checked(element, ItemType.ALBUM, parents=("parentRatingKey",))
    title = element.get("title", "")
    return Album(
        key=key,
        title=title,
        sort_title=element.get("titleSort") or title,
        artist_key=_rating_key(element.get("parentRatingKey") or container.get("parentRatingKey"))
        or 0,
        # Real servers may hoist shared attributes onto the container (plex-api-spec warns).
        artist_title=element.get("parentTitle") or container.get("parentTitle") or "",
        guid=element.get("guid", ""),
        rating=normalise_rating(_float(element.get("userRating"))),
        rated_at=_int(element.get("lastRatedAt")),
        critic_rating=_float(element.get("rating")),
        year=_album_year(element),
        genres=_tags(element, "Genre"),
    )


def _album_year(element: Element) -> int | None:
    """The release year: from ``originallyAvailableAt`` when Plex has a date, else ``year``.

    plexrate sets release years through ``originallyAvailableAt.value`` (bulk import). Whether
    Plex then updates ``year`` too is not known (docs/real-servers.md, "Album year"); the date
    always shows the edit, so reading it first keeps a re-import of the same file a no-op.
    """
    released = element.get("originallyAvailableAt") or ""
    if len(released) >= 4 and released[:4].isdigit():
        return int(released[:4])
    return _int(element.get("year"))


def _track(element: Element, container: Element) -> Track:
    key = _checked(element, ItemType.TRACK, parents=("parentRatingKey", "grandparentRatingKey"))
    get = element.get
    fallback = container.get
    return Track(
        key=key,
        title=get("title", ""),
        album_key=_rating_key(get("parentRatingKey") or fallback("parentRatingKey")) or 0,
        artist_key=_rating_key(get("grandparentRatingKey") or fallback("grandparentRatingKey"))
        or 0,
        album_title=get("parentTitle") or fallback("parentTitle") or "",
        album_artist=get("grandparentTitle") or fallback("grandparentTitle") or "",
        track_artist=get("originalTitle") or None,
        duration_ms=_int(get("duration")),
        guid=get("guid", ""),
        rating=normalise_rating(_float(get("userRating"))),
        rated_at=_int(get("lastRatedAt")),
        index=_int(get("index")),
        disc=_int(get("parentIndex")),
        # Listening counts ride on the same listing (plex-api.md §1.3; docs/real-servers.md).
        plays=_int(get("viewCount")) or 0,
        skips=_int(get("skipCount")) or 0,
        last_played=_int(get("lastViewedAt")),
        popularity=_int(get("ratingCount")),
    )


def _choice_key(client: PlexClient, field: str, item_type: ItemType, name: str) -> str | None:
    """The id Plex uses for tag ``name`` in filters (plexapi resolves names the same way)."""
    return _choice_keys(client, field, item_type, (name,))[name]


def _choice_keys(
    client: PlexClient, field: str, item_type: ItemType, names: Sequence[str]
) -> dict[str, str | None]:
    """The filter ids of several tags of one field, from the one (paged) lookup listing them."""
    found: dict[str, str | None] = dict.fromkeys(names)
    wanted = {name.casefold(): name for name in names}
    start = 0
    while True:
        container = client.read(
            f"/library/sections/{client.section.id}/{field}",
            kind=f"choices-{field}",
            params={"type": item_type.plex_type},
            start=start,
        )
        choices = list(container)
        for choice in choices:
            name = wanted.get((choice.get("title") or "").casefold())
            if name is not None and found[name] is None:
                found[name] = choice.get("key")
        if all(key is not None for key in found.values()):
            return found
        start += len(choices)
        total = _int(container.get("totalSize")) or 0
        if not choices or start >= total:
            return found


def _key(element: Element) -> int:
    # 0 (no item has it) for an element without a usable key: such an item is left out of the
    # snapshot, so its membership of a tag does not matter.
    return _rating_key(element.get("ratingKey")) or 0


def tagged_keys(
    client: PlexClient,
    *,
    field: str,
    name: str,
    item_type: ItemType,
    page_size: int,
    universe: Collection[int] | None = None,
    choices: Mapping[str, str | None] | None = None,
) -> set[int]:
    """Keys of the items of ``item_type`` carrying tag ``name`` in tag field ``field`` (mood…).

    ``universe``, every key of ``item_type`` as just listed, lets a tag carried by most items be
    read as its complement (see the module docstring). ``choices`` are filter ids already looked
    up (``_choice_keys``), which saves the lookup.
    """
    key = choices[name] if choices is not None else _choice_key(client, field, item_type, name)
    if key is None:
        return set()
    tag_filter = f"{item_type.value}.{field}"
    params: dict[str, str | int] = {tag_filter: key}
    _, items, total = _page(client, item_type, params=params, start=0, size=page_size)
    members = {_key(element) for element in items}
    left = total - len(items)
    if universe is not None and items and left > 0:
        without_count = len(universe) - total
        if 0 <= without_count < left:
            without = {
                _key(element)
                for _, element in iter_listing(
                    client, item_type, page_size=page_size, params={tag_filter + "!": key}
                )
            }
            # The two listings must partition the items just listed; a server whose negated
            # filter leaves out untagged items, or a library changing meanwhile, fails this.
            everything = set(universe)
            if (
                without <= everything
                and members <= everything
                and without.isdisjoint(members)
                and len(everything) - len(without) == total
            ):
                return everything - without
            log.info("%s %r listings do not add up; reading the tagged listing", field, name)
    if left > 0:
        members.update(
            _key(element)
            for _, element in iter_listing(
                client, item_type, page_size=page_size, params=params, start=len(items)
            )
        )
    return members


Record = TypeVar("Record", Artist, Album, Track)


def _make_artist(element: Element, _container: Element) -> Artist:
    return _artist(element)


Rejects = dict[tuple[ItemType, int | None, str], Rejected]
"""Items left out, by type, key and title (a type read twice reports each once)."""


def _made(
    make: Callable[[Element, Element], Record],
    element: Element,
    container: Element,
    rejects: Rejects,
) -> Record | None:
    try:
        return make(element, container)
    except Unreadable as exc:
        found = exc.rejected
        rejects[(found.item_type, found.key, found.title)] = found
        log.warning("left out: %s", found)
        return None


def _listing(
    client: PlexClient,
    item_type: ItemType,
    make: Callable[[Element, Element], Record],
    *,
    page_size: int,
    progress: Progress,
    description: str,
    rejects: Rejects,
    see: Callable[[Element], None] | None = None,
) -> dict[int, Record]:
    records: dict[int, Record] = {}
    for container, element in iter_listing(
        client, item_type, page_size=page_size, progress=progress, description=description
    ):
        if see is not None:
            see(element)
        record = _made(make, element, container, rejects)
        if record is not None:
            records[record.key] = record
    return records


def _partitioned(
    client: PlexClient,
    item_type: ItemType,
    make: Callable[[Element, Element], Record],
    *,
    field: str,
    choice: str,
    page_size: int,
    progress: Progress,
    description: str,
    rejects: Rejects,
    see: Callable[[Element], None] | None = None,
) -> tuple[dict[int, Record], set[int]] | None:
    """Every item of the type as two listings, those carrying the tag and those without it.

    ``None`` when the two do not add up to the type's count (a server whose negated filter
    leaves out items without any tag, or a library changing meanwhile): the caller then reads
    the type the plain way.
    """
    total = client.count(item_type)
    tag_filter = f"{item_type.value}.{field}"
    records: dict[int, Record] = {}
    members: set[int] = set()
    left_out = 0
    with progress.task(description, total=total) as task:
        halves: tuple[tuple[dict[str, str | int], bool], ...] = (
            ({tag_filter: choice}, True),
            ({tag_filter + "!": choice}, False),
        )
        for params, carrying in halves:
            for container, element in iter_listing(
                client, item_type, page_size=page_size, params=params, task=task
            ):
                if see is not None:
                    see(element)
                record = _made(make, element, container, rejects)
                if record is None:
                    left_out += 1
                    continue
                if record.key in records:
                    log.info("%s %s listings overlap; listing the type whole", item_type, field)
                    return None
                records[record.key] = record
                if carrying:
                    members.add(record.key)
    if len(records) + left_out != total:
        log.info("%s %s listings do not add up; listing the type whole", item_type, field)
        return None
    return records, members


def _read_type(
    client: PlexClient,
    item_type: ItemType,
    make: Callable[[Element, Element], Record],
    *,
    tag: str | None,
    page_size: int,
    progress: Progress,
    description: str,
    rejects: Rejects,
    see: Callable[[Element], None] | None = None,
) -> tuple[dict[int, Record], set[int] | None, bool]:
    """Every item of one type, which of them carry ``tag`` (``None``: not read here), and
    whether it was read in two halves (so not in Plex's order). ``see`` is shown each element."""

    def whole() -> dict[int, Record]:
        return _listing(
            client,
            item_type,
            make,
            page_size=page_size,
            progress=progress,
            description=description,
            rejects=rejects,
            see=see,
        )

    choice = _choice_key(client, "mood", item_type, tag) if tag else None
    if choice is None:
        return whole(), (set() if tag else None), False
    split = _partitioned(
        client,
        item_type,
        make,
        field="mood",
        choice=choice,
        page_size=page_size,
        progress=progress,
        description=description,
        rejects=rejects,
        see=see,
    )
    if split is not None:
        records, carriers = split
        return records, carriers, True
    listed = whole()
    members = tagged_keys(
        client, field="mood", name=tag or "", item_type=item_type, page_size=page_size
    )
    return listed, members, False


def _in_library_order(
    artists: dict[int, Artist],
    albums: dict[int, Album],
    tracks: dict[int, Track],
    *,
    reorder: tuple[bool, bool, bool],
) -> tuple[dict[int, Artist], dict[int, Album], dict[int, Track]]:
    """Types read in halves put back in Plex's default order: artists by sort title, albums by
    artist then sort title and year, tracks by album, disc, number and title (rating key breaks
    ties). Exports and other lists then read as the plain listings did."""
    if not any(reorder):
        return artists, albums, tracks
    artist_form = {k: sort_form(a.sort_title) for k, a in artists.items()}
    if reorder[0]:
        artists = {k: artists[k] for k in sorted(artists, key=lambda k: (artist_form[k], k))}

    def album_order(key: int) -> tuple[str, str, int, int]:
        album = albums[key]
        artist = artist_form.get(album.artist_key)
        if artist is None:
            artist = sort_form(album.artist_title)
        return (artist, sort_form(album.sort_title), album.year or 0, key)

    album_rank = {k: i for i, k in enumerate(sorted(albums, key=album_order))}
    if reorder[1]:
        albums = {k: albums[k] for k in sorted(albums, key=album_rank.__getitem__)}
    if reorder[2]:
        last = len(album_rank)

        def track_order(key: int) -> tuple[int, int, int, str, int]:
            track = tracks[key]
            return (
                album_rank.get(track.album_key, last),
                track.disc or 1,
                track.index or 0,
                sort_form(track.title),
                key,
            )

        tracks = {k: tracks[k] for k in sorted(tracks, key=track_order)}
    return artists, albums, tracks


@dataclass(slots=True)
class Upper:
    """Artists and albums as read, with who carries the first managed tag."""

    artists: dict[int, Artist]
    albums: dict[int, Album]
    artist_members: set[int] | None
    album_members: set[int] | None
    artists_split: bool
    albums_split: bool


def read_upper(
    client: PlexClient,
    *,
    first: str | None,
    page_size: int,
    progress: Progress,
    rejects: Rejects,
    see: Callable[[Element], None] | None = None,
) -> Upper:
    """Every artist and album, their Live and Compilation subformats, and who carries ``first``.
    ``see`` is shown each artist and album element (for the change marks, ``plex/changes.py``)."""
    artists, artist_members, artists_split = _read_type(
        client,
        ItemType.ARTIST,
        _make_artist,
        tag=first,
        page_size=page_size,
        progress=progress,
        description="Reading artists",
        rejects=rejects,
        see=see,
    )
    # Both album subformats the engine uses come from one lookup of the subformat choices.
    subformats = _choice_keys(
        client, "subformat", ItemType.ALBUM, (LIVE_SUBFORMAT, COMPILATION_SUBFORMAT)
    )
    live, compilations = (
        tagged_keys(
            client,
            field="subformat",
            name=name,
            item_type=ItemType.ALBUM,
            page_size=page_size,
            choices=subformats,
        )
        for name in (LIVE_SUBFORMAT, COMPILATION_SUBFORMAT)
    )
    albums, album_members, albums_split = _read_type(
        client,
        ItemType.ALBUM,
        _album,
        tag=first,
        page_size=page_size,
        progress=progress,
        description="Reading albums",
        rejects=rejects,
        see=see,
    )
    for key in (live | compilations) & albums.keys():
        albums[key] = replace(albums[key], live=key in live, compilation=key in compilations)
    return Upper(artists, albums, artist_members, album_members, artists_split, albums_split)


def read_tracks(
    client: PlexClient,
    *,
    first: str | None,
    page_size: int,
    progress: Progress,
    rejects: Rejects,
    see: Callable[[Element], None] | None = None,
) -> tuple[dict[int, Track], set[int] | None, bool]:
    """Every track, who carries ``first``, and whether they were read in halves. ``see`` is shown
    each track element (for the change marks, ``plex/changes.py``)."""
    make = _track
    if see is not None:
        observe = see

        def make(element: Element, container: Element) -> Track:
            observe(element)
            return _track(element, container)

    return _read_type(
        client,
        ItemType.TRACK,
        make,
        tag=first,
        page_size=page_size,
        progress=progress,
        description="Reading tracks",
        rejects=rejects,
    )


def other_tags(
    client: PlexClient,
    names: Sequence[str],
    listed: Mapping[ItemType, Collection[int]],
    *,
    page_size: int,
    types: Sequence[ItemType] = tuple(ItemType),
) -> dict[str, set[int]]:
    """Members of each further managed tag (the twin tag) among the ``types`` listed."""
    found: dict[str, set[int]] = {}
    for name in names:
        members: set[int] = set()
        for item_type in types:
            members |= tagged_keys(
                client,
                field="mood",
                name=name,
                item_type=item_type,
                page_size=page_size,
                universe=listed[item_type],
            )
        found[name] = members
    return found


def read_snapshot(
    client: PlexClient,
    *,
    tags: Sequence[str] = (),
    page_size: int = MAX_PAGE_SIZE,
    progress: Progress = NULL_PROGRESS,
    see: Callable[[Element], None] | None = None,
    see_upper: Callable[[Element], None] | None = None,
) -> LibrarySnapshot:
    """Read every artist, album and track, the members of each tag in ``tags``, and Live albums.
    ``see`` is shown each track element as it is read, ``see_upper`` each artist and album."""
    names = list(dict.fromkeys(t for t in tags if t))
    # The first tag (plexrate's inferred tag) is read with the listings themselves; others, far
    # rarer (the twin tag), by their own filtered listings.
    first = names[0] if names else None
    rejects: Rejects = {}
    upper = read_upper(
        client, first=first, page_size=page_size, progress=progress, rejects=rejects, see=see_upper
    )
    artists, albums = upper.artists, upper.albums
    tracks, track_members, tracks_split = read_tracks(
        client, first=first, page_size=page_size, progress=progress, rejects=rejects, see=see
    )
    if upper.artists_split or upper.albums_split or tracks_split:
        artists, albums, tracks = _in_library_order(
            artists,
            albums,
            tracks,
            reorder=(upper.artists_split, upper.albums_split, tracks_split),
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
    for name, members in other_tags(client, names[1:], listed, page_size=page_size).items():
        tagged[name] = frozenset(members)
    return LibrarySnapshot(
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
