"""The use cases of ``plexrate admin``: runs, verify, undo, reconstruct, sync-tags, state I/O.

Each takes a ``Session`` (or, for the commands that work from the state file alone, the
settings) and its options, and returns a typed result with its ``--json`` document. The
planning and checking itself is pure and lives beside this module (``undo.py``, ``verify.py``,
...); this is where the state file is opened, read and written for them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plexrate.admin.reconstruct import SOURCE, Reconstruction, plan_reconstruct
from plexrate.admin.runs import run_rows
from plexrate.admin.synctags import plan_sync_tags, removal_refusal
from plexrate.admin.undo import UndoReport, plan_undo
from plexrate.admin.verify import VerifyReport, verify
from plexrate.errors import StateError, UsageError
from plexrate.migration import MigrationSummary
from plexrate.plex import connect_with
from plexrate.session import (
    Dialog,
    Session,
    confirm_legacy_library,
    left_to_person,
    recheck_claims,
    summarise_legacy,
    tagged_unowned,
)
from plexrate.settings import Settings
from plexrate.state import (
    LEGACY_FILENAME,
    CompactReport,
    JournalEntry,
    LegacyState,
    StateStore,
    UuidCheck,
    export_legacy,
    load_legacy,
)
from plexrate.usecase import SCALE_NOTE, PlanResult, library_of
from plexrate.wording import count

# Any non-empty UUID opens a state file read-only to list the libraries it holds.
_PROBE_UUID = "-"

# A change read settles a tag's track members by their count, which a tag moved from one track to
# another leaves as it was; the commands that audit or repair tags must see every member.
TAG_AUDIT_READ = "this command checks every tag, so it reads the library whole"


def offline_store(settings: Settings, *, required: bool) -> tuple[StateStore, dict[str, str]]:
    """The library's records, opened read-only, found by library name without Plex if possible.

    A state file names each library it holds; when exactly one has the configured name, no
    connection is needed (listing runs works while Plex is down). Otherwise the library's UUID
    comes from the server. ``required`` False accepts a state file with no library at all.
    """
    path = settings.state_path
    with StateStore(path, library_uuid=_PROBE_UUID, readonly=True) as probe:
        libraries = probe.known_libraries()
    wanted = settings.library_name.casefold()
    matches = [lib for lib in libraries if lib.title.casefold() == wanted]
    if len(matches) == 1:
        uuid, title = matches[0].uuid, matches[0].title
    elif not libraries and not required:
        return StateStore(path, library_uuid=_PROBE_UUID, readonly=True), {
            "title": settings.library_name,
            "uuid": "",
        }
    else:
        client = connect_with(settings)
        uuid, title = client.section.uuid, client.section.title
    store = StateStore(path, library_uuid=uuid, library_title=title, readonly=True)
    return store, {"title": title, "uuid": uuid}


# -- runs --------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Runs:
    library: dict[str, str]
    rows: list[dict[str, Any]]


def list_runs(settings: Settings) -> Runs:
    """The runs that wrote to the configured library, from the state file alone if it can."""
    store, library = offline_store(settings, required=False)
    with store:
        return Runs(library=library, rows=run_rows(store.runs()))


@dataclass(kw_only=True)
class Pruned:
    """What ``admin runs --prune`` compacted; ``report`` None when the state holds no library."""

    keep_runs: int
    report: CompactReport | None = None
    bytes_before: int = 0
    bytes_after: int = 0

    @property
    def document(self) -> dict[str, Any]:
        report = self.report
        if report is None:
            return {"runs": [], "entries": 0, "items": 0, "bytes_before": 0, "bytes_after": 0}
        return {
            "runs": list(report.runs),
            "entries": report.entries_removed,
            "items": report.items,
            "vacuumed": report.vacuumed,
            "bytes_before": self.bytes_before,
            "bytes_after": self.bytes_after,
        }


def prune_journal(settings: Settings, *, keep: int | None, tell: Callable[[str], None]) -> Pruned:
    """``admin runs --prune``: compact the journal now (the state file alone; Plex is asked only
    to tell which library is meant). ``tell`` hears what opening the state file for writing
    has to say, before the compaction starts."""
    keep_runs = settings.journal_keep_runs if keep is None else keep
    if keep is None and keep_runs == 0:
        raise UsageError(
            "JOURNAL_KEEP_RUNS is 0, which keeps every run's journal",
            hint="pass --keep N to compact all but the newest N runs",
        )
    probe, lib = offline_store(settings, required=False)
    probe.close()
    if not lib["uuid"]:
        return Pruned(keep_runs=keep_runs)
    before = _size(settings.state_path)
    with StateStore(
        settings.state_path,
        library_uuid=lib["uuid"],
        library_title=lib["title"],
        command="plexrate admin runs --prune",
        journal_mode=settings.state_journal_mode.value,
    ) as store:
        for note in store.notes:
            tell(note)
        report = store.compact(keep_runs=keep_runs)
    after = _size(settings.state_path)  # closed: the write-ahead log is folded in
    return Pruned(keep_runs=keep_runs, report=report, bytes_before=before, bytes_after=after)


def _size(path: Path) -> int:
    """The state file with its write-ahead log, as it takes space on disk."""
    total = 0
    for part in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += part.stat().st_size
    return total


# -- verify ------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Verified:
    report: VerifyReport
    left: list[JournalEntry]
    """What the latest run left to the person (changed in Plex during the run)."""
    document: dict[str, Any]


def verify_library(session: Session, *, deep: bool) -> Verified:
    """Compare the ownership record with the library, and the state file with itself."""
    store = session.store
    report = verify(
        session.snapshot,
        owned=session.owned(),
        config=session.settings.engine_config(),
        pending=len(store.pending()),
        state_problems=store.verify(deep=deep) if store.exists else (),
        ownership_built=store.ownership_built() or bool(session.extra_owned),
    )
    left = left_to_person(store) if store.exists else []
    document = _verify_json(report, session)
    document["left_to_you"] = [
        {"key": e.key, "title": e.title, "run": e.run_id, "note": e.note} for e in left
    ]
    return Verified(report=report, left=left, document=document)


def _verify_json(report: VerifyReport, session: Session) -> dict[str, Any]:
    def mismatch(items: Any) -> list[dict[str, Any]]:
        return [{"key": m.key, "type": m.item_type.value, "title": m.title} for m in items]

    return {
        "consistent": report.consistent,
        "library": library_of(session.snapshot),
        "scale": SCALE_NOTE,
        "owned": report.owned,
        "ownership_built": report.ownership_built,
        "counts": report.counts(),
        "overrides": [
            {
                "key": o.key,
                "type": o.item_type.value,
                "title": o.title,
                "expected": o.expected,
                "found": o.found,
                "rule": o.rule,
            }
            for o in report.overrides
        ],
        "orphans": [
            {
                "key": o.key,
                "type": o.item_type.value,
                "guid": o.guid,
                "value": o.value,
                "new_key": o.new_key,
            }
            for o in report.orphans
        ],
        "tags": {
            "tag": report.inferred_tag,
            "missing": mismatch(report.missing_tag),
            "unowned": mismatch(report.unowned_tag),
        },
        "twin_tags": {
            "tag": report.twin_tag,
            "missing": mismatch(report.twin_missing),
            "unowned": mismatch(report.twin_unowned),
        }
        if report.twin_tag
        else None,
        "pending": report.pending,
        "state_problems": list(report.state_problems),
    }


# -- undo --------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class UndoPlan(PlanResult):
    report: UndoReport
    yours: int
    """The person's own ratings in the library, which undo never touches."""


