"""The old tool's ``plex_state.json``: parse both of its formats, compare its library stamp, export.

Pure file handling, no database: ``StateStore.import_legacy`` turns a parsed ``LegacyState`` into
ownership records once the snapshot has supplied the item types the file does not record.

The formats (``docs/state.md``):

* stamped: ``{"version": …, "library_uuid": "…", "ratings": {"<key>": {"r": 7.5, "t": 0}}}``
  keyed by ratingKey, where ``r`` is the value the old tool recorded (0–10; full float precision
  in v1.4, one decimal in v1.5) and ``t`` is an integer: 0 written by an Up/Down phase, 1 a twin
  cluster without a manual member, 2 a twin cluster *with* manual members. v1.4 wrote ``t: 2``
  for every member of such a cluster, the person's own anchors included, and tagged only the
  members whose value it changed. v1.5 adds ``"m": true`` for the person's ratings (and migrates
  ``t: 2`` to ``t: 1, m: true`` on load). Booleans for ``t`` are accepted too;
* flat (older): ``{"<ratingKey>": 7.5, …}``.

``plan_migration`` is the one rule that decides, entry by entry, what becomes plexrate's: the
import, its dry-run preview and the first run's migration all call it. This module is the only
place that classifies entries: ``claims_to_record`` settles a plan against what the store owns
when the import is recorded, and ``anchors_taken_earlier`` re-decides an import made before the
rule existed.

A file that cannot be read completely is an error, never an empty state: the old tool reset its
state to empty on any parse error, which silently turned every inferred rating into a "manual" one
(``original-tool.md`` §2, defect 9).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from plexrate import __version__
from plexrate.errors import InputFileError
from plexrate.fileio import read_bounded, write_atomic
from plexrate.model import (
    RATING_MAX,
    RATING_MIN,
    LibrarySnapshot,
    OwnedItem,
    Phase,
    same_rating,
)

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
    """Written by the twins pass (``t`` 1 or 2)."""
    cluster_manual: bool = False
    """``t: 2``: a member of a twin cluster that had manual members; may be the person's anchor."""
    manual: bool = False
    """v1.5's ``m: true``: the person's own rating, recorded but never inferred."""


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
    flag = raw.get("t", 0)
    if flag is None or flag is False:
        flag = 0
    elif flag is True:
        flag = 1
    elif isinstance(flag, float) and flag.is_integer():
        flag = int(flag)
    if isinstance(flag, bool) or not isinstance(flag, int) or flag not in (0, 1, 2):
        raise InputFileError(
            f"{name}: item {raw_key!r} has twin flag {flag!r}; expected 0, 1 or 2 (or true/false)"
        )
    manual = raw.get("m", False)
    if manual is None:
        manual = False
    if not isinstance(manual, bool):
        if isinstance(manual, int) and manual in (0, 1):
            manual = bool(manual)
        else:
            raise InputFileError(
                f"{name}: item {raw_key!r} has manual flag {manual!r}; expected true/false"
            )
    return LegacyEntry(
        _parse_value(raw["r"], raw_key, name),
        twin=flag > 0,
        cluster_manual=flag == 2,
        manual=manual,
    )


class LegacyOutcome(StrEnum):
    """What the migration makes of one entry of the old tool's state file."""

    OWNED = "owned"
    """The old tool inferred it and Plex still holds that value (at Plex's one decimal)."""
    ANCHOR = "anchor"
    """The person's own rating the file recorded: ``m: true``, a ``t: 2`` twin member without the
    inferred tag, or any entry without the tag where the old tool was tagging. Never plexrate's."""
    CHANGED = "changed"
    """Plex holds another value than the file recorded: the person changed it since."""
    UNRATED = "unrated"
    """Plex holds no rating for it now (or the file recorded 0): nothing to own."""
    NOT_IN_LIBRARY = "not-in-library"
    """The library has no item with that key any more (deleted or re-matched)."""
    ALREADY_OWNED = "already-owned"
    """plexrate already owns it; its own record is newer and is kept."""


