"""Plain records the StateStore hands out: runs, journal entries, reconciliation and import reports.

They carry no database handle, so the engine, reports and the CLI can keep them after the store is
closed. Ratings are on Plex's 0–10 scale; ``None`` means unrated.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from plexrate.model import Change, ItemType, Phase


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    """Stopped on request, or found still ``running`` after its process died."""
    FAILED = "failed"


class EntryStatus(StrEnum):
    PENDING = "pending"
    """The intent is recorded; whether the write reached Plex is not known yet."""
    CONFIRMED = "confirmed"
    """The write landed; its ownership effect has been applied."""
    FAILED = "failed"
    """The write did not land (or reconciliation could not prove it did); no ownership effect."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journaled write: the ``Change`` as planned, plus what became of it."""

    id: int
    run_id: int
    key: int
    item_type: ItemType
    title: str
    guid: str
    phase: str
    reason: str
    set_rating: bool
    before: float | None
    after: float | None
    add_tags: tuple[str, ...]
    remove_tags: tuple[str, ...]
    own: bool | None
    twin: bool
    year: int | None
    status: EntryStatus
    recorded_at: float
    resolved_at: float | None = None
    readback: float | None = None
    """The rating Plex held after the write, when the writer (or reconciliation) read it back."""
    note: str = ""
    """Why an entry failed, or how reconciliation resolved it."""

    @property
    def written_value(self) -> float | None:
        """The rating this entry left in Plex: the value read back if known, else ``after``."""
        if self.readback is not None:
            return self.readback
        return self.after

    def to_change(self) -> Change:
        try:
            phase = Phase(self.phase)
        except ValueError:
            phase = Phase.RECONCILE
        return Change(
            key=self.key,
            item_type=self.item_type,
            title=self.title,
            phase=phase,
            reason=self.reason,
            before=self.before,
            after=self.after,
            set_rating=self.set_rating,
            add_tags=self.add_tags,
            remove_tags=self.remove_tags,
            own=self.own,
            twin=self.twin,
            guid=self.guid,
            year=self.year,
        )


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    command: str
    args: dict[str, Any]
    dry_run: bool
    status: RunStatus
    started_at: float
    finished_at: float | None
    entries: int
    """Journal entries recorded under this run (intents, whatever became of them)."""
    confirmed: int
    failed: int
    pending: int
    compacted_at: float | None = None
    """When the run's journal was folded into per-item records (``StateStore.compact``); its
    counts are the ones it had then, and it can no longer be undone on its own."""

    @property
    def compacted(self) -> bool:
        return self.compacted_at is not None


@dataclass(frozen=True, slots=True)
class LibraryInfo:
    """One library recorded in a state file: enough to tell a person which library it is."""

    uuid: str
    title: str
    server_id: str
    owned: int
    runs: int
    last_run_at: float | None
    last_run_command: str | None
    ownership_built: bool


@dataclass(frozen=True, slots=True)
class OriginalValue:
    """What undo needs for one item, over the runs in scope (all runs, or one).

    ``before`` is the rating the item had before plexrate's first confirmed rating write in scope
    (``None``: it was unrated); it means nothing when ``wrote_rating`` is False (only tags changed).
    ``last_written`` is the rating plexrate's last confirmed write in scope left: if Plex holds
    something else now, the person (or a later run, see ``superseded_by``) changed it since.
    """

    key: int
    item_type: ItemType
    guid: str
    wrote_rating: bool
    before: float | None
    last_written: float | None
    tags_added: tuple[str, ...]
    """Tags plexrate added in scope and did not remove again in scope, sorted."""
    first_run_id: int
    last_run_id: int
    superseded_by: int | None = None
    """With a one-run scope: the first later run that wrote this item's rating, if any."""
    rating_phase: str = ""
    """The phase of the first confirmed rating write in scope ("" without one). It tells undo
    what ``before`` means: an inference phase or an undo only rewrites ratings plexrate owned,
    so a ``before`` that is a value was plexrate's own then."""
    rating_twin: bool = False
    """The twin flag of that first rating write."""
    tags_removed: tuple[str, ...] = ()
    """Tags plexrate removed in scope and did not add again in scope, sorted."""
    own: bool | None = None
    """The scope's net ownership effect: the last ``own`` that was not None (True claimed the
    item, False gave it back), or None when the scope never changed ownership."""
    handed_over: float | None = None
    """The person's rating when they handed the item to plexrate without a rating write (a
    bulk import marking their value inferred), when that was plexrate's first entry in scope;
    None otherwise. Undo of everything gives that value back: it was theirs."""


class Resolution(StrEnum):
    LANDED = "landed"
    """Plex holds what the change wrote: confirmed, ownership applied."""
    PARTIAL = "partial"
    """The rating landed but not every tag edit did: confirmed (the value is plexrate's)."""
    NOT_SENT = "not-sent"
    """Plex still holds the state before the change: failed, nothing to undo."""
    TAGS_ONLY = "tags-only"
    """The rating was not written but a tag edit was: failed (nothing owned), and reported, since
    a tag plexrate added may now sit on an item it does not own."""
    CHANGED = "changed"
    """Plex holds neither: someone changed the item meanwhile. Failed, never owned."""
    VANISHED = "vanished"
    """The item no longer exists in the library. Failed."""


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    landed: tuple[JournalEntry, ...] = ()
    partial: tuple[JournalEntry, ...] = ()
    not_sent: tuple[JournalEntry, ...] = ()
    tags_only: tuple[JournalEntry, ...] = ()
    changed: tuple[JournalEntry, ...] = ()
    vanished: tuple[JournalEntry, ...] = ()

    @property
    def total(self) -> int:
        return len(self.confirmed) + len(self.failed)

    @property
    def confirmed(self) -> tuple[JournalEntry, ...]:
        return self.landed + self.partial

    @property
    def failed(self) -> tuple[JournalEntry, ...]:
        return self.not_sent + self.tags_only + self.changed + self.vanished

    @property
    def needs_attention(self) -> tuple[JournalEntry, ...]:
        """Entries a person may want to hear about: not simply landed or simply not sent."""
        return self.partial + self.tags_only + self.changed + self.vanished


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: int
    backup: Path
    not_in_library: tuple[int, ...] = ()
    """Keys of the legacy file that the library does not have (deleted or re-matched items)."""
    unrated: tuple[int, ...] = ()
    """Keys whose legacy value is 0, or that Plex holds unrated now: nothing to own."""
    already_owned: tuple[int, ...] = ()
    """Keys the store already owned; its own record is newer and was kept."""
    anchors: tuple[int, ...] = ()
    """Keys the file recorded as the person's own ratings (``m: true``, or ``t: 2`` untagged)."""
    changed: tuple[int, ...] = ()
    """Keys whose Plex value moved since the old tool wrote it: the person's now."""


@dataclass(frozen=True, slots=True)
class CompactReport:
    """What ``StateStore.compact`` did."""

    runs: tuple[int, ...]
    """The runs compacted now, oldest first."""
    entries_removed: int
    items: int
    """Items whose compacted record was written or updated."""
    vacuumed: bool
    bytes_before: int
    bytes_after: int
