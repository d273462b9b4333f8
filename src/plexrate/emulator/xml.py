"""XML responses shaped like Plex Media Server's, built as strings for speed.

Every attribute plexapi reads is put on each element (plexapi ignores attributes PMS sometimes
hoists onto the container). Listings carry no ``Mood``/``Subformat`` children, as real listings
don't; detail responses (``/library/metadata/…``) carry every tag and ``<Field locked="1"/>``.
The structure of the ``Meta`` filter description follows real recordings (``docs/emulator.md``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from plexrate.emulator.library import (
    KINDS,
    SEARCH_TYPES,
    TAG_ELEMENTS,
    AlbumItem,
    AnyItem,
    ArtistItem,
    EmulatorLibrary,
    ItemKind,
    Section,
    TrackItem,
)
from plexrate.emulator.strictness import RATED_LENIENCY, STRICT, Strictness

IDENTIFIER = "com.plexapp.plugins.library"
MEDIA_TAG_VERSION = "1717200000"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'

# Characters XML 1.0 forbids are dropped; newlines and tabs are escaped so they survive
# attribute-value normalisation.
_ESCAPES: dict[int, str | None] = {
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord('"'): "&quot;",
    ord("\n"): "&#10;",
    ord("\r"): "&#13;",
    ord("\t"): "&#9;",
}
for _c in range(0x20):
    _ESCAPES.setdefault(_c, None)
_ESCAPES[0xFFFE] = None
_ESCAPES[0xFFFF] = None


def esc(value: object) -> str:
    return str(value).translate(_ESCAPES)


def num(value: float) -> str:
    """Plex writes ratings with at least one decimal (``8.0``, ``7.5``)."""
    return repr(float(value))


def attrs(pairs: Mapping[str, object | None]) -> str:
    return "".join(f' {k}="{esc(v)}"' for k, v in pairs.items() if v is not None)


def document(container: Mapping[str, object | None], body: str = "") -> bytes:
    if body:
        return f"{XML_HEAD}<MediaContainer{attrs(container)}>\n{body}</MediaContainer>\n".encode()
    return f"{XML_HEAD}<MediaContainer{attrs(container)} />\n".encode()


def section_container(section: Section, **extra: object | None) -> dict[str, object | None]:
    out: dict[str, object | None] = {
        "allowSync": 1,
        "identifier": IDENTIFIER,
        "librarySectionID": section.key,
        "librarySectionTitle": section.title,
        "librarySectionUUID": section.uuid,
        "mediaTagPrefix": "/system/bundle/media/flags/",
        "mediaTagVersion": MEDIA_TAG_VERSION,
    }
    out.update(extra)
    return out


# ------------------------------------------------------------------------------------- server
def root(library: EmulatorLibrary, *, now: int) -> bytes:
    info = library.server
    container = {
        "size": 3,
        "allowCameraUpload": 0,
        "allowChannelAccess": 1,
        "allowMediaDeletion": 0,
        "allowSharing": 0,
        "allowSync": 1,
        "backgroundProcessing": 1,
        "certificate": 0,
        "companionProxy": 0,
        "eventStream": 1,
        "friendlyName": info.friendly_name,
        "hubSearch": 1,
        "machineIdentifier": info.machine_identifier,
        "multiuser": 0,
        "myPlex": 0,
        "myPlexSubscription": 0,
        "photoAutoTag": 0,
        "platform": info.platform,
        "platformVersion": info.platform_version,
        "pluginHost": 0,
        "readOnlyLibraries": 0,
        "requestParametersInCookie": 0,
        "sync": 0,
        "transcoderActiveVideoSessions": 0,
        "transcoderAudio": 1,
        "transcoderLyrics": 0,
        "transcoderPhoto": 0,
        "transcoderSubtitles": 0,
        "transcoderVideo": 0,
        "updatedAt": now,
        "updater": 0,
        "version": info.version,
        "voiceSearch": 0,
    }
    body = "".join(
        f'<Directory count="1" key="{k}" title="{k}" />\n' for k in ("identity", "library", "media")
    )
    return document(container, body)


def identity(library: EmulatorLibrary) -> bytes:
    return document(
        {
            "size": 0,
            "claimed": 1,
            "machineIdentifier": library.server.machine_identifier,
            "version": library.server.version,
        }
    )


def accounts(library: EmulatorLibrary) -> bytes:
    """The server's accounts (``/accounts``): account 1 is the owner, as on a real server (the
    shape of home-assistant/core's recorded ``plex_server_accounts.xml``)."""
    owner = library.server.friendly_name
    rows = (
        '<Account id="0" key="/accounts/0" name="" />\n'
        f'<Account id="1" key="/accounts/1" name="{esc(owner)} owner" />\n'
    )
    return document({"size": 2, "identifier": "com.plexapp.system.accounts"}, rows)