@dataclass(frozen=True, slots=True)
class LegacyMigration:
    """Every entry of a legacy file sorted by ``plan_migration``; ``owned`` is what to record."""

    owned: tuple[OwnedItem, ...] = ()
    anchors: tuple[int, ...] = ()
    changed: tuple[int, ...] = ()
    unrated: tuple[int, ...] = ()
    not_in_library: tuple[int, ...] = ()
    already_owned: tuple[int, ...] = ()

    def accounted(self) -> set[int]:
        """Keys of the library the file decides one way or another."""
        return {
            *(item.key for item in self.owned),
            *self.anchors,
            *self.changed,
            *self.unrated,
            *self.already_owned,
        }

    def counts(self) -> dict[str, int]:
        return {
            LegacyOutcome.OWNED.value: len(self.owned),
            LegacyOutcome.ANCHOR.value: len(self.anchors),
            LegacyOutcome.CHANGED.value: len(self.changed),
            LegacyOutcome.UNRATED.value: len(self.unrated),
            LegacyOutcome.NOT_IN_LIBRARY.value: len(self.not_in_library),
            LegacyOutcome.ALREADY_OWNED.value: len(self.already_owned),
        }


def legacy_outcome(
    entry: LegacyEntry,
    current: float | None,
    *,
    tagged: bool,
    tag_configured: bool,
    old_tool_tagged: bool = False,
) -> LegacyOutcome:
    """The rule for one entry of an item the library has, decided in the person's favour.

    ``current`` is the item's rating in Plex now (None unrated); ``tagged`` whether it carries the
    inferred tag; ``tag_configured`` whether INFERRED_TAG is set at all; ``old_tool_tagged``
    whether the old tool was tagging what it wrote (``tagged_by_old_tool``).
    """
    if entry.manual:
        return LegacyOutcome.ANCHOR
    if entry.cluster_manual and not (tag_configured and tagged):
        # v1.4 wrote t: 2 for every member of a twin cluster with manual members, anchors
        # included, and tagged only the members it changed. Without the tag (or with no tag
        # to tell by, as v1.5 reads these entries) the value is the person's.
        return LegacyOutcome.ANCHOR
    if entry.value <= 0 or current is None:
        return LegacyOutcome.UNRATED
    if not same_rating(entry.value, current):
        # v1.4 kept full precision (6.8912…), Plex one decimal (6.9): compare at Plex's step.
        return LegacyOutcome.CHANGED
    if old_tool_tagged and not tagged:
        # The old tool tagged every value it wrote; where it was tagging, an entry without the
        # tag is not evidence enough to take the rating from the person.
        return LegacyOutcome.ANCHOR
    return LegacyOutcome.OWNED


def tagged_by_old_tool(
    legacy: LegacyState,
    snapshot: LibrarySnapshot,
    inferred_tag: str,
    *,
    plexrates: Set[int] = frozenset(),
) -> bool:
    """Whether the old tool was tagging what it wrote: an item its file names carries the tag.

    Items in ``plexrates`` (written by plexrate, which uses the same tag) are no evidence. A file
    from a run with INFERRED_TAG "" names no tagged item, and then the tag tells nothing.
    """
    if not inferred_tag:
        return False
    tagged = snapshot.tagged.get(inferred_tag)
    if not tagged:
        return False
    return any(key in tagged and key not in plexrates for key in legacy.entries)


def plan_migration(
    legacy: LegacyState,
    snapshot: LibrarySnapshot,
    *,
    inferred_tag: str,
    owned: Set[int] = frozenset(),
) -> LegacyMigration:
    """Decide every entry of ``legacy`` against the library as Plex holds it now.

    An owned entry records the value Plex holds (one decimal), not the file's full-precision
    value, so the first run does not take Plex's rounding for the person's change.
    """
    claims: list[OwnedItem] = []
    buckets: dict[LegacyOutcome, list[int]] = {outcome: [] for outcome in LegacyOutcome}
    old_tool_tagged = tagged_by_old_tool(legacy, snapshot, inferred_tag, plexrates=owned)
    rule = _Rule(snapshot, inferred_tag, old_tool_tagged)
    for key in sorted(legacy.entries):
        entry = legacy.entries[key]
        item = snapshot.item(key)
        if item is None:
            buckets[LegacyOutcome.NOT_IN_LIBRARY].append(key)
            continue
        if key in owned:
            buckets[LegacyOutcome.ALREADY_OWNED].append(key)
            continue
        outcome = rule.outcome(key, entry, item.rating)
        if outcome is LegacyOutcome.OWNED and item.rating is not None:
            claims.append(
                OwnedItem(
                    key,
                    item.item_type,
                    item.rating,
                    guid=item.guid,
                    phase=Phase.IMPORT.value,
                    twin=entry.twin,
                )
            )
        else:
            buckets[outcome].append(key)
    return LegacyMigration(
        owned=tuple(claims),
        anchors=tuple(buckets[LegacyOutcome.ANCHOR]),
        changed=tuple(buckets[LegacyOutcome.CHANGED]),
        unrated=tuple(buckets[LegacyOutcome.UNRATED]),
        not_in_library=tuple(buckets[LegacyOutcome.NOT_IN_LIBRARY]),
        already_owned=tuple(buckets[LegacyOutcome.ALREADY_OWNED]),
    )


