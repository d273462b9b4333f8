"""Listing semantics: filters, sorting and paging as Plex applies them to ``…/all``.

Filters arrive as query parameters whose key carries the libtype prefix and the operator
(``track.userRating>>=0`` is key ``track.userRating>>``, value ``0``; see plexapi's
``LibrarySection._validateFilterField``). A comma in a value means "any of"; the same key given
twice means "all of" (plexapi's ``&=`` form). A prefix naming another level filters through the
hierarchy: ``artist.id`` on an album listing tests each album's artist, ``track.mood`` on an artist
listing keeps artists with at least one matching track.

Parameters the emulator does not understand are refused with 400 rather than ignored, so a client
never mistakes an unfiltered listing for a filtered one.
"""

from __future__ import annotations

import calendar
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, cast

from plexrate.emulator.library import (
    KIND_BY_SEARCH_TYPE,
    KINDS,
    TAG_ELEMENTS,
    AlbumItem,
    AnyItem,
    EmulatorLibrary,
    ItemKind,
    Section,
    TrackItem,
    sort_key,
)
from plexrate.emulator.strictness import RATED_LENIENCY, STRICT, UPDATED_LENIENCY, Strictness


class QueryError(ValueError):
    """A request the emulator answers with 400; the message names the parameter."""


_LEVEL: dict[str, int] = {"artist": 0, "album": 1, "track": 2}

# Parameters that shape the response but filter nothing.
_PASSIVE = frozenset(
    {
        "type",
        "sort",
        "limit",
        "checkFiles",
        "asyncCheckFiles",
        "asyncRefreshLocalMediaAgent",
        "asyncRefreshAnalysis",
        "skipRefresh",
        "contentDirectoryID",
        "pinnedContentDirectoryID",
        "clusterZoomLevel",
    }
)


def is_passive(name: str) -> bool:
    return (
        name in _PASSIVE
        or name.startswith(("include", "exclude", "X-Plex-"))
        or name in {"push", "pop", "and", "or"}
    )


def _date_value(library: EmulatorLibrary, item: AnyItem, name: str) -> int | None:
    if name == "originallyAvailableAt":
        if isinstance(item, AlbumItem) and item.originally_available_at:
            y, m, d = (int(p) for p in item.originally_available_at.split("-"))
            return calendar.timegm((y, m, d, 0, 0, 0))
        return None
    if name in ("lastViewedAt", "lastSkippedAt") and not isinstance(item, TrackItem):
        # An album or artist was last played when its latest track was (Meta lists
        # album.lastViewedAt and artist.lastViewedAt; tracks hold the plays).
        attr = _DATE_ATTRS[name]
        stamps = [
            getattr(t, attr)
            for t in (library.get(k) for k in library.leaves_of(item.rating_key))
            if t is not None and getattr(t, attr) is not None
        ]
        return max(stamps, default=None)
    value: int | None = getattr(item, _DATE_ATTRS[name], None)
    return value


_DATE_ATTRS = {
    "addedAt": "added_at",
    "updatedAt": "updated_at",
    "lastRatedAt": "last_rated_at",
    "lastViewedAt": "last_viewed_at",
    "lastSkippedAt": "last_skipped_at",
    "originallyAvailableAt": "originally_available_at",
}


def _number(library: EmulatorLibrary, item: AnyItem, name: str) -> float | None:
    if name == "userRating":
        return item.user_rating
    if name == "id":
        return item.rating_key
    if name == "rating":
        return item.critic_rating if isinstance(item, AlbumItem) else None
    if name == "year":
        return item.year if isinstance(item, AlbumItem) else None
    if isinstance(item, TrackItem):
        if name == "viewCount":
            return item.view_count
        if name == "skipCount":
            return item.skip_count
        if name == "index":
            return item.index
        if name == "duration":
            return item.duration
        if name == "ratingCount":
            return item.rating_count
        return None
    if name == "viewCount":
        # An album's plays are its tracks' plays (Meta: album.viewCount "Album Plays").
        return sum(
            t.view_count
            for t in (library.get(k) for k in library.leaves_of(item.rating_key))
            if isinstance(t, TrackItem)
        )
    return None


