"""The library as plexrate last read it, kept beside the state file so the next run reads only
what changed since (docs/state.md, "Snapshot cache"; issue 23).

The cache is disposable: losing it, or finding it damaged, written by another version, for another
library or with other managed tags, only costs one whole read of the library. That is why it lives
in a file of its own (``<state>.snapshot.sqlite``) rather than in the state: the state is the
ownership record, kept with integrity checks and a journal; this file is a copy of what Plex said.

Each part is one row holding zlib-compressed JSON (one list per field, in dataclass order):
a header, the artists, the albums, the tracks and the managed tags' members. A run rewrites only the
parts that changed, so a run that found nothing new writes a header of a few hundred bytes. JSON,
not pickle: the file is read back into the process and must never be able to run code.
"""

from __future__ import annotations

import json
import logging
import operator
import sqlite3
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from plexrate.engine.gc_pause import paused_gc
from plexrate.model import Album, Artist, LibrarySnapshot, Marks, Track

log = logging.getLogger(__name__)

CACHE_FORMAT = 3
"""Bumped whenever the records or the header change shape; an older cache is read whole again.
2: the tracks part may be followed by ``tracks.delta``, which a reader of 1 would not apply.
3: each part is one list per field rather than one per record (``_columns``)."""

_PARTS = ("artists", "albums", "tracks", "tagged")
_DELTA = "tracks.delta"
# Rewriting the tracks part after every rating cost about 1.8 s at 300,000 tracks. When the tracks
# are the same keys in the same order as the part holds, and only a few changed (ratings, plays),
# only those go to ``tracks.delta``, laid over the part when it is read; past this share of
# the tracks the part is written whole again and the delta emptied.
_MAX_DELTA = 0.1


def cache_path(state_path: Path) -> Path:
    """Where the snapshot cache of the state file ``state_path`` lives."""
    return state_path.with_name(state_path.stem + ".snapshot.sqlite")


@dataclass(frozen=True, slots=True)
class CacheHeader:
    """What a cached snapshot was read from, and when."""

    library_uuid: str
    server_id: str
    section_id: int
    tags: tuple[str, ...]
    """The managed tags whose members were read; other tags mean a whole read."""
    scanned_at: int | None
    """The section's ``scannedAt`` then; a re-scan since means a whole read."""
    marks: Marks
    journal_mark: int
    """The last journal entry id when the library was read: later entries are plexrate's own
    writes since, laid over the cached copy on the next read."""
    run_mark: int
    """The last run id then (a run after it whose journal was compacted means a whole read)."""
    read_at: float
    """Local time of the read (``time.time()``)."""
    whole_read_at: float
    """Local time of the last whole read this copy descends from."""
    rejected: int = 0
    """Items the read left out for values Plex should not send (a whole read next time)."""
    settled: str = ""
    """Set when a full run found nothing to write on exactly this copy: the fingerprint of what
    it planned with (settings and ownership). A read that finds nothing new may then skip
    planning, as the plan would be the same empty one."""
    settled_plan: Mapping[str, Any] = field(default_factory=dict)
    """That empty plan's figures and notes, for the summary of a run that skips planning."""
    rated_again: tuple[int, ...] = ()
    """Owned items found rated again in Plex (``LibrarySnapshot.rated_again``) that plexrate has
    not written since: kept until a run acts on them, as the next read no longer sees the date
    move."""
    format: int = CACHE_FORMAT

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "library_uuid": self.library_uuid,
            "server_id": self.server_id,
            "section_id": self.section_id,
            "tags": list(self.tags),
            "scanned_at": self.scanned_at,
            "marks": self.marks.as_dict(),
            "journal_mark": self.journal_mark,
            "run_mark": self.run_mark,
            "rejected": self.rejected,
            "read_at": self.read_at,
            "whole_read_at": self.whole_read_at,
            "settled": self.settled,
            "settled_plan": dict(self.settled_plan),
            "rated_again": list(self.rated_again),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CacheHeader:
        marks = data["marks"]
        return cls(
            library_uuid=str(data["library_uuid"]),
            server_id=str(data["server_id"]),
            section_id=int(data["section_id"]),
            tags=tuple(str(t) for t in data["tags"]),
            scanned_at=None if data["scanned_at"] is None else int(data["scanned_at"]),
            marks=Marks(**{k: (None if v is None else int(v)) for k, v in marks.items()}),
            journal_mark=int(data["journal_mark"]),
            run_mark=int(data["run_mark"]),
            rejected=int(data.get("rejected", 0)),
            read_at=float(data["read_at"]),
            whole_read_at=float(data["whole_read_at"]),
            settled=str(data.get("settled", "")),
            settled_plan=dict(data.get("settled_plan") or {}),
            rated_again=tuple(int(k) for k in data.get("rated_again") or ()),
            format=int(data["format"]),
        )


