"""Read a whole music section into a LibrarySnapshot with a handful of paged bulk listings.

Requests, with P the page size and every ⌈n/P⌉ at least 1 (an empty listing still costs the
request that says so): ⌈artists/P⌉ + ⌈albums/P⌉ + ⌈tracks/P⌉ listing pages; one filter-choice
lookup for the Live subformat plus ⌈live albums/P⌉ pages; and per managed tag and per type, one
filter-choice lookup plus ⌈items carrying it/P⌉ pages (no listing where no item of the type carries
it). With P at least the largest listing that is at most 5 + 6 per tag, whatever the library's size.
Nothing is requested per item, and plexapi objects are never built for items: the XML elements'
attributes are read directly (plex-api.md §1.3).

When a tag is on most items of a type (after a first run, plexrate's tag is on nearly every track)
and its listing needs more than one page, the listing stops after its first page and the items
*without* the tag are listed instead (1 + ⌈items without it/P⌉ pages, fewer items than the tagged
pages left): the members are the rest of the type's listing. That reads fewer items for the same
answer (each item listed costs the server time; the emulator's ``plex`` model charges 0.2 ms), and
the answer is checked: if the two listings do not add up, the tagged listing is read to the end.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from types import MappingProxyType
from xml.etree.ElementTree import Element

from plexrate.model import Album, Artist, ItemType, LibrarySnapshot, Track, normalise_rating
from plexrate.plex.client import PlexClient
from plexrate.progress import NULL_PROGRESS, Progress

log = logging.getLogger(__name__)

LIVE_SUBFORMAT = "live"


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
) -> tuple[Element, list[Element], int]:
    """One page of a (filtered) section listing: the container, its items and the total."""
    query: dict[str, str | int] = {"type": item_type.plex_type, **(params or {})}
    kind = f"list-{item_type.value}" + ("-filtered" if params else "")
    container = client.read(
        f"/library/sections/{client.section.id}/all",
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
) -> Iterator[tuple[Element, Element]]:
    """Yield ``(container, element)`` for each item of a (filtered) section listing, by pages,
    from item ``start`` on."""
    task = None
    try:
        while True:
            container, items, total = _page(
                client, item_type, params=params, start=start, size=page_size
            )
            if task is None and description is not None:
                task = progress.task(description, total=total)
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
        if task is not None:
            task.close()


def _artist(element: Element) -> Artist:
    title = element.get("title", "")
    return Artist(
        key=int(element.get("ratingKey", "0")),
        title=title,
        sort_title=element.get("titleSort") or title,
        guid=element.get("guid", ""),
        rating=normalise_rating(_float(element.get("userRating"))),
        rated_at=_int(element.get("lastRatedAt")),
        genres=_tags(element, "Genre"),
    )


def _album(element: Element, container: Element) -> Album:
    title = element.get("title", "")
    return Album(
        key=int(element.get("ratingKey", "0")),
        title=title,
        sort_title=element.get("titleSort") or title,
        artist_key=int(element.get("parentRatingKey") or container.get("parentRatingKey") or 0),
        # Real servers may hoist shared attributes onto the container (plex-api-spec warns).
        artist_title=element.get("parentTitle") or container.get("parentTitle") or "",
        guid=element.get("guid", ""),
        rating=normalise_rating(_float(element.get("userRating"))),
        rated_at=_int(element.get("lastRatedAt")),
        critic_rating=_float(element.get("rating")),
        year=_int(element.get("year")),
        genres=_tags(element, "Genre"),
    )


def _track(element: Element, container: Element) -> Track:
    get = element.get
    fallback = container.get
    return Track(
        key=int(get("ratingKey", "0")),
        title=get("title", ""),
        album_key=int(get("parentRatingKey") or fallback("parentRatingKey") or 0),
        artist_key=int(get("grandparentRatingKey") or fallback("grandparentRatingKey") or 0),
        album_title=get("parentTitle") or fallback("parentTitle") or "",
        album_artist=get("grandparentTitle") or fallback("grandparentTitle") or "",
        track_artist=get("originalTitle") or None,
        duration_ms=_int(get("duration")),
        guid=get("guid", ""),
        rating=normalise_rating(_float(get("userRating"))),
        rated_at=_int(get("lastRatedAt")),
        index=_int(get("index")),
        disc=_int(get("parentIndex")),
    )


def _choice_key(client: PlexClient, field: str, item_type: ItemType, name: str) -> str | None:
    """The id Plex uses for tag ``name`` in filters (plexapi resolves names the same way)."""
    container = client.read(
        f"/library/sections/{client.section.id}/{field}",
        kind=f"choices-{field}",
        params={"type": item_type.plex_type},
    )
    wanted = name.casefold()
    for choice in container:
        if (choice.get("title") or "").casefold() == wanted:
            return choice.get("key")
    return None


def _key(element: Element) -> int:
    return int(element.get("ratingKey", "0"))


def tagged_keys(
    client: PlexClient,
    *,
    field: str,
    name: str,
    item_type: ItemType,
    page_size: int,
    universe: Collection[int] | None = None,
) -> set[int]:
    """Keys of the items of ``item_type`` carrying tag ``name`` in tag field ``field`` (mood…).

    ``universe``, every key of ``item_type`` as just listed, lets a tag carried by most items be
    read as its complement (see the module docstring).
    """
    key = _choice_key(client, field, item_type, name)
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


def read_snapshot(
    client: PlexClient,
    *,
    tags: Sequence[str] = (),
    page_size: int = 2000,
    progress: Progress = NULL_PROGRESS,
) -> LibrarySnapshot:
    """Read every artist, album and track, the members of each tag in ``tags``, and Live albums."""
    artists = {
        a.key: a
        for a in (
            _artist(el)
            for _, el in iter_listing(
                client,
                ItemType.ARTIST,
                page_size=page_size,
                progress=progress,
                description="Reading artists",
            )
        )
    }
    live = tagged_keys(
        client,
        field="subformat",
        name=LIVE_SUBFORMAT,
        item_type=ItemType.ALBUM,
        page_size=page_size,
    )
    albums: dict[int, Album] = {}
    for container, element in iter_listing(
        client, ItemType.ALBUM, page_size=page_size, progress=progress, description="Reading albums"
    ):
        album = _album(element, container)
        if album.key in live:
            album = replace(album, live=True)
        albums[album.key] = album
    tracks = {
        t.key: t
        for t in (
            _track(el, container)
            for container, el in iter_listing(
                client,
                ItemType.TRACK,
                page_size=page_size,
                progress=progress,
                description="Reading tracks",
            )
        )
    }
    listed: dict[ItemType, Collection[int]] = {
        ItemType.ARTIST: artists.keys(),
        ItemType.ALBUM: albums.keys(),
        ItemType.TRACK: tracks.keys(),
    }
    tagged: dict[str, frozenset[int]] = {}
    for name in dict.fromkeys(t for t in tags if t):
        members: set[int] = set()
        for item_type in ItemType:
            members |= tagged_keys(
                client,
                field="mood",
                name=name,
                item_type=item_type,
                page_size=page_size,
                universe=listed[item_type],
            )
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
    )