def _text(item: AnyItem, name: str) -> str | None:
    if name == "title":
        return item.title
    if name == "titleSort":
        return item.sort_title
    if name == "studio":
        return item.studio if isinstance(item, AlbumItem) else None
    if name == "guid":
        return item.guid
    if name == "originalTitle":
        return item.original_title if isinstance(item, TrackItem) else None
    return None


# What each filter field is; which fields each libtype offers is FILTER_FIELDS below.
_INTEGER_FIELDS = frozenset(
    {
        "userRating",
        "id",
        "rating",
        "year",
        "index",
        "duration",
        "viewCount",
        "skipCount",
        "ratingCount",
    }
)
_STRING_FIELDS = frozenset({"title", "titleSort", "studio", "guid", "originalTitle"})
_DATE_FIELDS = frozenset(_DATE_ATTRS)
_TAG_FIELDS = frozenset(TAG_ELEMENTS)

# Filter fields per libtype: those the real ``Meta`` lists (home-assistant/core's recording of a
# real server, tests/components/plex/fixtures/library_music_metadata.xml; docs/real-servers.md,
# "Filter and sort fields") that the emulator can evaluate, plus the hidden ones plexapi adds by
# hand and clients send (``LibrarySection._manualFields``: id, guid, index; on tracks duration,
# ratingCount; label). ``lastRatedAt`` on albums and artists and ``updatedAt`` anywhere are not in
# the Meta, so the strict emulator refuses them (the ``album-artist-rated-filters`` leniency
# offers lastRatedAt on albums and artists, ``album-artist-updated-filters`` updatedAt).
_HIDDEN = frozenset({"id", "guid", "index", "label"})
FILTER_FIELDS: dict[ItemKind, frozenset[str]] = {
    "artist": _HIDDEN
    | {
        "title",
        "userRating",
        "genre",
        "collection",
        "country",
        "mood",
        "style",
        "addedAt",
        "lastViewedAt",
    },
    "album": _HIDDEN
    | {
        "title",
        "year",
        "genre",
        "viewCount",
        "lastViewedAt",
        "userRating",
        "rating",
        "studio",
        "mood",
        "style",
        "format",
        "subformat",
        "collection",
        "addedAt",
        "originallyAvailableAt",
    },
    "track": _HIDDEN
    | {
        "mood",
        "title",
        "viewCount",
        "lastViewedAt",
        "skipCount",
        "lastSkippedAt",
        "userRating",
        "lastRatedAt",
        "addedAt",
        "duration",
        "ratingCount",
    },
}
# Sorts per libtype, likewise: the real Meta's ``Sort`` keys the emulator can order by, plus
# plexapi's hand-added guid, id and index (and ``absoluteIndex`` on tracks, part of Plex's own
# default track order). albums and artists offer no ``lastRatedAt`` sort.
_HIDDEN_SORTS = frozenset({"guid", "id", "index"})
SORT_FIELDS: dict[ItemKind, frozenset[str]] = {
    "artist": _HIDDEN_SORTS | {"titleSort", "userRating", "addedAt", "lastViewedAt", "viewCount"},
    "album": _HIDDEN_SORTS
    | {
        "titleSort",
        "year",
        "originallyAvailableAt",
        "rating",
        "userRating",
        "addedAt",
        "lastViewedAt",
        "viewCount",
    },
    "track": _HIDDEN_SORTS
    | {
        "titleSort",
        "absoluteIndex",
        "originalTitle",
        "userRating",
        "duration",
        "viewCount",
        "addedAt",
        "lastViewedAt",
        "lastRatedAt",
        "ratingCount",
    },
}


def offered(kind: ItemKind, name: str, strictness: Strictness, *, sort: bool = False) -> bool:
    """Whether a ``kind`` listing takes a filter (or, with ``sort``, a sort) on ``name``."""
    table = SORT_FIELDS if sort else FILTER_FIELDS
    if name in table[kind]:
        return True
    if kind == "track":
        return False
    if name == "lastRatedAt":
        return strictness.allows(RATED_LENIENCY)
    # plexapi's hand-added field; filters only (it adds an updatedAt sort too, unverified).
    return name == "updatedAt" and not sort and strictness.allows(UPDATED_LENIENCY)