@dataclass(slots=True)
class CachedSnapshot:
    header: CacheHeader
    snapshot: LibrarySnapshot
    unchanged: set[str] = field(default_factory=set)
    """Parts known to equal what the file holds (``save`` skips them)."""


_EMPTY = zlib.compress(b"[]")


def _pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode("utf-8"), 1)


def _unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


_ARTIST_TUPLES = {i for i, f in enumerate(fields(Artist)) if f.name == "genres"}
_ALBUM_TUPLES = {i for i, f in enumerate(fields(Album)) if f.name == "genres"}


def _columns(records: Mapping[int, Any]) -> list[list[Any]]:
    """The records as one list per field, in dataclass order (the parts' layout since format 3).

    By field, not by record: at 300,000 tracks JSON decodes the 17 long lists in 0.6 s where it
    took 1.5 s over 300,000 short ones, and the file is a quarter smaller.
    """
    if not records:
        return []
    # The records are flat (a tuple of strings at most), so reading the fields in order is
    # enough; ``dataclasses.astuple`` deep-copies every value and took seconds at 300,000 tracks.
    row = operator.attrgetter(*(f.name for f in fields(next(iter(records.values())))))
    return [list(column) for column in zip(*map(row, records.values()), strict=True)]


def _records(cls: Any, columns: Sequence[Sequence[Any]], tuples: set[int]) -> dict[int, Any]:
    if not columns:
        return {}
    width = len(fields(cls))
    if len(columns) != width:
        raise ValueError(
            f"the cached {cls.__name__} records have {len(columns)} fields, not {width}"
        )
    if len({len(column) for column in columns}) != 1:
        raise ValueError(f"the cached {cls.__name__} fields are of different lengths")
    if tuples:
        columns = list(columns)
        for i in tuples:
            columns[i] = [tuple(value) for value in columns[i]]
    # The garbage collector would walk every container made so far each few hundred records
    # built (a third of the time at 300,000 tracks); records hold no cycles (engine.gc_pause).
    with paused_gc():
        return dict(zip(columns[0], map(cls, *columns), strict=True))


def _delta(base: Mapping[int, Track], tracks: Mapping[int, Track]) -> dict[int, Track] | None:
    """The tracks that differ from ``base``, or None when the part must be written whole: other
    keys or another order (a delta replaces records in place), or too many changed."""
    if len(base) != len(tracks) or list(base) != list(tracks):
        return None
    limit = len(tracks) * _MAX_DELTA
    changed: dict[int, Track] = {}
    for key, track in tracks.items():
        old = base[key]
        # Unchanged records are the same objects from one read to the next: an identity test.
        if track is not old and track != old:
            changed[key] = track
            if len(changed) > limit:
                return None
    return changed


def _parts(
    loaded: LibrarySnapshot, unchanged: set[str] | frozenset[str], known: _Kept | None
) -> tuple[dict[str, Any], Mapping[int, Track]]:
    """The parts to write for ``loaded`` (``_as_loaded``), and the records the tracks part holds
    once they are written. ``known``: the copy the file holds, when this process knows it (else
    every part is written)."""
    if known is None:
        unchanged = frozenset()
    parts: dict[str, Any] = {}
    if "artists" not in unchanged:
        parts["artists"] = _columns(loaded.artists)
    if "albums" not in unchanged:
        parts["albums"] = _columns(loaded.albums)
    if "tagged" not in unchanged:
        parts["tagged"] = {k: sorted(v) for k, v in loaded.tagged.items()}
    if known is not None:
        if "tracks" in unchanged:
            return parts, known.base
        delta = _delta(known.base, loaded.tracks)
        if delta is not None:
            parts[_DELTA] = _columns(delta)
            return parts, known.base
    parts["tracks"], parts[_DELTA] = _columns(loaded.tracks), []
    return parts, loaded.tracks