def overridden(element: str, values: Mapping[str, str] | None) -> str:
    """``element`` with attributes of its opening tag replaced (or added) by ``values``."""
    if not values:
        return element
    end = element.index(">")
    head, rest = element[:end], element[end:]
    closing = ""
    if head.endswith("/"):
        head, closing = head[:-1], "/"
    for name, value in values.items():
        replacement = f' {name}="{esc(value)}"'
        match = re.search(rf'\s{re.escape(name)}="[^"]*"', head)
        if match is None:
            head += replacement
        else:
            head = head[: match.start()] + replacement + head[match.end() :]
    return head + closing + rest


def library_root() -> bytes:
    body = (
        '<Directory key="sections" title="Library Sections" />\n'
        '<Directory key="recentlyAdded" title="Recently Added Content" />\n'
        '<Directory key="onDeck" title="On Deck Content" />\n'
    )
    return document(
        {
            "size": 3,
            "allowSync": 0,
            "identifier": IDENTIFIER,
            "mediaTagPrefix": "/system/bundle/media/flags/",
            "mediaTagVersion": MEDIA_TAG_VERSION,
            "title1": "Plex Library",
        },
        body,
    )


_SECTION_ART = {"artist": "artist", "movie": "movie", "show": "show", "photo": "photo"}


def sections(library: EmulatorLibrary) -> bytes:
    parts = []
    for i, s in enumerate(library.sections, start=1):
        art = _SECTION_ART.get(s.type, s.type)
        a = attrs(
            {
                "allowSync": 1,
                "art": f"/:/resources/{art}-fanart.jpg",
                "filters": 1,
                "refreshing": 0,
                "thumb": f"/:/resources/{art}.png",
                "key": s.key,
                "type": s.type,
                "title": s.title,
                "agent": s.agent,
                "scanner": s.scanner,
                "language": s.language,
                "uuid": s.uuid,
                "updatedAt": s.updated_at,
                "createdAt": s.created_at,
                "scannedAt": s.updated_at if s.scanned_at is None else s.scanned_at,
                "content": 1,
                "directory": 1,
                "contentChangedAt": s.updated_at,
                "hidden": 0,
            }
        )
        location = s.location or f"/data/{s.key}"
        parts.append(
            f'<Directory{a}>\n<Location id="{i}" path="{esc(location)}" />\n</Directory>\n'
        )
    container = {
        "size": len(library.sections),
        "allowSync": 0,
        "identifier": IDENTIFIER,
        "mediaTagPrefix": "/system/bundle/media/flags/",
        "mediaTagVersion": MEDIA_TAG_VERSION,
        "title1": "Plex Library",
    }
    return document(container, "".join(parts))


# ------------------------------------------------------------------------------------- items
def _tags(
    library: EmulatorLibrary,
    item: AnyItem,
    tag_types: Iterable[str],
    skip: frozenset[str],
    *,
    limit: int | None = None,
) -> str:
    out = []
    for tag_type in tag_types:
        element = TAG_ELEMENTS[tag_type]
        if element in skip:
            continue
        for name in item.get_tags(tag_type)[:limit]:
            tag_id, canonical = library.tags.register(tag_type, name)
            out.append(
                f'<{element} id="{tag_id}" filter="{tag_type}={tag_id}" tag="{esc(canonical)}" />'
            )
    return "".join(out)