_KEY = re.compile(r"^(?:([A-Za-z]+)\.)?([A-Za-z]+)([!<>=&]*)$")
_RELATIVE = re.compile(r"^-?(\d+)(mon|[smhdwy])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mon": 2592000, "y": 31536000}


@dataclass(frozen=True)
class Filter:
    level: str | None
    field: str
    op: str
    values: tuple[Any, ...]
    raw: str


def _parse_date(value: str, now: float) -> int:
    rel = _RELATIVE.match(value)
    if rel:
        return int(now - int(rel.group(1)) * _UNITS[rel.group(2)])
    try:
        return int(float(value))
    except ValueError:
        raise QueryError(f"date filter value {value!r} is neither epoch seconds nor -30d") from None


def parse_filters(
    pairs: Iterable[tuple[str, str]],
    library: EmulatorLibrary,
    *,
    now: float,
    kind: ItemKind | None = None,
    strictness: Strictness = STRICT,
) -> list[Filter]:
    """The request's filters; 400 (QueryError) for a field the libtype does not offer.

    ``kind`` is the listing's type: an unprefixed field is that type's (without it, any type's).
    """
    filters = []
    for key, value in pairs:
        if is_passive(key):
            continue
        match = _KEY.match(key)
        if not match:
            raise QueryError(f"unsupported parameter {key!r}")
        level, name, op = match.groups()
        if level is not None and level not in _LEVEL:
            raise QueryError(f"unknown libtype prefix in {key!r}")
        owner: ItemKind | None = cast(ItemKind, level) if level else kind
        known = name in _INTEGER_FIELDS | _STRING_FIELDS | _DATE_FIELDS | _TAG_FIELDS
        if known and owner is not None and not offered(owner, name, strictness):
            # Plex's Meta does not list it for this type (docs/real-servers.md, "Filter and
            # sort fields"): refused by name rather than answered unfiltered.
            raise QueryError(f"filter field {key!r}: {owner} listings offer no {name} filter")
        parts = value.split(",")
        parsed: tuple[Any, ...]
        if name in _INTEGER_FIELDS:
            if op not in ("", "!", ">>", "<<"):
                raise QueryError(f"operator {op!r} does not apply to integer field {name}")
            try:
                parsed = tuple(float(p) for p in parts)
            except ValueError:
                raise QueryError(f"{key}: {value!r} is not a number") from None
        elif name in _STRING_FIELDS:
            if op not in ("", "!", "=", "!=", "<", ">"):
                raise QueryError(f"operator {op!r} does not apply to string field {name}")
            parsed = tuple(p.casefold() for p in parts)
        elif name in _DATE_FIELDS:
            if op not in (">>", "<<"):
                raise QueryError(f"date field {name} takes >>= or <<=, not {op!r}")
            parsed = tuple(_parse_date(p, now) for p in parts)
        elif name in _TAG_FIELDS:
            if op not in ("", "!"):
                raise QueryError(f"operator {op!r} does not apply to tag field {name}")
            parsed = tuple(_tag_names(library, name, parts))
        else:
            raise QueryError(f"unsupported filter field {key!r}")
        filters.append(Filter(level=level, field=name, op=op, values=parsed, raw=f"{key}={value}"))
    return filters


def _tag_names(library: EmulatorLibrary, tag_type: str, parts: Sequence[str]) -> Iterable[str]:
    """Filter values may be tag ids (what plexapi's FilterChoice lookup sends) or names."""
    for part in parts:
        text = part.strip()
        if text.isdigit():
            found = library.tags.by_id(int(text))
            if found is not None and found[0] == tag_type:
                yield found[1].casefold()
                continue
        yield text.casefold()