def plan_undo_run(session: Session, *, run: int | None) -> UndoPlan:
    """The plan that takes back everything plexrate owns, or what run ``run`` wrote."""
    store = session.store
    if run is not None and run not in {r.id for r in store.runs()}:
        raise UsageError(
            f"run {run} does not exist for library {session.snapshot.section_title!r}",
            hint="list the runs with `plexrate admin runs`",
        )
    if run is not None and run in store.compacted_runs():
        raise UsageError(_compacted_message(store, run))
    plan, report = plan_undo(
        session.snapshot,
        owned=session.owned(),
        originals=store.original_values(run_id=run),
        config=session.settings.engine_config(),
        run_id=run,
        locks=store.field_locks(),
    )
    if run is None and not store.ownership_built() and not session.extra_owned:
        lost = tagged_unowned(session)
        if lost:
            plan.notes.append(
                f"{count(len(lost), 'item')} carry plexrate's tag, but the state has no "
                "record of owning them: run `plexrate admin reconstruct` first to undo them."
            )
    owned = session.owned()
    yours = sum(
        1
        for item in session.snapshot.all_items()
        if item.rating is not None and item.key not in owned
    )
    return UndoPlan(plan=plan, document=_skips_json(report), report=report, yours=yours)


def _compacted_message(store: StateStore, run: int) -> str:
    """What undo can still do for a run whose journal was compacted (JOURNAL_KEEP_RUNS)."""
    gone = store.compacted_runs()
    whole = [r.id for r in store.runs() if r.id not in gone and not r.dry_run]
    which = (
        f"runs {whole[0]}–{whole[-1]} can be undone one by one"
        if len(whole) > 1
        else f"run {whole[0]} can be undone on its own"
        if whole
        else "no run can be undone on its own"
    )
    return (
        f"run {run} is older than the runs whose journal is kept whole (JOURNAL_KEEP_RUNS), so "
        "its changes were folded into each item's record: they can no longer be undone apart "
        "from the other runs. `plexrate admin undo` without --run still returns every item to "
        f"its value before plexrate's first write; {which}"
    )