def _fields(item: AnyItem, skip: frozenset[str]) -> str:
    if "Field" in skip:
        return ""
    return "".join(f'<Field locked="1" name="{esc(name)}" />' for name in item.locked)


_DETAIL_TAGS: dict[ItemKind, tuple[str, ...]] = {
    "artist": ("genre", "style", "mood", "country", "collection", "label"),
    "album": ("genre", "style", "mood", "format", "subformat", "collection", "label"),
    "track": ("genre", "mood", "collection", "label"),
}


def _common(item: AnyItem, section: Section) -> str:
    parts = [
        f' ratingKey="{item.rating_key}"',
        f' guid="{esc(item.guid)}"' if item.guid else "",
        f' title="{esc(item.title)}"',
        f' titleSort="{esc(item.title_sort)}"' if item.title_sort else "",
        f' summary="{esc(item.summary or "")}"',
        f' librarySectionID="{section.key}"',
        f' librarySectionKey="/library/sections/{section.key}"',
        f' librarySectionTitle="{esc(section.title)}"',
        f' userRating="{num(item.user_rating)}"' if item.user_rating is not None else "",
        f' lastRatedAt="{item.last_rated_at}"' if item.last_rated_at is not None else "",
        f' addedAt="{item.added_at}"' if item.added_at is not None else "",
        f' updatedAt="{item.updated_at}"' if item.updated_at is not None else "",
    ]
    return "".join(parts)


def artist(
    library: EmulatorLibrary,
    item: ArtistItem,
    section: Section,
    *,
    detail: bool,
    skip: frozenset[str] = frozenset(),
    genres: int | None = None,
) -> str:
    rk = item.rating_key
    stamp = item.updated_at or item.added_at or 0
    head = (
        f'<Directory type="artist" key="/library/metadata/{rk}/children"{_common(item, section)}'
        f' index="1" thumb="/library/metadata/{rk}/thumb/{stamp}"'
        f' art="/library/metadata/{rk}/art/{stamp}">'
    )
    if detail:
        children = _tags(library, item, _DETAIL_TAGS["artist"], skip) + _fields(item, skip)
    else:
        children = _tags(library, item, ("genre",), skip, limit=genres)
    return f"{head}{children}</Directory>\n"


def album(
    library: EmulatorLibrary,
    item: AlbumItem,
    section: Section,
    *,
    detail: bool,
    skip: frozenset[str] = frozenset(),
    genres: int | None = None,
) -> str:
    rk = item.rating_key
    parent = library.get(item.artist_key)
    parent_title = parent.title if parent else ""
    parent_guid = parent.guid if parent else None
    stamp = item.updated_at or item.added_at or 0
    leaves = len(library.children_of(rk))
    parts = [
        f'<Directory type="album" key="/library/metadata/{rk}/children"{_common(item, section)}',
        f' parentRatingKey="{item.artist_key}" parentKey="/library/metadata/{item.artist_key}"',
        f' parentTitle="{esc(parent_title)}"',
        f' parentGuid="{esc(parent_guid)}"' if parent_guid else "",
        f' studio="{esc(item.studio)}"' if item.studio else "",
        f' rating="{num(item.critic_rating)}"' if item.critic_rating is not None else "",
        f' year="{item.year}"' if item.year is not None else "",
        f' originallyAvailableAt="{item.originally_available_at}"'
        if item.originally_available_at
        else "",
        f' index="1" leafCount="{leaves}" viewedLeafCount="0" loudnessAnalysisVersion="2"',
        f' musicAnalysisVersion="1" thumb="/library/metadata/{rk}/thumb/{stamp}"',
        f' parentThumb="/library/metadata/{item.artist_key}/thumb/{stamp}">',
    ]
    if detail:
        children = _tags(library, item, _DETAIL_TAGS["album"], skip) + _fields(item, skip)
    else:
        children = _tags(library, item, ("genre",), skip, limit=genres)
    return "".join(parts) + children + "</Directory>\n"