def _matches(library: EmulatorLibrary, item: AnyItem, flt: Filter) -> bool:
    name, op, values = flt.field, flt.op, flt.values
    if name in _TAG_FIELDS:
        have = {t.casefold() for t in item.get_tags(name)}
        hit = any(v in have for v in values)
        return hit if op == "" else not hit
    if name in _INTEGER_FIELDS:
        number = _number(library, item, name)
        if op == "!":
            return number is None or all(number != v for v in values)
        if number is None:
            return False
        if op == "":
            return any(number == v for v in values)
        if op == ">>":
            return any(number > v for v in values)
        return any(number < v for v in values)
    if name in _DATE_FIELDS:
        stamp = _date_value(library, item, name)
        if stamp is None:
            return False
        if op == ">>":
            return any(stamp > v for v in values)
        return any(stamp < v for v in values)
    text = (_text(item, name) or "").casefold()
    if op == "":
        return any(v in text for v in values)
    if op == "!":
        return not any(v in text for v in values)
    if op == "=":
        return any(v == text for v in values)
    if op == "!=":
        return all(v != text for v in values)
    if op == "<":
        return any(text.startswith(v) for v in values)
    return any(text.endswith(v) for v in values)


def _related(library: EmulatorLibrary, item: AnyItem, level: str) -> list[AnyItem]:
    """The items at ``level`` a filter prefixed with that libtype tests for ``item``."""
    own = _LEVEL[item.kind]
    want = _LEVEL[level]
    if want == own:
        return [item]
    if want < own:
        current: AnyItem | None = item
        while current is not None and _LEVEL[current.kind] > want:
            current = library.parent_of(current)
        return [current] if current is not None else []
    keys = (
        library.children_of(item.rating_key)
        if want - own == 1
        else library.leaves_of(item.rating_key)
    )
    return [x for x in (library.get(k) for k in keys) if x is not None]


ItemTest = Callable[[AnyItem], bool]

# Same-level fields whose value is a plain attribute of an item of that kind: what ``_number``,
# ``_date_value`` and ``get_tags`` return without looking at other items. An album's or artist's
# plays and last play come from its tracks, so those are not here and stay with ``_matches``.
_NUMBER_ATTRS: dict[ItemKind, dict[str, str]] = {
    "artist": {"userRating": "user_rating", "id": "rating_key"},
    "album": {
        "userRating": "user_rating",
        "id": "rating_key",
        "rating": "critic_rating",
        "year": "year",
    },
    "track": {
        "userRating": "user_rating",
        "id": "rating_key",
        "viewCount": "view_count",
        "skipCount": "skip_count",
        "index": "index",
        "duration": "duration",
        "ratingCount": "rating_count",
    },
}
_OWN_DATES = frozenset({"addedAt", "updatedAt", "lastRatedAt"})
_PLAIN_DATES: dict[ItemKind, frozenset[str]] = {
    "artist": _OWN_DATES,
    "album": _OWN_DATES,
    "track": _OWN_DATES | {"lastViewedAt", "lastSkippedAt"},
}
_TAG_ATTRS: dict[ItemKind, dict[str, str]] = {
    "artist": {"genre": "genres", "mood": "moods"},
    "album": {"genre": "genres", "mood": "moods", "subformat": "subformats"},
    "track": {"genre": "genres", "mood": "moods"},
}


def _constant(result: bool) -> ItemTest:
    def test(_item: AnyItem) -> bool:
        return result

    return test


def _compile_number(attr: str, op: str, values: Sequence[float]) -> ItemTest | None:
    """``_matches`` on one numeric attribute, its values folded into a set or a single bound.

    NaN (``float("nan")`` parses) equals and orders against nothing, so it can neither make an
    item match nor stop a ``!`` match; without it ``min``, ``max`` and set lookups give exactly
    what ``any(...)`` and ``all(...)`` over every value give.
    """
    get = attrgetter(attr)
    usable = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    if op == "!":
        banned = frozenset(usable)

        def test_not(item: AnyItem) -> bool:
            number = get(item)
            return number is None or number not in banned

        return test_not
    if op == "":
        wanted = frozenset(usable)

        def test_equal(item: AnyItem) -> bool:
            # None is in no set of numbers, as it equals none of them.
            return get(item) in wanted

        return test_equal
    if op not in (">>", "<<"):
        return None
    if not usable:
        return _constant(False)
    if op == ">>":
        low = min(usable)

        def test_after(item: AnyItem) -> bool:
            number = get(item)
            return number is not None and number > low

        return test_after
    high = max(usable)

    def test_before(item: AnyItem) -> bool:
        number = get(item)
        return number is not None and number < high

    return test_before


