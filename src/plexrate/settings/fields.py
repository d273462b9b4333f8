"""The types a setting's value may take, with the checks that give each its message."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AliasGenerator,
    AllowInfNan,
    BeforeValidator,
    SecretStr,
    StringConstraints,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import NoDecode

from plexrate.settings.constants import MAX_TAG_LENGTH


class RatingWriteMode(StrEnum):
    AUTO = "auto"
    """Edit (one multi-edit per value) and verify a sample by reading it back; fall back to rate."""
    EDIT = "edit"
    """Multi-edit of ``userRating`` grouped by value."""
    RATE = "rate"
    """One ``/:/rate`` request per item."""


class StateJournalMode(StrEnum):
    AUTO = "auto"
    """WAL, or the rollback journal when the state file is on a network filesystem."""
    WAL = "wal"
    DELETE = "delete"
    """SQLite's rollback journal: works on NFS and SMB shares."""


def _not_bool(value: object) -> object:
    # pydantic accepts JSON true/false as 1/0 for numbers; in a config that is always a mistake.
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "true/false is not a number")
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
    if isinstance(number, float) and not math.isfinite(number):
        # Before the range checks, which would call NaN "below 0" and "inf" "above 3600".
        raise PydanticCustomError("finite_number", "is not a finite number")
    return value


def _split_words(value: object) -> object:
    # Environment variables carry lists as text: JSON (["live", "demo"]) or comma-separated.
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise PydanticCustomError("word_list", "is not a valid JSON list") from None
    return [word.strip() for word in text.split(",") if word.strip()]


def _no_blank_words(words: tuple[str, ...]) -> tuple[str, ...]:
    if any(not word.strip() for word in words):
        raise PydanticCustomError(
            "blank_word", "contains an empty keyword, which would match every title"
        )
    return words


def _check_tag(tag: str) -> str:
    if "," in tag:
        raise PydanticCustomError(
            "tag_comma", "contains a comma, which Plex reads as a list of several tags"
        )
    return tag


def normalised_choice(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _non_empty_path(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise PydanticCustomError("path_empty", "is empty")
    return value


def _expand_home(path: Path) -> Path:
    """``~`` and ``~user`` expanded; a user without a known home is an error, not a RuntimeError."""
    try:
        return path.expanduser()
    except RuntimeError:
        raise PydanticCustomError(
            "path_home", "starts with ~ but names no user whose home folder is known"
        ) from None


def _absolute(path: Path) -> Path:
    return _expand_home(path).resolve()


# Infinity and NaN are valid JSON to Python's reader (and "inf" to pydantic): a timeout or a pause
# of Infinity, or a weight of NaN, would fail far from the config, so every number is finite.
Number = Annotated[float, BeforeValidator(_not_bool), AllowInfNan(False)]
Whole = Annotated[int, BeforeValidator(_not_bool)]
Words = Annotated[
    tuple[str, ...], NoDecode, BeforeValidator(_split_words), AfterValidator(_no_blank_words)
]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_TAG_LENGTH),
    AfterValidator(_check_tag),
]
FilePath = Annotated[Path, BeforeValidator(_non_empty_path), AfterValidator(_absolute)]


def _empty_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


OptionalPath = Annotated[
    Path | None,
    BeforeValidator(_empty_is_none),
    AfterValidator(lambda path: None if path is None else _absolute(path)),
]

FILE_KEYS = AliasGenerator(serialization_alias=str.upper)


def secret_text(value: object) -> object:
    """A secret setting as stripped text, None when blank; anything else is left to the type."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return value
    return value.strip() or None


def check_plex_url(url: str) -> str:
    """The URL as plexrate uses it (no trailing slash); ValueError says what is wrong with it.

    Plex is addressed as ``http(s)://host[:port]``; a path, query or credentials would be sent
    with every request, so they are refused rather than passed on.
    """
    text = url.strip()
    if any(ch.isspace() for ch in text):
        raise ValueError("contains spaces")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must start with http:// or https:// followed by the server's address")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    if not parts.hostname:
        raise ValueError("has no host name")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must not have anything after host[:port]")
    return f"{parts.scheme}://{parts.netloc.rstrip(':')}"