def _skips_json(report: UndoReport) -> dict[str, Any]:
    return {
        "run": report.run_id,
        "left_alone": [
            {
                "key": s.key,
                "type": s.item_type.value,
                "title": s.title,
                "why": s.why.value,
                "written": s.written,
                "found": s.found,
                "run": s.run,
            }
            for s in report.left_alone
        ],
        "left_alone_counts": report.counts(),
        "locks_released": report.locks_released,
        "locks_left": report.locks_left,
    }


# -- reconstruct -------------------------------------------------------------------------------


def require_inferred_tag(settings: Settings) -> None:
    """``admin reconstruct`` rebuilds from INFERRED_TAG: refuse before connecting without one."""
    if not settings.inferred_tag:
        raise UsageError(
            "INFERRED_TAG is empty, so plexrate marked nothing it wrote and there is nothing "
            "to rebuild ownership from",
            hint="set INFERRED_TAG to the tag plexrate wrote with",
        )


@dataclass(kw_only=True)
class Reconstructed:
    result: Reconstruction
    warnings: list[str]
    document: dict[str, Any]


def reconstruct_ownership(session: Session) -> Reconstructed:
    """Claim every tagged, rated item as plexrate's; a write session records the claims that
    still hold in Plex (only the state file is written)."""
    settings = session.settings
    result = plan_reconstruct(
        session.snapshot, owned=session.owned(), config=settings.engine_config()
    )
    warnings: list[str] = []
    if session.write:
        claims, changed = recheck_claims(session, result.claims, tag=settings.inferred_tag)
        session.store.set_owned(claims, source=SOURCE)
        if changed:
            warnings.append(
                f"Left {count(len(changed), 'item')} to you: changed in Plex during the "
                "run, so not claimed (the next run reads them as yours)"
            )
    document = {
        "dry_run": not session.write,
        "library": library_of(session.snapshot),
        "scale": SCALE_NOTE,
        "tag": result.tag,
        "counts": result.counts(),
        "claims": [
            {"key": c.key, "type": c.item_type.value, "value": c.value, "twin": c.twin}
            for c in result.claims
        ],
        "already_owned": list(result.already_owned),
        "tagged_unrated": [
            {"key": item.key, "type": item.item_type.value} for item in result.tagged_unrated
        ],
    }
    return Reconstructed(result=result, warnings=warnings, document=document)