def track(
    library: EmulatorLibrary,
    item: TrackItem,
    section: Section,
    *,
    detail: bool,
    skip: frozenset[str] = frozenset(),
) -> str:
    rk = item.rating_key
    parent = library.get(item.album_key)
    grand = library.get(item.artist_key)
    year = parent.year if isinstance(parent, AlbumItem) else None
    stamp = item.updated_at or item.added_at or 0
    duration = item.duration
    parts = [
        f'<Track type="track" key="/library/metadata/{rk}"{_common(item, section)}',
        f' parentRatingKey="{item.album_key}" parentKey="/library/metadata/{item.album_key}"',
        f' parentTitle="{esc(parent.title)}"' if parent else "",
        f' parentGuid="{esc(parent.guid)}"' if parent and parent.guid else "",
        f' parentYear="{year}"' if year is not None else "",
        f' grandparentRatingKey="{item.artist_key}"',
        f' grandparentKey="/library/metadata/{item.artist_key}"',
        f' grandparentTitle="{esc(grand.title)}"' if grand else "",
        f' grandparentGuid="{esc(grand.guid)}"' if grand and grand.guid else "",
        f' originalTitle="{esc(item.original_title)}"' if item.original_title else "",
        f' index="{item.index}"' if item.index is not None else "",
        f' parentIndex="{item.parent_index}"' if item.parent_index is not None else "",
        f' duration="{duration}"' if duration is not None else "",
        # Listening counts as Plex serves them on listings and details alike; absent when 0.
        f' viewCount="{item.view_count}"' if item.view_count else "",
        f' skipCount="{item.skip_count}"' if item.skip_count else "",
        f' lastViewedAt="{item.last_viewed_at}"' if item.last_viewed_at is not None else "",
        f' lastSkippedAt="{item.last_skipped_at}"' if item.last_skipped_at is not None else "",
        f' ratingCount="{item.rating_count}"' if item.rating_count is not None else "",
        f' musicAnalysisVersion="1" thumb="/library/metadata/{item.album_key}/thumb/{stamp}"',
        f' parentThumb="/library/metadata/{item.album_key}/thumb/{stamp}"',
        f' grandparentThumb="/library/metadata/{item.artist_key}/thumb/{stamp}">',
    ]
    children = ""
    if "Media" not in skip:
        length = f' duration="{duration}"' if duration is not None else ""
        children = (
            f'<Media id="{rk}"{length} bitrate="320" audioChannels="2" audioCodec="mp3"'
            f' container="mp3"><Part id="{rk}" key="/library/parts/{rk}/{stamp}/file.mp3"'
            f'{length} file="/music/{rk}.mp3" size="{(duration or 0) * 40}" container="mp3" />'
            "</Media>"
        )
    if detail:
        children += _tags(library, item, _DETAIL_TAGS["track"], skip) + _fields(item, skip)
    return "".join(parts) + children + "</Track>\n"


def item(
    library: EmulatorLibrary,
    record: AnyItem,
    section: Section,
    *,
    detail: bool,
    skip: frozenset[str] = frozenset(),
    genres: int | None = None,
) -> str:
    """One item's element; ``genres`` caps the Genre children (real listings carry a few)."""
    if isinstance(record, TrackItem):
        return track(library, record, section, detail=detail, skip=skip)
    if isinstance(record, AlbumItem):
        return album(library, record, section, detail=detail, skip=skip, genres=genres)
    return artist(library, record, section, detail=detail, skip=skip, genres=genres)


# ------------------------------------------------------------------------------------- filters
def filter_choices(
    section: Section,
    tag_type: str,
    search_type: int,
    choices: Iterable[tuple[int, str]],
    *,
    total: int | None = None,
    offset: int = 0,
) -> bytes:
    body = "".join(
        f'<Directory fastKey="/library/sections/{section.key}/all?type={search_type}'
        f'&amp;{tag_type}={tag_id}" key="{tag_id}" title="{esc(name)}" type="{tag_type}" />\n'
        for tag_id, name in choices
    )
    count = body.count("<Directory")
    return document(
        section_container(
            section,
            size=count,
            totalSize=count if total is None else total,
            offset=offset,
            title1=section.title,
            title2=tag_type.title(),
            viewGroup="secondary",
        ),
        body,
    )


