"""Compiled listing filters (hypothesis): ``predicate`` answers exactly as the general ``_matches``
path does, item by item and on whole listings, for every operator and for missing values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plexrate.emulator import generate_library
from plexrate.emulator.library import (
    TAG_ELEMENTS,
    AlbumItem,
    AnyItem,
    ArtistItem,
    EmulatorLibrary,
    ItemKind,
    TrackItem,
)
from plexrate.emulator.query import (
    FILTER_FIELDS,
    Filter,
    ListingCache,
    _compile,
    _general_predicate,
    _matches,
    parse_filters,
    predicate,
    select,
)

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LISTING = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# What must take the compiled path, written out here rather than read from query.py so that a
# field silently dropped from (or wrongly added to) the fast path shows up.
INTEGER_FIELDS: dict[ItemKind, tuple[str, ...]] = {
    "artist": ("userRating", "id"),
    "album": ("userRating", "id", "rating", "year"),
    "track": (
        "userRating",
        "id",
        "viewCount",
        "skipCount",
        "index",
        "duration",
        "ratingCount",
    ),
}
DATE_FIELDS: dict[ItemKind, tuple[str, ...]] = {
    "artist": ("addedAt", "updatedAt", "lastRatedAt"),
    "album": ("addedAt", "updatedAt", "lastRatedAt"),
    "track": ("addedAt", "updatedAt", "lastRatedAt", "lastViewedAt", "lastSkippedAt"),
}
TAG_FIELDS = tuple(TAG_ELEMENTS)
KIND_NAMES: tuple[ItemKind, ...] = ("artist", "album", "track")

# Numbers that collide often, with the awkward ones: both zeros, int against float, NaN, infinity.
NUMBERS: list[float] = [0, 0.0, -0.0, 1, 1.0, 2.5, 5, 10, -1, math.nan, math.inf, -math.inf]
numbers = st.one_of(st.sampled_from(NUMBERS), st.integers(-2, 12), st.floats(-1e3, 1e3))
maybe_number = st.one_of(st.none(), numbers)
filter_numbers = st.one_of(st.just(math.nan), numbers)
# Fields the library types as integers get integers; the float oddities go to the ratings.
counts = st.integers(-2, 12)
maybe_count = st.one_of(st.none(), counts)
stamps = st.integers(0, 12)
maybe_stamp = st.one_of(st.none(), stamps)
# Casefold pairs that differ from lower(): "Straße" folds to "strasse", the ligature to "fi".
TAG_NAMES = ["Calm", "calm", "CALM", "Straße", "strasse", "STRASSE", "\ufb01re", "fire", "Sad", ""]
tag_lists = st.lists(st.sampled_from(TAG_NAMES), max_size=3).map(tuple)
extra_tags = st.dictionaries(
    st.sampled_from(["style", "collection", "label", "country", "format"]), tag_lists, max_size=3
)


@st.composite
def items(draw: st.DrawFn, kind: ItemKind) -> AnyItem:
    common: dict[str, Any] = {
        "rating_key": draw(st.integers(1, 12)),
        "title": "x",
        "user_rating": draw(maybe_number),
        "last_rated_at": draw(maybe_stamp),
        "added_at": draw(maybe_stamp),
        "updated_at": draw(maybe_stamp),
        "genres": draw(tag_lists),
        "moods": draw(tag_lists),
        "tags": draw(extra_tags) or None,
    }
    if kind == "artist":
        return ArtistItem(**common)
    if kind == "album":
        return AlbumItem(
            **common,
            artist_key=1,
            year=draw(maybe_count),
            critic_rating=draw(maybe_number),
            subformats=draw(tag_lists),
        )
    return TrackItem(
        **common,
        album_key=1,
        view_count=draw(counts),
        skip_count=draw(counts),
        index=draw(maybe_count),
        duration=draw(maybe_count),
        rating_count=draw(maybe_count),
        last_viewed_at=draw(maybe_stamp),
        last_skipped_at=draw(maybe_stamp),
    )


@st.composite
def filters(draw: st.DrawFn, kind: ItemKind) -> Filter:
    """A same-level filter of a compiled kind, as ``parse_filters`` would build it."""
    family = draw(st.sampled_from(["integer", "date", "tag"]))
    values: tuple[Any, ...]
    if family == "integer":
        name = draw(st.sampled_from(INTEGER_FIELDS[kind]))
        op = draw(st.sampled_from(["", "!", ">>", "<<"]))
        # NaN often, and often first: ``min``/``max`` over values would keep a leading NaN.
        values = tuple(draw(st.lists(filter_numbers, min_size=1, max_size=4)))
    elif family == "date":
        name = draw(st.sampled_from(DATE_FIELDS[kind]))
        op = draw(st.sampled_from([">>", "<<"]))
        values = tuple(draw(st.lists(stamps, min_size=1, max_size=4)))
    else:
        name = draw(st.sampled_from(TAG_FIELDS))
        op = draw(st.sampled_from(["", "!"]))
        # parse_filters casefolds; an unfolded value (a hand-built Filter) must behave alike too.
        raw = draw(st.lists(st.sampled_from(TAG_NAMES), min_size=1, max_size=3))
        values = tuple(v if draw(st.booleans()) else v.casefold() for v in raw)
    level = draw(st.sampled_from([None, kind]))
    return Filter(level=level, field=name, op=op, values=values, raw=f"{name}{op}")


@st.composite
def cases(draw: st.DrawFn) -> tuple[ItemKind, AnyItem, list[Filter]]:
    kind = draw(st.sampled_from(KIND_NAMES))
    return kind, draw(items(kind)), draw(st.lists(filters(kind), min_size=1, max_size=3))


def _nan_first(op: str, rating: float) -> tuple[ItemKind, AnyItem, list[Filter]]:
    flt = Filter(level=None, field="userRating", op=op, values=(math.nan, 5.0), raw="")
    return "track", TrackItem(rating_key=1, title="x", album_key=1, user_rating=rating), [flt]


@PROPERTY
@example(_nan_first(">>", 7.0))
@example(_nan_first("<<", 2.0))
@example(_nan_first("!", 5.0))
@given(cases())
def test_compiled_filters_agree_with_matches(case: tuple[ItemKind, AnyItem, list[Filter]]) -> None:
    kind, item, flts = case
    library = EmulatorLibrary()
    for flt in flts:
        compiled = _compile(flt, kind)
        assert compiled is not None, flt
        assert compiled(item) == _matches(library, item, flt), flt
    expected = _general_predicate(library, flts)(item)
    assert predicate(library, flts, kind=kind)(item) == expected
    assert predicate(library, flts)(item) == expected


@pytest.mark.parametrize(
    ("kind", "name", "op", "values"),
    [
        ("album", "lastViewedAt", ">>", (0,)),
        ("artist", "lastSkippedAt", "<<", (0,)),
        ("album", "viewCount", ">>", (0.0,)),
        ("artist", "viewCount", "", (0.0,)),
        ("album", "originallyAvailableAt", ">>", (0,)),
        ("track", "title", "=", ("x",)),
        ("album", "studio", "", ("x",)),
        ("track", "addedAt", "", (0,)),
    ],
)
def test_derived_text_and_odd_filters_stay_general(
    kind: ItemKind, name: str, op: str, values: tuple[Any, ...]
) -> None:
    """Values read from other items, text, calendar dates and operators ``parse_filters`` never
    lets through keep to ``_matches``."""
    assert _compile(Filter(level=None, field=name, op=op, values=values, raw=name), kind) is None


# ---------------------------------------------------------------------- whole listings, all paths
@cache
def small_library() -> EmulatorLibrary:
    return generate_library(tracks=240, seed=5)


def _stamps(library: EmulatorLibrary) -> list[int]:
    found = set()
    for item in (*library.default_section.tracks, *library.default_section.albums):
        for attr in ("added_at", "updated_at", "last_rated_at"):
            value = getattr(item, attr)
            if value is not None:
                found.add(value)
        if isinstance(item, TrackItem):
            found.update(v for v in (item.last_viewed_at, item.last_skipped_at) if v is not None)
    return sorted(found)


def _tags(library: EmulatorLibrary) -> dict[str, list[tuple[int, str]]]:
    """Every registered tag (id and name) per tag type; ids count up from 1001 without gaps."""
    found: dict[str, list[tuple[int, str]]] = {t: [] for t in TAG_ELEMENTS}
    tag_id = 1001
    while (tag := library.tags.by_id(tag_id)) is not None:
        found[tag[0]].append((tag_id, tag[1]))
        tag_id += 1
    return found


@st.composite
def pairs(draw: st.DrawFn, kind: ItemKind) -> list[tuple[str, str]]:
    """Query-string filters a client may send: own-level, other-level, derived and text."""
    library = small_library()
    tags, stamp_pool = _tags(library), _stamps(library)
    out = []
    for _ in range(draw(st.integers(1, 3))):
        level: ItemKind = draw(st.sampled_from(KIND_NAMES))
        name = draw(st.sampled_from(sorted(FILTER_FIELDS[level])))
        prefixed = draw(st.booleans()) or level != kind
        if name in TAG_ELEMENTS:
            op = draw(st.sampled_from(["", "!"]))
            # Ids as plexapi sends them, names in another case, and a tag nobody has.
            known = tags[name][:6]
            choices = [str(i) for i, _ in known] + [n.upper() for _, n in known] + ["nosuch"]
            value = ",".join(draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3)))
        elif name in ("title", "studio", "guid"):
            op = draw(st.sampled_from(["", "!", "=", "!=", "<", ">"]))
            value = draw(st.sampled_from(["a", "the", "e,o", ""]))
        elif name in DATE_FIELDS["track"] or name == "originallyAvailableAt":
            op = draw(st.sampled_from([">>", "<<"]))
            picks = draw(st.lists(st.sampled_from(stamp_pool), min_size=1, max_size=3))
            value = ",".join(str(p + draw(st.sampled_from([-1, 0, 1]))) for p in picks)
        else:
            op = draw(st.sampled_from(["", "!", ">>", "<<"]))
            numbers = ["0", "1", "5", "7.5", "10", "nan"]
            value = ",".join(draw(st.lists(st.sampled_from(numbers), min_size=1, max_size=3)))
        out.append((f"{level}.{name}{op}" if prefixed else f"{name}{op}", value))
    return out


@st.composite
def listings(draw: st.DrawFn) -> tuple[ItemKind, list[tuple[str, str]]]:
    kind = draw(st.sampled_from(KIND_NAMES))
    return kind, draw(pairs(kind))


@LISTING
@given(listings())
def test_listings_agree_with_the_general_path(
    listing: tuple[ItemKind, Sequence[tuple[str, str]]],
) -> None:
    kind, query = listing
    library = small_library()
    section = library.default_section
    flts = parse_filters(query, library, now=1_717_200_000, kind=kind)
    general = _general_predicate(library, flts)
    expected = [i.rating_key for i in section.items(kind) if general(i)]
    compiled = predicate(library, flts, kind=kind)
    assert [i.rating_key for i in section.items(kind) if compiled(i)] == expected
    anykind = predicate(library, flts)
    assert [i.rating_key for i in section.items(kind) if anykind(i)] == expected
    got = select(library, section, kind, query, ListingCache(), now=1_717_200_000)
    assert [i.rating_key for i in got] == expected
