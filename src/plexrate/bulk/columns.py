"""The bulk CSV format: the columns of each item type, and how values are written and read.

The column sets and their order are the old tool's (``original-tool.md`` §1), so files exported
by either tool import into both. Ratings are in stars (0–5) in the file and on Plex's 0–10 scale
everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from plexrate.model import ItemType, plex_rating

KEY = "ratingKey"
RATING = "userRating"
TYPE = "ratingType"
YEAR = "releaseYear"

COLUMNS: Mapping[ItemType, tuple[str, ...]] = MappingProxyType(
    {
        ItemType.ARTIST: (
            KEY,
            "artistName",
            "sortName",
            "albumCount",
            "genres",
            RATING,
            TYPE,
        ),
        ItemType.ALBUM: (
            KEY,
            "albumName",
            "sortName",
            "artistName",
            YEAR,
            "genres",
            RATING,
            TYPE,
        ),
        ItemType.TRACK: (
            KEY,
            "trackTitle",
            "trackArtist",
            "albumName",
            "albumArtist",
            RATING,
            TYPE,
        ),
    }
)
NAME: Mapping[ItemType, str] = MappingProxyType(
    {ItemType.ARTIST: "artistName", ItemType.ALBUM: "albumName", ItemType.TRACK: "trackTitle"}
)
"""The column naming the item itself; import reads it back (unguarded, see ``read_cell``) for
people's messages, never to find the item."""
REQUIRED: tuple[str, ...] = (KEY, RATING, TYPE)
"""The columns import reads; every other column (releaseYear aside, for albums) is ignored."""

GENRE_SEPARATOR = "; "
"""Between an item's genres in one cell. Genres are written for people and ignored on import; a
cell holding it is quoted whenever the file's delimiter is ``;``, so it survives a re-save."""

STAR_DECIMALS = 3
"""plexrate keeps 0.01 on the 0–10 scale, i.e. 0.005 stars: three decimals re-import exactly."""

DELIMITERS: Mapping[str, str] = MappingProxyType(
    {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
)
"""What ``--delimiter`` accepts, and the character each means."""


FORMULA_STARTS = frozenset("=+-@\t\r")
"""A cell starting with one of these is a formula (or a DDE command) to a spreadsheet that opens
the file: a title such as ``=HYPERLINK(...)`` would run instead of showing (CSV injection)."""

TEXT_GUARD = "'"
"""Put before such a cell so spreadsheets show it as text; import takes it off again."""


def safe_cell(text: str) -> str:
    """``text`` as a cell spreadsheets show as text: one apostrophe before a cell that would
    start a formula, and before one that already starts with apostrophes and then such a
    character, so that ``read_cell`` can tell the two apart and every title survives a round
    trip (``read_cell(safe_cell(t)) == t`` for every string)."""
    if text.lstrip(TEXT_GUARD)[:1] in FORMULA_STARTS:
        return TEXT_GUARD + text
    return text


def read_cell(cell: str) -> str:
    """The text a ``safe_cell`` came from (a cell plexrate did not guard is returned as is)."""
    if cell.startswith(TEXT_GUARD) and cell.lstrip(TEXT_GUARD)[:1] in FORMULA_STARTS:
        return cell[1:]
    return cell


class RatingType(StrEnum):
    MANUAL = "manual"
    """The person's own rating."""
    INFERRED = "inferred"
    """A rating plexrate wrote and still owns; on import, an item to hand back to inference."""


def article(word: str) -> str:
    """``an album``, ``a track``."""
    return f"an {word}" if word[:1] in ("a", "e", "i", "o", "u") else f"a {word}"


def format_stars(value: float | None, *, decimal_comma: bool = False) -> str:
    """A 0–10 rating as the file's stars: 7.5 → ``3.75``, 8.0 → ``4``, None → empty."""
    if value is None:
        return ""
    text = f"{value / 2:.{STAR_DECIMALS}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if decimal_comma else text


_NUMBER = re.compile(r"(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_WHOLE = re.compile(r"[0-9]+")
_YEAR = re.compile(r"([0-9]+)(?:[.,]0*)?")


def parse_stars(text: str) -> float | None:
    """A ``userRating`` cell as a 0–10 rating; empty (or 0, as Plex treats it) means unrated.

    A comma is accepted as the decimal separator whatever the delimiter: no rating in 0–5 has a
    thousands separator, so ``3,5`` can only mean 3.5. Raises ``ValueError`` with a message fit
    for people.
    """
    cleaned = text.strip()
    if not cleaned:
        return None
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(f"{cleaned!r} is not a number of stars (0–5, e.g. 3.5)")
    stars = float(cleaned.replace(",", "."))
    if stars > 5:
        hint = f" (Plex's 0–10 value {stars:g} is {stars / 2:g} stars)" if stars <= 10 else ""
        raise ValueError(f"{cleaned!r} is outside 0–5 stars{hint}")
    if stars == 0:
        return None
    if plex_rating(stars * 2) <= 0:
        # Plex keeps one decimal of its 0–10 scale and reads 0 as unrated: this value would
        # arrive as "unrated", which is not what the cell asks for (docs/real-servers.md).
        raise ValueError(
            f"{cleaned!r} stars would be stored as 0, which Plex reads as unrated (Plex keeps "
            "ratings to 0.1 of its 0–10 scale, 0.05 stars); write 0 or leave the cell empty to "
            "clear the rating"
        )
    # Round away binary noise (3.7 * 2 = 7.4000000000000004) without losing a real decimal.
    return round(stars * 2, 9)


def parse_key(text: str) -> int:
    cleaned = text.strip()
    if not _WHOLE.fullmatch(cleaned) or int(cleaned) == 0:
        raise ValueError(
            f"{cleaned!r} is not a Plex ratingKey (a whole number)"
            if cleaned
            else "is empty: every row needs the item's ratingKey"
        )
    return int(cleaned)


def parse_rating_type(text: str) -> RatingType | None:
    cleaned = text.strip()
    if not cleaned:
        return None
    try:
        return RatingType(cleaned.casefold())
    except ValueError:
        raise ValueError(f"{cleaned!r} is neither 'manual' nor 'inferred' (or empty)") from None


def parse_year(text: str) -> int | None:
    """A ``releaseYear`` cell: empty, or a whole number (``1999.0`` from a spreadsheet is 1999).

    Whether the year is plausible is checked against the album (an unchanged year is always
    accepted, whatever Plex holds).
    """
    cleaned = text.strip()
    if not cleaned:
        return None
    match = _YEAR.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"{cleaned!r} is not a year")
    return int(match.group(1))
