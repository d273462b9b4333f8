"""plexrate's own records: ownership of inferred ratings, runs, and the write-ahead journal.

``StateStore`` (SQLite, standard library only) is the store; ``legacy`` reads and writes the old
tool's ``plex_state.json``. See ``docs/state.md`` for the schema and the write-ahead protocol.
"""

from plexrate.model import ObservedItem
from plexrate.state.legacy import (
    LEGACY_FILENAME,
    LegacyEntry,
    LegacyFormat,
    LegacyMigration,
    LegacyOutcome,
    LegacyState,
    UuidCheck,
    check_library_uuid,
    export_legacy,
    legacy_outcome,
    load_legacy,
    parse_legacy,
    plan_migration,
    tagged_by_old_tool,
)
from plexrate.state.reconcile import classify
from plexrate.state.records import (
    CompactReport,
    EntryStatus,
    ImportReport,
    JournalEntry,
    LibraryInfo,
    OriginalValue,
    ReconcileReport,
    Resolution,
    RunInfo,
    RunStatus,
)
from plexrate.state.store import StateStore

STATE_FILENAME = "plexrate_state.sqlite"

__all__ = [
    "LEGACY_FILENAME",
    "STATE_FILENAME",
    "CompactReport",
    "EntryStatus",
    "ImportReport",
    "JournalEntry",
    "LegacyEntry",
    "LegacyFormat",
    "LegacyMigration",
    "LegacyOutcome",
    "LegacyState",
    "LibraryInfo",
    "ObservedItem",
    "OriginalValue",
    "ReconcileReport",
    "Resolution",
    "RunInfo",
    "RunStatus",
    "StateStore",
    "UuidCheck",
    "check_library_uuid",
    "classify",
    "export_legacy",
    "legacy_outcome",
    "load_legacy",
    "parse_legacy",
    "plan_migration",
    "tagged_by_old_tool",
]