def _as_loaded(header: CacheHeader, snapshot: LibrarySnapshot) -> LibrarySnapshot:
    """``snapshot`` as ``load`` would give it back: only the parts the file keeps, in mappings of
    their own (the caller's may be plain dicts)."""
    return LibrarySnapshot(
        library_uuid=header.library_uuid,
        section_id=header.section_id,
        section_title="",
        artists=MappingProxyType(dict(snapshot.artists)),
        albums=MappingProxyType(dict(snapshot.albums)),
        tracks=MappingProxyType(dict(snapshot.tracks)),
        tagged=MappingProxyType({str(k): frozenset(v) for k, v in snapshot.tagged.items()}),
    )


@dataclass(frozen=True, slots=True)
class _Kept:
    """The copy this process last loaded or saved, with the header row it was saved under."""

    library_uuid: str
    blob: bytes
    header: CacheHeader
    snapshot: LibrarySnapshot
    base: Mapping[int, Track]
    """The records the tracks part holds (``snapshot.tracks`` without the delta laid over)."""

    def matches(self, library_uuid: str, blob: bytes) -> bool:
        return library_uuid == self.library_uuid and bytes(blob) == self.blob


# ``plexrate watch`` loads the copy at every cycle, and at 300,000 tracks decoding it costs
# seconds. The header row changes with every save (it carries the time of the read and the journal
# mark), so when the file's header is byte for byte the one this process last loaded or saved,
# nothing else wrote the copy since and the records in memory are what the file holds. Snapshots
# are immutable, so handing the same one out twice is safe.
_KEPT: dict[str, _Kept] = {}


