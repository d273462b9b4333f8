"""How strict the emulator is. By default: at least as strict as a real Plex Media Server.

Each rule below is a behaviour real servers show (``docs/real-servers.md`` gives the evidence for
each, ``plex-api.md`` §7 the summary). Where the evidence is uncertain the emulator takes the
stricter side, so plexrate is tested against the harder case. Every rule can be relaxed, but only
by naming it (``Emulator(..., lenient={"rating-precision"})`` or ``plexrate emulator serve
--lenient rating-precision``): a test that needs a forgiving server says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

MAX_PAGE_SIZE = 1000
"""Largest ``X-Plex-Container-Size`` a section listing accepts (PMS ≥ 1.28 refuses more)."""
METADATA_DEFAULT_PAGE = 50
"""Items a ``/library/metadata/{ids}`` answer holds when no size is sent (the community spec's
default; real servers are not documented to page this endpoint, so the emulator assumes they do)."""
LISTING_GENRES = 3
"""Genres a listing carries per item; detail answers carry them all (python-plexapi #249)."""
RATING_DECIMALS = 1
"""``userRating`` is kept to one decimal on the 0–10 scale, whichever write form set it."""

LENIENCIES: dict[str, str] = {
    "rating-precision": "keep userRating at full float precision (real servers keep one decimal)",
    "any-page-size": (
        "serve section listings of any size, and without X-Plex-Container-Size "
        "(real servers answer 400 above 1000 or without the header)"
    ),
    "unpaged-metadata": (
        "answer /library/metadata/{ids} with every item when no size is sent "
        "(the strict emulator pages it by 50)"
    ),
    "all-genres": "listings carry every genre (real listings carry at most 3)",
    "date-sets-year": (
        "an originallyAvailableAt edit also sets the album's year (not known of real servers)"
    ),
    "album-artist-rated-filters": (
        "offer lastRatedAt filters and sorts on albums and artists (the real Meta lists them "
        "for tracks only; a newer server might offer them)"
    ),
    "album-artist-updated-filters": (
        "offer updatedAt filters on albums and artists (plexapi adds them by hand and its CI "
        "searches them on a real server; no real Meta lists them)"
    ),
    "edit-sets-last-rated": (
        "a userRating.value edit sets lastRatedAt and sends media.rate webhooks, as /:/rate "
        "does (not known of real servers)"
    ),
    "clear-sets-last-rated": (
        "clearing a rating (/:/rate rating=-1) moves lastRatedAt, so date filters see clears "
        "(not known of real servers)"
    ),
}
RATED_LENIENCY = "album-artist-rated-filters"
UPDATED_LENIENCY = "album-artist-updated-filters"
EDIT_RATED_LENIENCY = "edit-sets-last-rated"


@dataclass(frozen=True, slots=True)
class Strictness:
    """The rules in force; ``lenient`` names the ones switched off."""

    lenient: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(self.lenient - LENIENCIES.keys())
        if unknown:
            known = ", ".join(sorted(LENIENCIES))
            raise ValueError(f"unknown emulator leniency {', '.join(unknown)} (known: {known})")

    @classmethod
    def of(cls, lenient: Iterable[str] | Strictness | None) -> Strictness:
        if isinstance(lenient, Strictness):
            return lenient
        return cls(frozenset(lenient or ()))

    @property
    def strict(self) -> bool:
        return not self.lenient

    def allows(self, leniency: str) -> bool:
        """Whether the forgiving behaviour ``leniency`` is switched on."""
        if leniency not in LENIENCIES:
            raise ValueError(f"unknown emulator leniency {leniency}")
        return leniency in self.lenient

    def stored_rating(self, value: float | None) -> float | None:
        """A rating as the server keeps it."""
        if value is None or "rating-precision" in self.lenient:
            return value
        # Half up, in tenths, so 6.85 is 6.9 on every platform (what plexrate assumes too).
        return math.floor(value * 10.0 + 0.5 + 1e-9) / 10.0

    @property
    def max_page_size(self) -> int | None:
        return None if "any-page-size" in self.lenient else MAX_PAGE_SIZE

    @property
    def requires_page_size(self) -> bool:
        return "any-page-size" not in self.lenient

    @property
    def metadata_default_page(self) -> int | None:
        return None if "unpaged-metadata" in self.lenient else METADATA_DEFAULT_PAGE

    @property
    def listing_genres(self) -> int | None:
        return None if "all-genres" in self.lenient else LISTING_GENRES

    @property
    def date_sets_year(self) -> bool:
        return "date-sets-year" in self.lenient

    @property
    def clear_sets_last_rated(self) -> bool:
        return "clear-sets-last-rated" in self.lenient

    @property
    def edit_sets_last_rated(self) -> bool:
        return EDIT_RATED_LENIENCY in self.lenient


STRICT = Strictness()
