"""Keyword matching, title cleaning and sort forms."""

from __future__ import annotations

import dataclasses

import pytest

from plexrate.engine.config import EngineConfig, KeywordMatch
from plexrate.engine.index import LibraryIndex, filler_rule_difference
from plexrate.engine.text import (
    KeywordMatcher,
    before_letter,
    clean_title,
    has_brackets,
    normalise_start_letter,
    sort_form,
    strip_trailing_brackets,
)
from tests.support.library import Lib

FILLER = KeywordMatcher(["intro", "outro", "skit"])


@pytest.mark.parametrize(
    "title",
    ["Intro", "intro", "Intro:", "(Skit)", "Intro - Live", "The Outro", "Skit #2", "INTRO!"],
)
def test_a_keyword_matches_as_a_whole_word_next_to_punctuation(title: str) -> None:
    assert FILLER(title)


@pytest.mark.parametrize(
    "title", ["Introduction", "Outrospective", "Skits", "Reintroduce", "Intro_Song", ""]
)
def test_a_keyword_inside_a_longer_word_does_not_match(title: str) -> None:
    assert not FILLER(title)


def test_case_sensitive_matching_respects_case() -> None:
    matcher = KeywordMatcher(["Intro"], case_sensitive=True)
    assert matcher("Intro")
    assert not matcher("intro")
    assert KeywordMatcher(["Intro"])("INTRO")


def test_multi_word_and_special_character_keywords() -> None:
    assert KeywordMatcher(["hidden track"])("Untitled (Hidden Track)")
    assert KeywordMatcher(["a+b"])("The a+b Song")
    assert not KeywordMatcher(["a+b"])("aab")


def test_no_keywords_match_nothing() -> None:
    assert not KeywordMatcher([])("Intro")
    assert not KeywordMatcher(["", "  "])("Intro")


def test_accented_letters_are_word_characters() -> None:
    assert not KeywordMatcher(["live"])("livé")
    assert KeywordMatcher(["live"])("Live à Paris")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Don't Stop!", "dont stop"),
        ("Don’t   Stop", "dont stop"),
        ("DONT STOP", "dont stop"),
        ("Song - Part 1", "song part 1"),
        ("Ｓｏｎｇ", "song"),
        ("Café", "café"),
        ("Cafe\u0301", "café"),
        ("  Hello,   World  ", "hello world"),
        ("...", ""),
    ],
)
def test_clean_title(raw: str, cleaned: str) -> None:
    assert clean_title(raw) == cleaned


def test_brackets() -> None:
    assert has_brackets("Song (Live)")
    assert has_brackets("Song [Mono]")
    assert not has_brackets("Song - Live")
    assert strip_trailing_brackets("Song (Remastered 2009) [Mono]") == "Song"
    assert strip_trailing_brackets("(Intro) Song") == "(Intro) Song"
    assert strip_trailing_brackets("(Untitled)") == "(Untitled)"


def test_sort_form_strips_accents_and_case() -> None:
    assert sort_form("Édith Piaf") == "edith piaf"
    assert sort_form("  Beatles") == "beatles"


@pytest.mark.parametrize(
    ("sort_title", "letter", "before"),
    [
        ("Beatles", "c", True),
        ("Cure", "c", False),
        ("cure", "c", False),
        ("Édith Piaf", "f", True),
        ("Édith Piaf", "e", False),
        ("4 Non Blondes", "a", True),
        ("!!!", "a", True),
        ("", "a", True),
        ("Zappa", "m", False),
    ],
)
def test_before_letter(sort_title: str, letter: str, before: bool) -> None:
    assert before_letter(sort_title, letter) is before


def test_start_letter_is_validated_and_normalised() -> None:
    assert normalise_start_letter("M") == "m"
    assert normalise_start_letter("É") == "e"
    for bad in ("", "MN", "4", "-"):
        with pytest.raises(ValueError, match="single letter"):
            normalise_start_letter(bad)


def test_substring_matching_is_the_old_tools_rule() -> None:
    word = KeywordMatcher(["intro", "skit"])
    old = KeywordMatcher(["intro", "skit"], substring=True)
    for title in ("Introduction", "Skitzo", "the intros"):
        assert not word(title)
        assert old(title)
    for title in ("Intro", "Intro (Live)", "Skit: 2"):
        assert word(title)
        assert old(title)
    assert not old("Outro")
    assert not KeywordMatcher(["intro"], substring=True, case_sensitive=True)("Introduction")


def test_match_setting_decides_which_tracks_are_filler() -> None:
    lib = Lib()
    lib.artist(1, "Alpha")
    lib.album(10, 1, "X")
    lib.track(100, 10, "Introduction")
    lib.track(101, 10, "Intro")
    lib.track(102, 10, "Song")
    snapshot = lib.snapshot()
    word = EngineConfig()
    substring = dataclasses.replace(
        word, filler=dataclasses.replace(word.filler, match=KeywordMatch.SUBSTRING)
    )
    assert LibraryIndex.build(snapshot, word).filler == {101}
    assert LibraryIndex.build(snapshot, substring).filler == {100, 101}
    assert filler_rule_difference(snapshot, word.filler) == (1, ("Introduction",))