class SnapshotCache:
    """One cache file; every method swallows its own storage errors (a cache never stops a run)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key = str(path.resolve())

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5.0)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS parts (library TEXT NOT NULL, name TEXT NOT NULL, "
            "data BLOB NOT NULL, PRIMARY KEY (library, name))"
        )
        return conn

    def load(self, library_uuid: str) -> CachedSnapshot | None:
        """The cached copy of ``library_uuid``, or None when there is none worth using."""
        if not self.path.exists():
            return None
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5.0)
            try:
                head = conn.execute(
                    "SELECT data FROM parts WHERE library = ? AND name = 'header'",
                    (library_uuid,),
                ).fetchone()
                kept = _KEPT.get(self._key)
                if head is not None and kept is not None and kept.matches(library_uuid, head[0]):
                    return CachedSnapshot(
                        header=kept.header, snapshot=kept.snapshot, unchanged=set(_PARTS)
                    )
                rows = dict(
                    conn.execute(
                        "SELECT name, data FROM parts WHERE library = ?", (library_uuid,)
                    ).fetchall()
                )
            finally:
                conn.close()
            if "header" not in rows:
                return None
            header = CacheHeader.from_json(_unpack(rows["header"]))
            if header.format != CACHE_FORMAT or any(p not in rows for p in _PARTS):
                return None
            base = _records(Track, _unpack(rows["tracks"]), set())
            tracks = dict(base)
            for key, track in _records(Track, _unpack(rows.get(_DELTA, _EMPTY)), set()).items():
                if key not in tracks:
                    raise ValueError(f"the delta holds track {key}, which the tracks part lacks")
                tracks[key] = track
            tagged = {
                str(k): frozenset(int(x) for x in v) for k, v in _unpack(rows["tagged"]).items()
            }
            snapshot = LibrarySnapshot(
                library_uuid=header.library_uuid,
                section_id=header.section_id,
                section_title="",
                artists=MappingProxyType(
                    _records(Artist, _unpack(rows["artists"]), _ARTIST_TUPLES)
                ),
                albums=MappingProxyType(_records(Album, _unpack(rows["albums"]), _ALBUM_TUPLES)),
                tracks=MappingProxyType(tracks),
                tagged=MappingProxyType(tagged),
            )
        except (sqlite3.Error, OSError, ValueError, KeyError, TypeError, zlib.error) as exc:
            log.info("snapshot cache %s not used: %s", self.path, exc)
            return None
        _KEPT[self._key] = _Kept(library_uuid, rows["header"], header, snapshot, base)
        return CachedSnapshot(header=header, snapshot=snapshot, unchanged=set(_PARTS))

    def save(
        self,
        header: CacheHeader,
        snapshot: LibrarySnapshot,
        *,
        unchanged: set[str] | frozenset[str] = frozenset(),
    ) -> bool:
        """Write ``snapshot`` under ``header``; parts in ``unchanged`` are left as the file has
        them. False (and the file left as it was, or removed) when it cannot be written."""
        kept = _KEPT.get(self._key)
        loaded = _as_loaded(header, snapshot)
        try:
            conn = self._connect()
            try:
                with conn:
                    # The write lock first, then the header row: the delta, and the parts left
                    # as they are, are only right over the copy this process knows the file holds.
                    conn.execute("BEGIN IMMEDIATE")
                    head = conn.execute(
                        "SELECT data FROM parts WHERE library = ? AND name = 'header'",
                        (header.library_uuid,),
                    ).fetchone()
                    known = (
                        kept
                        if kept is not None
                        and head is not None
                        and kept.matches(header.library_uuid, head[0])
                        else None
                    )
                    parts, base = _parts(loaded, unchanged, known)
                    if len(parts) == len(_PARTS) + 1:
                        conn.execute("DELETE FROM parts WHERE library = ?", (header.library_uuid,))
                    for name, value in parts.items():
                        conn.execute(
                            "INSERT OR REPLACE INTO parts VALUES (?, ?, ?)",
                            (header.library_uuid, name, _pack(value)),
                        )
                    # The header goes last in the same transaction: a copy is whole or absent.
                    blob = _pack(header.to_json())
                    conn.execute(
                        "INSERT OR REPLACE INTO parts VALUES (?, 'header', ?)",
                        (header.library_uuid, blob),
                    )
            finally:
                conn.close()
        except (sqlite3.Error, OSError) as exc:
            _KEPT.pop(self._key, None)
            log.warning("could not keep the library snapshot in %s: %s", self.path, exc)
            return False
        _KEPT[self._key] = _Kept(header.library_uuid, blob, header, loaded, base)
        return True

    def settle(self, library_uuid: str, fingerprint: str, plan: Mapping[str, Any]) -> None:
        """Note on the copy of ``library_uuid`` that a full run planned nothing from it."""
        try:
            conn = self._connect()
            try:
                with conn:
                    row = conn.execute(
                        "SELECT data FROM parts WHERE library = ? AND name = 'header'",
                        (library_uuid,),
                    ).fetchone()
                    if row is None:
                        return
                    data = dict(_unpack(row[0]))
                    data["settled"], data["settled_plan"] = fingerprint, dict(plan)
                    blob = _pack(data)
                    conn.execute(
                        "UPDATE parts SET data = ? WHERE library = ? AND name = 'header'",
                        (blob, library_uuid),
                    )
                    kept = _KEPT.get(self._key)
                    if kept is not None and kept.matches(library_uuid, row[0]):
                        _KEPT[self._key] = replace(
                            kept, blob=blob, header=CacheHeader.from_json(data)
                        )
            finally:
                conn.close()
        except (sqlite3.Error, OSError, ValueError, zlib.error) as exc:
            _KEPT.pop(self._key, None)
            log.info("could not note the settled plan in %s: %s", self.path, exc)

    def forget(self, library_uuid: str) -> None:
        """Drop the copy of one library (the next run reads it whole)."""
        _KEPT.pop(self._key, None)
        if not self.path.exists():
            return
        try:
            conn = self._connect()
            try:
                with conn:
                    conn.execute("DELETE FROM parts WHERE library = ?", (library_uuid,))
            finally:
                conn.close()
        except (sqlite3.Error, OSError) as exc:
            log.info("could not clear the snapshot cache %s: %s", self.path, exc)
