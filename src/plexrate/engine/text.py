"""Title handling shared by the filler rules, twin grouping and the start-letter filter.

The old tool tested filler keywords with a substring search, so "intro" matched "Introduction"
and "live" matched "Oliver". Here a keyword matches only as a whole word by default: the
characters on either side must not be letters, digits or underscores, so punctuation ("Intro:",
"(Skit)", "Intro - Live") still counts as a boundary. ``substring=True`` is the old rule, for
``UPWARD_EXCLUSION_RULES.MATCH: "substring"``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_BRACKETS = re.compile(r"[()\[\]]")
_TRAILING_BRACKETED = re.compile(r"\s*(?:\([^()]*\)|\[[^\[\]]*\])\s*$")
# Apostrophes are dropped rather than turned into spaces, so "Don't" and "Dont" clean alike.
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`´]")
_NON_WORD = re.compile(r"[\W_]+")
_ASCII_CLEAN = {
    i: ("" if chr(i) in "'`" else " ") if not chr(i).isalnum() else chr(i).casefold()
    for i in range(128)
}


class KeywordMatcher:
    """Whole-word (or substring), punctuation-aware keyword test; no keywords match nothing."""

    __slots__ = ("_pattern",)

    def __init__(
        self, keywords: Iterable[str], *, case_sensitive: bool = False, substring: bool = False
    ) -> None:
        words = sorted({w.strip() for w in keywords if w.strip()}, key=lambda w: (-len(w), w))
        if not words:
            self._pattern: re.Pattern[str] | None = None
            return
        alternation = "|".join(re.escape(w) for w in words)
        flags = 0 if case_sensitive else re.IGNORECASE
        if substring:
            self._pattern = re.compile(alternation, flags)
        else:
            self._pattern = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", flags)

    def __call__(self, title: str) -> bool:
        return self._pattern is not None and self._pattern.search(title) is not None


def has_brackets(title: str) -> bool:
    return _BRACKETS.search(title) is not None


def strip_trailing_brackets(title: str) -> str:
    """Remove trailing "(…)" / "[…]" parts: "Song (Remastered 2009) [Mono]" → "Song"."""
    while title.rstrip().endswith((")", "]")):
        stripped = _TRAILING_BRACKETED.sub("", title)
        if stripped == title or not stripped.strip():
            return title
        title = stripped
    return title


def clean_title(title: str) -> str:
    """The comparison form of a title or artist name for twin grouping.

    NFKC normalisation (full-width letters, ligatures and composed/decomposed accents compare
    equal), case folding, apostrophes dropped, every other run of punctuation, symbols or
    whitespace collapsed to one space. Accents themselves are kept: "Café" and "Cafe" may be
    different songs.
    """
    if title.isascii():
        # Same result as the general path below, by table lookups instead of regular expressions.
        return " ".join(title.translate(_ASCII_CLEAN).split())
    text = unicodedata.normalize("NFKC", title).casefold()
    text = _APOSTROPHES.sub("", text)
    return _NON_WORD.sub(" ", text).strip()


def sort_form(sort_title: str) -> str:
    """Casefolded with accents stripped, for ordering and the start-letter filter."""
    decomposed = unicodedata.normalize("NFKD", sort_title.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def before_letter(sort_title: str, letter: str) -> bool:
    """Whether an artist sort title sorts before ``letter``.

    Anything that does not begin with a letter (digits, punctuation, an empty title) sorts before
    "A", as it does in Plex's own alphabetical jump bar.
    """
    form = sort_form(sort_title)
    if not form or not form[0].isalpha():
        return True
    return form[0] < letter


def normalise_start_letter(letter: str) -> str:
    """Validate a start letter and return its comparison form; raises ``ValueError``."""
    form = sort_form(letter)
    if len(form) != 1 or not form.isalpha():
        raise ValueError(f"start letter must be a single letter, not {letter!r}")
    return form
