"""Listing selection in-process: the indexed id paths agree with a full scan."""

from __future__ import annotations

import pytest

from plexrate.emulator import generate_library
from plexrate.emulator.library import ItemKind
from plexrate.emulator.query import ListingCache, parse_filters, predicate, select


@pytest.mark.parametrize(
    ("kind", "field"),
    [("album", "artist.id"), ("track", "artist.id"), ("track", "album.id"), ("track", "id")],
)
def test_id_lookups_match_a_full_scan(kind: ItemKind, field: str) -> None:
    lib = generate_library(tracks=700, seed=8)
    section = lib.default_section
    pool = {
        "artist.id": [a.rating_key for a in section.artists],
        "album.id": [a.rating_key for a in section.albums],
        "id": [t.rating_key for t in section.tracks],
    }[field]
    for values in (pool[:1], pool[3:6], pool[-2:], [999_999], [*pool[:2], 999_999]):
        pairs = [(field, ",".join(map(str, values))), ("track.userRating!", "3")]
        test = predicate(lib, parse_filters(pairs, lib, now=0))
        scanned = [i.rating_key for i in section.items(kind) if test(i)]
        indexed = [i.rating_key for i in select(lib, section, kind, pairs, ListingCache())]
        assert indexed == scanned, values