# -- sync-tags ---------------------------------------------------------------------------------


def plan_tag_sync(session: Session, *, force: bool) -> PlanResult:
    """The plan that makes plexrate's tags match its ownership record; taking tags off while
    the record may be lost is refused unless ``force``."""
    owned = session.owned()
    plan = plan_sync_tags(session.snapshot, owned=owned, config=session.settings.engine_config())
    refusal = removal_refusal(
        plan,
        owned_count=len(owned),
        ownership_built=session.store.ownership_built() or bool(session.extra_owned),
    )
    if refusal is not None and not force:
        raise StateError(refusal.message, hint=refusal.hint)
    return PlanResult(plan=plan)


# -- state export / import ---------------------------------------------------------------------


def default_state_file(folder: Path) -> Path:
    """Where ``admin state export`` writes without a PATH: the old tool's name, in ``folder``."""
    return folder / LEGACY_FILENAME


@dataclass(kw_only=True)
class StateExport:
    path: Path
    items: int
    library: dict[str, str]

    @property
    def document(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "items": self.items,
            "library": self.library,
            "format": "stamped",
        }


def export_state(settings: Settings, target: Path) -> StateExport:
    """Write the ratings plexrate owns in the old tool's stamped format (the state file alone)."""
    store, library = offline_store(settings, required=True)
    with store:
        items = export_legacy(store, target)
    return StateExport(path=target, items=items, library=library)


def read_state_file(path: Path) -> LegacyState:
    """The old tool's file, read and checked whole before any connection is made."""
    return load_legacy(path)


@dataclass(kw_only=True)
class StateImport:
    summary: MigrationSummary
    backup: str | None
    document: dict[str, Any]


def import_state(
    session: Session, legacy: LegacyState, *, source: Path, dialog: Dialog, force: bool
) -> StateImport:
    """Take ownership of what ``legacy`` records, as the first run's migration does; a file
    stamped for another library is imported only with ``force`` or the person's yes."""
    settings, snapshot = session.settings, session.snapshot
    check = confirm_legacy_library(
        legacy,
        snapshot,
        path=source,
        dialog=dialog,
        force=force,
        would="mark that library's ratings as plexrate's here, and undo would clear them",
        hint="import this library's own file, or pass --force",
    )
    if check is UuidCheck.UNSTAMPED:
        dialog.info(f"{source} records no library; importing it as {snapshot.section_title!r}'s")
    summary = summarise_legacy(session, legacy, check, owned=session.owned().keys())
    migration = summary.migration
    backup: str | None = None
    imported = len(migration.owned)
    already = len(migration.already_owned)
    if session.write:
        result = session.store.import_legacy(
            legacy, migration, backup_dir=settings.state_path.parent
        )
        backup = str(result.backup)
        imported = result.imported
        already = len(result.already_owned)
    skipped = {
        "not_in_library": len(migration.not_in_library),
        "unrated": len(migration.unrated),
        "already_owned": already,
        "anchors": len(migration.anchors),
        "changed": len(migration.changed),
    }
    document = {
        "dry_run": not session.write,
        "library": library_of(snapshot),
        "path": str(source),
        "format": legacy.format.value,
        "uuid_check": check.value,
        "entries": len(legacy.entries),
        "imported": imported,
        "skipped": skipped,
        "backup": backup,
        "migration": summary.document(),
    }
    return StateImport(summary=summary, backup=backup, document=document)