def _compile_tag(kind: ItemKind, name: str, op: str, values: Sequence[str]) -> ItemTest | None:
    """``_matches`` on one tag type: some tag's casefolded name is one of ``values``."""
    if op not in ("", "!"):
        return None
    wanted = frozenset(values)
    attr = _TAG_ATTRS[kind].get(name)
    tags_of: Callable[[AnyItem], Sequence[str]]
    if attr is not None:
        tags_of = attrgetter(attr)
    else:

        def tags_of(item: AnyItem) -> Sequence[str]:
            return item.get_tags(name)

    # Plain loops here and in ``_all_of``: ``any``/``all`` over a generator cost more per item
    # than the test itself.
    if op == "":

        def test_any(item: AnyItem) -> bool:
            for tag in tags_of(item):  # noqa: SIM110
                if tag.casefold() in wanted:
                    return True
            return False

        return test_any

    def test_none(item: AnyItem) -> bool:
        for tag in tags_of(item):  # noqa: SIM110
            if tag.casefold() in wanted:
                return False
        return True

    return test_none


def _compile(flt: Filter, kind: ItemKind) -> ItemTest | None:
    """A test that answers as ``_matches`` does for ``flt`` on an item of ``kind``; None where the
    value is not a plain attribute of that kind (derived, text, a calendar date) or the operator
    is one ``parse_filters`` never lets through.

    ``_matches`` looks up the field's kind, the item's attribute and each value's comparison per
    item; on a 300,000-track listing that is most of a request's time. Deciding them once leaves
    an attribute read and a comparison.
    """
    name, op, values = flt.field, flt.op, flt.values
    if name in _TAG_FIELDS:
        if not all(isinstance(v, str) for v in values):
            return None
        return _compile_tag(kind, name, op, values)
    if not all(isinstance(v, int | float) for v in values):
        return None
    if name in _INTEGER_FIELDS:
        attr = _NUMBER_ATTRS[kind].get(name)
        return None if attr is None else _compile_number(attr, op, values)
    if name in _PLAIN_DATES[kind] and op in (">>", "<<"):
        # ``_matches`` reads any other operator on a date as ``<<``; not worth a fast path.
        return _compile_number(_DATE_ATTRS[name], op, values)
    return None


def _filter_test(library: EmulatorLibrary, flt: Filter, kind: ItemKind) -> ItemTest:
    """``flt`` as a test of items of ``kind``: compiled where it can be, else the general path."""
    level = flt.level
    if level is not None and level != kind:

        def test_related(item: AnyItem) -> bool:
            return any(_matches(library, x, flt) for x in _related(library, item, level))

        return test_related
    compiled = _compile(flt, kind)
    if compiled is not None:
        return compiled

    def test_general(item: AnyItem) -> bool:
        return _matches(library, item, flt)

    return test_general


def _all_of(tests: Sequence[ItemTest]) -> ItemTest:
    if not tests:
        return _constant(True)
    if len(tests) == 1:
        # The common single-filter listing pays for no loop around its one test.
        return tests[0]

    def test(item: AnyItem) -> bool:
        for one in tests:  # noqa: SIM110
            if not one(item):
                return False
        return True

    return test


def predicate(
    library: EmulatorLibrary, filters: Sequence[Filter], *, kind: ItemKind | None = None
) -> ItemTest:
    """Whether an item passes every filter; answers as ``_general_predicate`` does.

    With ``kind``, every item tested must be of that kind (a listing's items are), and each
    filter is compiled once for it; without, items of any kind may come, at a lookup per item.
    """
    if kind is not None:
        return _all_of([_filter_test(library, flt, kind) for flt in filters])
    by_kind = {k: _all_of([_filter_test(library, flt, k) for flt in filters]) for k in KINDS}

    def test(item: AnyItem) -> bool:
        return by_kind[item.kind](item)

    return test


