"""The old tool's ``plex_state.json``: parse both of its formats, compare its library stamp, export.

Pure file handling, no database: ``StateStore.import_legacy`` turns a parsed ``LegacyState`` into
ownership records once the snapshot has supplied the item types the file does not record.

The two formats (``docs/state.md``):

* stamped: ``{"version": …, "library_uuid": "…", "ratings": {"<key>": {"r": 7.5, "t": false}}}``
  keyed by ratingKey, where ``r`` is the value the old tool wrote (0–10) and ``t`` says it
  came from the twins pass;
* flat (older): ``{"<ratingKey>": 7.5, …}``.

A file that cannot be read completely is an error, never an empty state: the old tool reset its
state to empty on any parse error, which silently turned every inferred rating into a "manual" one
(``original-tool.md`` §2, defect 9).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from plexrate import __version__
from plexrate.errors import InputFileError
from plexrate.fileio import read_bounded, write_atomic
from plexrate.model import RATING_MAX, RATING_MIN, OwnedItem

LEGACY_FILENAME = "plex_state.json"
_KEY = re.compile(r"[0-9]{1,19}")
_KEY_MAX = 2**63 - 1  # SQLite's INTEGER range
_STAMP_KEYS = frozenset({"version", "library_uuid"})


class LegacyFormat(StrEnum):
    STAMPED = "stamped"
    FLAT = "flat"


@dataclass(frozen=True, slots=True)
class LegacyEntry:
    value: float
    twin: bool = False


@dataclass(frozen=True, slots=True)
class LegacyState:
    """A completely parsed legacy state file.

    ``raw`` keeps the file's bytes so the import can back them up exactly as they were.
    """

    library_uuid: str | None
    entries: Mapping[int, LegacyEntry]
    format: LegacyFormat = LegacyFormat.STAMPED
    version: str | None = None
    source: Path | None = None
    raw: bytes = field(default=b"", repr=False, compare=False)


class UuidCheck(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    """The file was written for another library: a stern warning and a confirmation, or an error
    under ``--yes`` unless ``--force``."""
    UNSTAMPED = "unstamped"
    """The file records no library (the flat format, or an empty stamp): nothing to compare."""


def check_library_uuid(legacy_uuid: str | None, library_uuid: str) -> UuidCheck:
    """Compare a legacy file's library stamp with the library being worked on."""
    if legacy_uuid is None or not legacy_uuid.strip():
        return UuidCheck.UNSTAMPED
    if legacy_uuid.strip().casefold() == library_uuid.strip().casefold():
        return UuidCheck.MATCH
    return UuidCheck.MISMATCH


def load_legacy(path: Path) -> LegacyState:
    try:
        data = read_bounded(path, what="legacy state file")
    except FileNotFoundError:
        raise InputFileError(f"legacy state file {path} does not exist") from None
    except OSError as exc:
        raise InputFileError(f"legacy state file {path} cannot be read: {exc.strerror}") from None
    return parse_legacy(data, source=path)


def parse_legacy(data: bytes, *, source: Path | None = None) -> LegacyState:
    """Parse either legacy format; anything else raises ``InputFileError`` naming the problem."""
    name = f"legacy state file {source}" if source is not None else "legacy state"
    document = _decode(data, name)
    if not isinstance(document, dict):
        raise InputFileError(
            f"{name} must be a JSON object, not {_json_kind(document)}",
            hint="expected the old tool's plex_state.json",
        )
    if "ratings" in document:
        return _parse_stamped(document, data, name, source)
    stamp = sorted(_STAMP_KEYS & document.keys())
    if stamp:
        raise InputFileError(
            f"{name} has {', '.join(repr(k) for k in stamp)} but no 'ratings' object",
            hint="a truncated or hand-edited file?",
        )
    entries: dict[int, LegacyEntry] = {}
    for raw_key, raw_value in document.items():
        key = _parse_key(raw_key, name)
        if key in entries:
            raise InputFileError(f"{name}: item {raw_key!r} appears twice")
        entries[key] = LegacyEntry(_parse_value(raw_value, raw_key, name))
    return LegacyState(
        library_uuid=None,
        entries=MappingProxyType(entries),
        format=LegacyFormat.FLAT,
        source=source,
        raw=data,
    )


