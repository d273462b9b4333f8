"""The use cases of ``plexrate bulk``: export a library's ratings to CSV, import a CSV's edits.

Export reads the library in a session and writes the file after the session has closed (its
progress display is gone by then, and nothing needs Plex or the state any more), so it is two
calls: ``export_source`` inside the session, ``export_file`` after it. Import is one plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plexrate.bulk.export import ExportCounts, export_csv
from plexrate.bulk.plan import ImportPlan, plan_import
from plexrate.bulk.reader import CsvFile
from plexrate.errors import PlexrateError
from plexrate.model import ItemType, LibrarySnapshot, OwnedItem
from plexrate.progress import NULL_PROGRESS, Progress
from plexrate.session import Session, tagged_unowned
from plexrate.settings import Settings
from plexrate.state import EntryStatus
from plexrate.usecase import PlanResult, library_of


def default_path(settings: Settings, item_type: ItemType) -> Path:
    """The file of ``item_type`` when the command names none (BULK_*_FILENAME)."""
    return {
        ItemType.ARTIST: settings.bulk_artist_filename,
        ItemType.ALBUM: settings.bulk_album_filename,
        ItemType.TRACK: settings.bulk_track_filename,
    }[item_type]


# -- export ------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class ExportSource:
    """What an export needs from the session, kept once the session has closed."""

    snapshot: LibrarySnapshot
    owned: dict[int, OwnedItem]
    tolerance: float
    requests: dict[str, Any]
    unknown: set[int] = field(default_factory=set)
    """Items carrying plexrate's tag that a state never built does not own: exported as manual."""


def export_source(session: Session) -> ExportSource:
    unknown = set() if session.store.ownership_built() else tagged_unowned(session)
    return ExportSource(
        snapshot=session.snapshot,
        owned=session.owned(),
        tolerance=session.settings.engine_config().hijack_tolerance,
        requests=session.client.counts.as_dict(),
        unknown=unknown,
    )


@dataclass(frozen=True, kw_only=True)
class ExportOptions:
    target: Path
    item_type: ItemType
    separator: str
    """The field delimiter itself (``bulk.DELIMITERS``' value, not its name)."""
    bom: bool = False
    started: float
    """``time.monotonic()`` when the command started: the document's ``seconds`` count from it."""


@dataclass(kw_only=True)
class BulkExport:
    counts: ExportCounts
    seconds: float
    document: dict[str, Any]


def export_file(
    source: ExportSource, options: ExportOptions, *, progress: Progress = NULL_PROGRESS
) -> BulkExport:
    """Write the CSV file, atomically: a failure leaves any earlier file as it was."""
    target, item_type, separator = options.target, options.item_type, options.separator
    try:
        counts = export_csv(
            target,
            source.snapshot,
            item_type=item_type,
            owned=source.owned,
            delimiter=separator,
            bom=options.bom,
            tolerance=source.tolerance,
            progress=progress,
        )
    except OSError as exc:
        raise PlexrateError(
            f"cannot write {target}: {exc.strerror or exc}",
            hint="nothing was exported; a previous file there is unchanged",
        ) from None
    seconds = time.monotonic() - options.started
    document: dict[str, Any] = {
        "command": "bulk export",
        "library": library_of(source.snapshot),
        "type": item_type.value,
        "path": str(target),
        **counts.as_dict(),
        "delimiter": "tab" if separator == "\t" else separator,
        "seconds": round(seconds, 3),
        "requests": source.requests,
    }
    return BulkExport(counts=counts, seconds=seconds, document=document)


# -- import ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    target: Path
    skip_invalid: bool = False
    saved_at: float
    """When the file was saved (its mtime): rows plexrate applied since are not applied again."""


@dataclass(kw_only=True)
class BulkImport(PlanResult):
    imported: ImportPlan


def plan_bulk_import(session: Session, csv_file: CsvFile, options: ImportOptions) -> BulkImport:
    """The plan of a bulk CSV file's edits, checked row by row against the live library."""
    settings = session.settings
    result = plan_import(
        csv_file,
        session.snapshot,
        owned=session.owned(),
        inferred_tag=settings.inferred_tag,
        twin_tag=settings.twin_logic.twin_tag,
        skip_invalid=options.skip_invalid,
        source=str(options.target),
        saved_at=options.saved_at,
        rated_since_saved=rated_since(session, options.saved_at),
    )
    document = {
        "type": csv_file.item_type.value,
        "path": str(options.target),
        "skipped": [p.as_dict() for p in result.skipped],
        "warnings": list(result.warnings),
        "notes": list(result.plan.notes),
    }
    return BulkImport(plan=result.plan, document=document, imported=result)


def rated_since(session: Session, since: float) -> set[int]:
    """Items whose rating plexrate wrote at or after ``since``, by its journal (confirmed writes).

    Both times are this machine's, unlike Plex's ``lastRatedAt``; a rerun of an interrupted import
    uses this to skip the rows it already applied.
    """
    store = session.store
    keys: set[int] = set()
    for run in store.runs():
        if run.finished_at is not None and run.finished_at < since:
            continue
        keys.update(
            entry.key
            for entry in store.journal(run_id=run.id, status=EntryStatus.CONFIRMED)
            if entry.set_rating and entry.recorded_at >= since
        )
    return keys