def _general_predicate(
    library: EmulatorLibrary, filters: Sequence[Filter]
) -> Callable[[AnyItem], bool]:
    """The reference meaning of a filter list, every filter through ``_matches`` per item; the
    compiled ``predicate`` must agree with it (tests/emulator/test_query_compiled.py)."""

    def test(item: AnyItem) -> bool:
        for flt in filters:
            if flt.level is None or flt.level == item.kind:
                if not _matches(library, item, flt):
                    return False
            elif not any(_matches(library, x, flt) for x in _related(library, item, flt.level)):
                return False
        return True

    return test


def _by_id(
    library: EmulatorLibrary, section: Section, kind: ItemKind, filters: Sequence[Filter]
) -> list[AnyItem] | None:
    """Candidates for an ``id`` filter on this level or a parent level, found through the index.

    ``artist.albums()`` asks ``artist.id=…`` once per artist; scanning every album for each would
    make that pattern quadratic, where Plex answers from an index. The full predicate still runs
    on the candidates.
    """
    for flt in filters:
        if flt.field != "id" or flt.op != "" or (flt.level and _LEVEL[flt.level] > _LEVEL[kind]):
            continue
        found: dict[int, AnyItem] = {}
        for value in flt.values:
            anchor = library.get(int(value)) if float(value).is_integer() else None
            if anchor is None or anchor.section_key != section.key:
                continue
            if anchor.kind == kind:
                found[anchor.rating_key] = anchor
                continue
            if flt.level is not None and anchor.kind != flt.level:
                continue
            if _LEVEL[anchor.kind] >= _LEVEL[kind]:
                continue
            step = _LEVEL[kind] - _LEVEL[anchor.kind]
            keys = (
                library.children_of(anchor.rating_key)
                if step == 1
                else library.leaves_of(anchor.rating_key)
            )
            for key in keys:
                item = library.get(key)
                if item is not None:
                    found[key] = item
        return sorted(found.values(), key=lambda i: library.position(i.rating_key))
    return None


# ------------------------------------------------------------------------------------ sorting
def _sort_value(library: EmulatorLibrary, item: AnyItem, level: str | None, name: str) -> Any:
    target: AnyItem | None = item
    if level is not None and level != item.kind:
        related = _related(library, item, level)
        target = related[0] if related else None
    if target is None:
        return None
    if name == "titleSort":
        return sort_key(target.sort_title)
    if name == "absoluteIndex":
        return _number(library, target, "index")
    if name in _INTEGER_FIELDS:
        return _number(library, target, name)
    if name in _DATE_FIELDS:
        return _date_value(library, target, name)
    value = _text(target, name)
    return None if value is None else sort_key(value)


def apply_sort(
    library: EmulatorLibrary,
    items: list[AnyItem],
    sort: str,
    *,
    kind: ItemKind | None = None,
    strictness: Strictness = STRICT,
) -> list[AnyItem]:
    """``items`` in the order ``sort`` asks (``addedAt:desc``, ``artist.titleSort,album.year``…).

    Items without a value sort lowest, as SQLite orders NULLs: first ascending, last descending.
    Ties keep ratingKey order, so a client paging through a sorted listing sees every item once.
    """
    specs = []
    for part in sort.split(","):
        raw = part.strip()
        if not raw:
            continue
        field_part, _, direction = raw.partition(":")
        match = re.fullmatch(r"(?:([A-Za-z]+)\.)?([A-Za-z]+)", field_part)
        if not match or direction not in ("", "asc", "desc", "nullsLast"):
            raise QueryError(f"unsupported sort {raw!r}")
        level, name = match.group(1), match.group(2)
        if level is not None and level not in _LEVEL:
            raise QueryError(f"unknown libtype prefix in sort {raw!r}")
        owner: ItemKind | None = cast(ItemKind, level) if level else kind
        if owner is None:
            if not any(offered(k, name, strictness, sort=True) for k in SORT_FIELDS):
                raise QueryError(f"unsupported sort field {name!r}")
        elif not offered(owner, name, strictness, sort=True):
            raise QueryError(f"sort {raw!r}: {owner} listings offer no {name} sort")
        specs.append((level, name, direction))
    result = sorted(items, key=lambda it: it.rating_key)
    # Stable sorts applied from the last key to the first give a multi-key order.
    for level, name, direction in reversed(specs):
        decorated = [(_sort_value(library, it, level, name), i) for i, it in enumerate(result)]
        if direction == "nullsLast":
            decorated.sort(key=lambda p: (p[0] is None, p[0] if p[0] is not None else 0))
        elif direction == "desc":
            # Descending, ties still in the earlier order: sort on the negated position too.
            decorated.sort(
                key=lambda p: (p[0] is not None, p[0] if p[0] is not None else 0, -p[1]),
                reverse=True,
            )
        else:
            decorated.sort(key=lambda p: (p[0] is not None, p[0] if p[0] is not None else 0))
        result = [result[i] for _, i in decorated]
    return result