# (field, type, subType) per libtype: what the emulator can filter on, as the real Meta names it
# (home-assistant/core tests/components/plex/fixtures/library_music_metadata.xml, a real server;
# fields the emulator cannot evaluate, such as decade or mediaBitrate, are left out). plexapi
# validates every filter against this description plus its own hand-added fields, so a field
# missing here cannot be sent by plexapi at all. ``query.FILTER_FIELDS`` is what the emulator takes.
_FIELDS: dict[ItemKind, tuple[tuple[str, str, str | None, str], ...]] = {
    "artist": (
        ("title", "string", None, "Artist Title"),
        ("userRating", "integer", "rating", "Artist Rating"),
        ("genre", "tag", None, "Artist Genre"),
        ("collection", "tag", None, "Artist Collection"),
        ("country", "tag", None, "Artist Country"),
        ("mood", "tag", None, "Artist Mood"),
        ("style", "tag", None, "Artist Style"),
        ("addedAt", "date", None, "Date Artist Added"),
        ("lastViewedAt", "date", None, "Artist Last Played"),
    ),
    "album": (
        ("title", "string", None, "Album Title"),
        ("year", "integer", "year", "Year"),
        ("genre", "tag", None, "Album Genre"),
        ("viewCount", "integer", None, "Album Plays"),
        ("lastViewedAt", "date", None, "Album Last Played"),
        ("userRating", "integer", "rating", "Album Rating"),
        ("rating", "integer", "rating", "Album Critic Rating"),
        ("studio", "string", None, "Record Label"),
        ("mood", "tag", None, "Album Mood"),
        ("style", "tag", None, "Album Style"),
        ("format", "tag", None, "Album Format"),
        ("subformat", "tag", None, "Album Type"),
        ("collection", "tag", None, "Album Collection"),
        ("addedAt", "date", None, "Date Album Added"),
        ("originallyAvailableAt", "date", None, "Date Album Released"),
        ("label", "tag", None, "Label"),
    ),
    "track": (
        ("mood", "tag", None, "Track Mood"),
        ("title", "string", None, "Track Title"),
        ("viewCount", "integer", None, "Track Plays"),
        ("lastViewedAt", "date", None, "Track Last Played"),
        ("skipCount", "integer", None, "Track Skips"),
        ("lastSkippedAt", "date", None, "Track Last Skipped"),
        ("userRating", "integer", "rating", "Track Rating"),
        ("lastRatedAt", "date", None, "Track Last Rated"),
        ("addedAt", "date", None, "Track Added At"),
    ),
}
_FILTERS: dict[ItemKind, tuple[tuple[str, str], ...]] = {
    "artist": (
        ("genre", "Genre"),
        ("mood", "Mood"),
        ("style", "Style"),
        ("country", "Country"),
        ("collection", "Collection"),
    ),
    "album": (
        ("genre", "Genre"),
        ("mood", "Mood"),
        ("style", "Style"),
        ("format", "Format"),
        ("subformat", "Type"),
        ("collection", "Collection"),
        ("label", "Labels"),
    ),
    "track": (("mood", "Mood"),),
}
_SORTS: dict[ItemKind, tuple[tuple[str, str, str], ...]] = {
    "artist": (
        ("titleSort", "asc", "Title"),
        ("userRating", "desc", "Rating"),
        ("addedAt", "desc", "Date Added"),
        ("lastViewedAt", "desc", "Date Played"),
        ("viewCount", "desc", "Plays"),
    ),
    "album": (
        ("titleSort", "asc", "Title"),
        ("year", "desc", "Year"),
        ("originallyAvailableAt", "desc", "Release Date"),
        ("rating", "desc", "Critic Rating"),
        ("userRating", "desc", "Rating"),
        ("addedAt", "desc", "Date Added"),
        ("lastViewedAt", "desc", "Date Played"),
        ("viewCount", "desc", "Plays"),
    ),
    "track": (
        ("titleSort", "asc", "Title"),
        ("originalTitle", "desc", "Artist"),
        ("userRating", "desc", "Rating"),
        ("duration", "desc", "Duration"),
        ("viewCount", "desc", "Plays"),
        ("addedAt", "desc", "Date Added"),
        ("lastViewedAt", "desc", "Date Played"),
        ("lastRatedAt", "desc", "Date Rated"),
        ("ratingCount", "desc", "Popularity"),
    ),
}
# What the ``album-artist-rated-filters`` leniency adds (a newer server might offer it).
_RATED_FIELD: dict[ItemKind, tuple[str, str, str | None, str]] = {
    "artist": ("lastRatedAt", "date", None, "Artist Last Rated"),
    "album": ("lastRatedAt", "date", None, "Album Last Rated"),
}
_RATED_SORT = ("lastRatedAt", "desc", "Date Rated")
_TYPE_TITLES: dict[ItemKind, str] = {"artist": "Artists", "album": "Albums", "track": "Tracks"}
_OPERATORS: dict[str, tuple[tuple[str, str], ...]] = {
    "tag": (("=", "is"), ("!=", "is not")),
    "integer": (("=", "is"), ("!=", "is not"), (">>=", "is greater than"), ("<<=", "is less than")),
    "string": (
        ("=", "contains"),
        ("!=", "does not contain"),
        ("==", "is"),
        ("!==", "is not"),
        ("<=", "begins with"),
        (">=", "ends with"),
    ),
    "boolean": (("=", "is true"), ("!=", "is false")),
    "date": (("<<=", "is before"), (">>=", "is after")),
}