@dataclass(frozen=True, slots=True)
class _Rule:
    """``legacy_outcome`` bound to the library and to what the whole file says about tagging."""

    snapshot: LibrarySnapshot
    inferred_tag: str
    old_tool_tagged: bool

    def outcome(self, key: int, entry: LegacyEntry, current: float | None) -> LegacyOutcome:
        return legacy_outcome(
            entry,
            current,
            tagged=self.snapshot.has_tag(self.inferred_tag, key),
            tag_configured=bool(self.inferred_tag),
            old_tool_tagged=self.old_tool_tagged,
        )


def claims_to_record(
    migration: LegacyMigration, owned_now: Set[int], *, now: float
) -> tuple[tuple[OwnedItem, ...], tuple[int, ...]]:
    """What an import records of ``migration`` once the store says what it owns by now.

    Returns the claims to record and every key plexrate already owns, sorted: an item it owns by
    now keeps its newer record. The old tool's write time is unknown, so a claim is stamped with
    the import's time, its latest possible one: a rating Plex stamps later is the person's
    (HIJACK_INTEGER_ONLY).
    """
    already = [*migration.already_owned]
    claims: list[OwnedItem] = []
    for item in migration.owned:
        if item.key in owned_now:
            already.append(item.key)
        else:
            claims.append(replace(item, written_at=now))
    return tuple(claims), tuple(sorted(already))


def backup_to_recheck(record: str | None) -> Path | None:
    """The backup of a legacy file an earlier plexrate imported without the migration rule.

    Before ``plan_migration`` an import owned every entry, v1.5's ``m: true`` anchors included;
    the engine would then treat them as inferred and undo would clear them. ``record`` is the
    store's ``legacy_import`` meta value. None when there is nothing to check: no import, one
    made by the rule (its record lists ``outcomes``), or one checked already
    (``anchors_checked``).
    """
    if record is None:
        return None
    try:
        document = json.loads(record)
    except json.JSONDecodeError:
        return None
    if (
        not isinstance(document, dict)
        or "outcomes" in document
        or document.get("anchors_checked")
        or not document.get("backup")
    ):
        return None
    return Path(str(document["backup"]))


def anchors_taken_earlier(
    backup: Path,
    owned: Mapping[int, OwnedItem],
    snapshot: LibrarySnapshot,
    *,
    inferred_tag: str,
) -> tuple[int, ...] | None:
    """The person's ratings the import of ``backup`` took as the old tool's, decided now by the
    rule; None when the backup cannot be read (nothing can be decided then)."""
    try:
        legacy = load_legacy(backup)
    except InputFileError:
        return None
    anchors: list[int] = []
    old_tool_tagged = tagged_by_old_tool(
        legacy,
        snapshot,
        inferred_tag,
        plexrates={k for k, c in owned.items() if c.phase != Phase.IMPORT.value},
    )
    rule = _Rule(snapshot, inferred_tag, old_tool_tagged)
    for key in sorted(legacy.entries):
        claim = owned.get(key)
        item = snapshot.item(key)
        if claim is None or item is None or claim.phase != Phase.IMPORT.value:
            continue
        if rule.outcome(key, legacy.entries[key], item.rating) is LegacyOutcome.ANCHOR:
            anchors.append(key)
    return tuple(anchors)


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