# ------------------------------------------------------------------------------------ listing
@dataclass(frozen=True)
class Paging:
    start: int
    size: int | None


def paging(params: Mapping[str, str], headers: Mapping[str, str]) -> Paging:
    """Start and size from the query string, else from plexapi's request headers."""

    def read(name: str) -> int | None:
        raw = params.get(name)
        if raw is None:
            raw = headers.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            raise QueryError(f"{name} must be an integer, not {raw!r}") from None
        if value < 0:
            raise QueryError(f"{name} must not be negative")
        return value

    return Paging(start=read("X-Plex-Container-Start") or 0, size=read("X-Plex-Container-Size"))


def listing_kind(section: Section, params: Mapping[str, str]) -> ItemKind | None:
    """The item kind a section listing returns; None for types the section has none of."""
    raw = params.get("type")
    if raw is None or raw == "":
        return "artist" if section.is_music else None
    try:
        number = int(raw)
    except ValueError:
        raise QueryError(f"type must be a number, not {raw!r}") from None
    if not section.is_music:
        return None
    return KIND_BY_SEARCH_TYPE.get(number)


class ListingCache:
    """Filtered and sorted results, reused while the library is unchanged.

    A client paging through a filtered listing of 300,000 tracks asks for the same result many
    times; scanning once per page would make paging quadratic.
    """

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self._entries: dict[tuple[Any, ...], list[AnyItem]] = {}

    def get(self, key: tuple[Any, ...], build: Callable[[], list[AnyItem]]) -> list[AnyItem]:
        found = self._entries.get(key)
        if found is None:
            found = build()
            if len(self._entries) >= self.capacity:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = found
        return found


def select(
    library: EmulatorLibrary,
    section: Section,
    kind: ItemKind,
    pairs: Sequence[tuple[str, str]],
    cache: ListingCache,
    *,
    now: float | None = None,
    strictness: Strictness = STRICT,
) -> list[AnyItem] | Sequence[AnyItem]:
    """Every item of ``kind`` in ``section`` that the request's filters keep, in order."""
    params = dict(pairs)
    filter_pairs = [(k, v) for k, v in pairs if not is_passive(k)]
    sort = params.get("sort", "")
    limit_raw = params.get("limit")
    if not filter_pairs and not sort and limit_raw is None:
        return section.items(kind)
    moment = time.time() if now is None else now
    # A relative date ("-30d") means another instant every second; only such a listing keys its
    # cache entry on the clock, so paging through any other stays one scan.
    relative = any(_RELATIVE.match(p) for _, v in filter_pairs for p in v.split(","))
    key = (
        section.key,
        kind,
        tuple(filter_pairs),
        sort,
        limit_raw,
        library.version,
        int(moment) if relative else None,
        strictness,
    )

    def build() -> list[AnyItem]:
        filters = parse_filters(pairs, library, now=moment, kind=kind, strictness=strictness)
        found = _by_id(library, section, kind, filters)
        # The section's own list is only read here (under the library lock the server holds),
        # so filtering it directly saves copying 300,000 references first.
        candidates = section.items(kind) if found is None else found
        if filters:
            base = list(filter(predicate(library, filters, kind=kind), candidates))
        else:
            # A fresh list: the cache must not hold the section's list, which edits change.
            base = list(candidates)
        if sort:
            base = apply_sort(library, base, sort, kind=kind, strictness=strictness)
        if limit_raw is not None:
            try:
                base = base[: int(limit_raw)]
            except ValueError:
                raise QueryError(f"limit must be an integer, not {limit_raw!r}") from None
        return base

    return cache.get(key, build)