def _field_types() -> str:
    out = []
    for type_name, operators in _OPERATORS.items():
        ops = "".join(f'<Operator key="{esc(k)}" title="{t}" />' for k, t in operators)
        out.append(f'<FieldType type="{type_name}">{ops}</FieldType>\n')
    return "".join(out)


def meta(section: Section, *, active: ItemKind, strictness: Strictness = STRICT) -> str:
    sid = section.key
    rated = strictness.allows(RATED_LENIENCY)
    out = ["<Meta>\n"]
    for kind in KINDS:
        st = SEARCH_TYPES[kind]
        out.append(
            f'<Type key="/library/sections/{sid}/all?type={st}" type="{kind}"'
            f' title="{_TYPE_TITLES[kind]}" active="{1 if kind == active else 0}">\n'
        )
        for name, title in _FILTERS[kind]:
            out.append(
                f'<Filter filter="{name}" filterType="string"'
                f' key="/library/sections/{sid}/{name}?type={st}" title="{title}"'
                ' type="filter" />\n'
            )
        sorts = _SORTS[kind] + ((_RATED_SORT,) if rated and kind in _RATED_FIELD else ())
        for key, direction, title in sorts:
            out.append(
                f'<Sort defaultDirection="{direction}" descKey="{key}:desc" key="{key}"'
                f' title="{title}" />\n'
            )
        fields = _FIELDS[kind]
        if rated and kind in _RATED_FIELD:
            fields = (*fields, _RATED_FIELD[kind])
        for name, type_name, sub, title in fields:
            subtype = f' subType="{sub}"' if sub else ""
            out.append(
                f'<Field key="{kind}.{name}"{subtype} title="{title}" type="{type_name}" />\n'
            )
        out.append("</Type>\n")
    out.append(_field_types())
    out.append("</Meta>\n")
    return "".join(out)


def collections_meta(section: Section) -> str:
    return (
        "<Meta>\n"
        f'<Type key="/library/sections/{section.key}/all?type=18" type="collection"'
        ' title="Collections" active="1">\n'
        '<Sort defaultDirection="asc" descKey="titleSort:desc" key="titleSort" title="Title" />\n'
        "</Type>\n" + _field_types() + "</Meta>\n"
    )