def _parse_stamped(
    document: dict[str, Any], data: bytes, name: str, source: Path | None
) -> LegacyState:
    ratings = document["ratings"]
    if not isinstance(ratings, dict):
        raise InputFileError(f"{name}: 'ratings' must be an object, not {_json_kind(ratings)}")
    uuid = document.get("library_uuid")
    if uuid is not None and not isinstance(uuid, str):
        raise InputFileError(f"{name}: 'library_uuid' must be a string, not {_json_kind(uuid)}")
    version = document.get("version")
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, str | int | float)
    ):
        raise InputFileError(f"{name}: 'version' must be a string, not {_json_kind(version)}")
    entries: dict[int, LegacyEntry] = {}
    for raw_key, raw_entry in ratings.items():
        key = _parse_key(raw_key, name)
        if key in entries:
            raise InputFileError(f"{name}: item {raw_key!r} appears twice")
        entries[key] = _parse_entry(raw_entry, raw_key, name)
    return LegacyState(
        library_uuid=uuid,
        entries=MappingProxyType(entries),
        format=LegacyFormat.STAMPED,
        version=None if version is None else str(version),
        source=source,
        raw=data,
    )


def _decode(data: bytes, name: str) -> Any:
    if not data.strip():
        raise InputFileError(f"{name} is empty", hint="a truncated file? restore it from a backup")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{name} is not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            object_pairs_hook=_reject_duplicates,
            parse_int=_parse_int,
        )
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            hint="a truncated file? restore it from a backup",
        ) from None
    except _DuplicateKey as exc:
        raise InputFileError(f"{name}: key {exc.key!r} appears twice in one object") from None
    except _BadConstant as exc:
        raise InputFileError(f"{name}: {exc.token} is not a valid rating value") from None
    except RecursionError:
        raise InputFileError(f"{name} is nested too deeply to be a state file") from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _BadConstant(Exception):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _shown(key: str) -> str:
    """A key as the message quotes it: a 5,000-digit key is not worth repeating."""
    return repr(key) if len(key) <= 24 else f"{key[:20]!r}… ({len(key):,} characters)"


def _parse_int(text: str) -> int | float:
    # Python refuses to turn more than 4,300 digits into an int (a ValueError json.loads passes
    # on). No rating has that many digits: as a float it is infinite, which the range check
    # reports against its item.
    try:
        return int(text)
    except ValueError:
        return float(text)


def _reject_constant(token: str) -> Any:
    raise _BadConstant(token)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _parse_key(raw: str, name: str) -> int:
    if not _KEY.fullmatch(raw) or not (0 < int(raw) <= _KEY_MAX):
        raise InputFileError(
            f"{name}: {_shown(raw)} is not a rating key",
            hint="keys must be Plex ratingKeys (digits)",
        )
    return int(raw)


def _parse_value(raw: object, raw_key: str, name: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputFileError(
            f"{name}: item {raw_key!r} has a non-numeric rating ({_json_kind(raw)})"
        )
    value = float(raw)
    if not math.isfinite(value):
        raise InputFileError(
            f"{name}: item {_shown(raw_key)} has a rating too large to be a number, outside 0–10"
        )
    if not (RATING_MIN <= value <= RATING_MAX):
        raise InputFileError(f"{name}: item {_shown(raw_key)} has rating {raw!r}, outside 0–10")
    return value


def _parse_entry(raw: object, raw_key: str, name: str) -> LegacyEntry:
    if not isinstance(raw, dict):
        # A bare number is unambiguous, so accept it as an entry without a twin flag.
        return LegacyEntry(_parse_value(raw, raw_key, name))
    if "r" not in raw:
        raise InputFileError(f"{name}: item {raw_key!r} has no rating ('r')")
    twin = raw.get("t", False)
    if twin is None:
        twin = False
    if not isinstance(twin, bool):
        if isinstance(twin, int) and twin in (0, 1):
            twin = bool(twin)
        else:
            raise InputFileError(
                f"{name}: item {raw_key!r} has twin flag {twin!r}; expected true/false"
            )
    return LegacyEntry(_parse_value(raw["r"], raw_key, name), twin)


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class OwnershipSource(Protocol):
    """What ``export_legacy`` needs from a store (``StateStore`` satisfies it)."""

    @property
    def library_uuid(self) -> str: ...

    def owned(self) -> Mapping[int, OwnedItem]: ...


def export_legacy(store: OwnershipSource, path: Path) -> int:
    """Write the owned items in the stamped legacy format, atomically; return how many."""
    owned = store.owned()
    ratings = {str(key): {"r": owned[key].value, "t": owned[key].twin} for key in sorted(owned)}
    document = {"version": __version__, "library_uuid": store.library_uuid, "ratings": ratings}
    write_atomic(path, json.dumps(document, indent=1).encode("utf-8") + b"\n")
    return len(ratings)
