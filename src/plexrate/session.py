"""What every command that talks to Plex shares: open, check, apply, finish.

``open_session`` connects, opens the StateStore (locked for writers), settles writes an earlier,
interrupted run left unconfirmed, reads the snapshot, migrates the old tool's ``plex_state.json``
on first use, and refuses to go on where going on could lose information (a state that does not
know the items carrying plexrate's tag). ``execute`` writes a plan as one journaled run.

No typer, no rich: people are asked and told things through a ``Dialog``, which the CLI implements
(prompts, ``--yes``, ``--force``) and tests implement in a few lines.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from plexrate.errors import PlexError, PlexUnreachable, StateError, UsageError
from plexrate.incremental import ReadInfo, read_library, settle, settled_plan
from plexrate.migration import MigrationSummary, summarise_migration
from plexrate.model import Change, LibrarySnapshot, OwnedItem, Plan
from plexrate.plex import (
    CHANGED_NOTE,
    Applier,
    ApplyReport,
    Baseline,
    PlexClient,
    connect_with,
    read_items,
)
from plexrate.plex.apply import estimated_requests

# Re-exported: the CLI hears of retries and reads a run's status without reaching into plex/
# or state/ (tests/test_layers.py).
from plexrate.plex.client import RetryEvent as RetryEvent  # noqa: PLC0414
from plexrate.plex.client import RetryHook as RetryHook  # noqa: PLC0414
from plexrate.plex.pacing import OLD_TOOL_COOLDOWN, pacing_for
from plexrate.plex.precheck import Expected, drift
from plexrate.plex.readback import rated_since
from plexrate.progress import NULL_PROGRESS, Progress
from plexrate.rekey import refind_orphans
from plexrate.settings import RatingWriteMode, Settings
from plexrate.state import (
    EntryStatus,
    JournalEntry,
    LegacyState,
    ReconcileReport,
    StateStore,
    UuidCheck,
    check_library_uuid,
    load_legacy,
)
from plexrate.state import (
    RunStatus as RunStatus,  # noqa: PLC0414
)
from plexrate.state.legacy import anchors_taken_earlier, backup_to_recheck
from plexrate.state.profile import ServerProfile, load_profile
from plexrate.state.store import META_LEGACY_IMPORT
from plexrate.wording import count

log = logging.getLogger(__name__)


class Dialog(Protocol):
    """How the core talks to the person running it."""

    def info(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...

    def confirm(self, message: str, *, risky: bool) -> bool:
        """Ask yes/no. ``risky`` questions (a stern warning) are refused under ``--yes`` unless
        ``--force``; the others are answered yes under ``--yes``."""
        ...


class SilentDialog:
    """Says nothing and answers from fixed flags: for tests and ``--yes`` scripts."""

    def __init__(self, *, force: bool = False) -> None:
        self.force = force
        self.messages: list[str] = []

    def info(self, message: str) -> None:
        self.messages.append(message)

    def warn(self, message: str) -> None:
        self.messages.append(message)

    def confirm(self, message: str, *, risky: bool) -> bool:
        self.messages.append(message)
        return self.force or not risky


@dataclass
class Session:
    """One command's view of one library: connection, state and snapshot."""

    settings: Settings
    client: PlexClient
    store: StateStore
    snapshot: LibrarySnapshot
    write: bool
    reconciled: ReconcileReport = field(default_factory=ReconcileReport)
    extra_owned: dict[int, OwnedItem] = field(default_factory=dict)
    """Ownership a dry run would have imported from the old tool's state file (kept in memory)."""
    profile: ServerProfile | None = None
    """What ``plexrate doctor`` learned about this server, if it checked it."""
    rekeyed: dict[int, int] = field(default_factory=dict)
    """Owned items Plex re-matched under a new ratingKey, found by guid: old key → new key. A
    write session moves their records before anything is planned; a read-only one only finds
    them."""
    started: float = field(default_factory=time.monotonic)
    migration: MigrationSummary | None = None
    """What migrating the old tool's state file did (or, in a dry run, would do) this time."""
    read: ReadInfo | None = None
    """How the library was read: whole, or only what changed since the last run (issue 23)."""
    released: set[int] = field(default_factory=set)
    """Claims a dry run would drop: the person's ratings an earlier import took (see
    ``_release_anchors_taken_earlier``)."""

    def owned(self) -> dict[int, OwnedItem]:
        owned = self.store.owned()
        for key, item in self.extra_owned.items():
            owned.setdefault(key, item)
        for key in self.released:
            owned.pop(key, None)
        return owned

    def tags(self) -> list[str]:
        return managed_tags(self.settings)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def managed_tags(settings: Settings) -> list[str]:
    """The moods plexrate writes, so the snapshot learns who carries them."""
    return [t for t in (settings.inferred_tag, settings.twin_logic.twin_tag) if t]


def open_session(
    settings: Settings,
    *,
    write: bool,
    command: str,
    dialog: Dialog,
    progress: Progress = NULL_PROGRESS,
    library: str | None = None,
    force: bool = False,
    guard_tags: bool = True,
    migrate_legacy: bool = True,
    sleep: Callable[[float], None] | None = None,
    on_retry: RetryHook | None = None,
    whole_because: str | None = None,
    upper_hint: Collection[int] | None = None,
) -> Session:
    """Connect, open the state, settle unconfirmed writes, read the library, run the guards.

    ``write`` False (dry runs, reports) opens the state read-only and changes nothing anywhere.
    A write session also moves the records of owned items Plex re-keyed (``Session.rekeyed``).
    ``guard_tags`` False skips the tagged-but-unowned check, for the commands that repair it.
    ``migrate_legacy`` False skips the automatic import of the old tool's state file, for the
    command that imports one by hand. ``sleep`` waits between retries (the CLI's can be cut
    short by Ctrl-C); ``on_retry`` hears of each retry, so a terminal can say what it waits for.
    ``whole_because`` reads the library whole, for that reason, even where a change read would do.
    ``upper_hint`` (from webhooks) reads only those artists and albums again in a change read.
    """
    client = connect_with(settings, library=library, sleep=sleep, on_retry=on_retry)
    store = StateStore(
        settings.state_path,
        library_uuid=client.section.uuid,
        library_title=client.section.title,
        server_id=client.machine_id,
        readonly=not write,
        command=command,
        journal_mode=settings.state_journal_mode.value,
    )
    try:
        for note in store.notes:
            dialog.warn(note)
        reconciled = reconcile(store, client, dialog=dialog) if write else ReconcileReport()
        if not write and store.pending():
            dialog.warn(
                f"{len(store.pending())} writes of an interrupted run are unconfirmed; the next "
                "--apply run checks them against Plex first"
            )
        profile = load_profile(store, client.machine_id)
        if profile is not None and profile.page_size and profile.page_size < client.page_size:
            # doctor found the server refusing larger pages (docs/real-servers.md).
            client.page_size = profile.page_size
        snapshot, read = read_library(
            settings,
            client,
            store,
            tags=managed_tags(settings),
            keep=write,
            progress=progress,
            whole_because=whole_because,
            upper_hint=upper_hint,
        )
        if snapshot.rejected:
            dialog.warn(rejected_message(snapshot))
        session = Session(
            settings=settings,
            client=client,
            store=store,
            snapshot=snapshot,
            write=write,
            reconciled=reconciled,
            profile=profile,
            read=read,
        )
        session.rekeyed = _rekey_orphans(session, dialog=dialog)
        if migrate_legacy:
            _migrate_legacy(session, dialog=dialog, force=force)
        _release_anchors_taken_earlier(session, dialog=dialog)
        if guard_tags:
            _guard_unknown_tags(session, force=force)
    except BaseException:
        store.close()
        raise
    return session


def rejected_message(snapshot: LibrarySnapshot, *, shown: int = 3) -> str:
    """One warning naming the items left out because Plex sent values that cannot be ratings."""
    rejected = snapshot.rejected
    listed = "; ".join(str(r) for r in rejected[:shown])
    more = (
        f"; and {len(rejected) - shown:,} more (--debug lists them)"
        if len(rejected) > shown
        else ""
    )
    return (
        f"Left alone {count(len(rejected), 'item')} Plex sent with values that cannot be "
        f"ratings, neither read as yours nor written: {listed}{more}. Correct them in Plex"
    )


def reconcile(store: StateStore, client: PlexClient, *, dialog: Dialog) -> ReconcileReport:
    """Settle intents a killed or disconnected run left behind, by reading the items back."""
    pending = store.pending()
    if not pending:
        return ReconcileReport()
    seen = read_items(client, {entry.key for entry in pending})
    report = store.resolve_pending(seen.found, gone=seen.gone)
    if seen.unknown:
        dialog.warn(
            f"Could not read {count(len(seen.unknown), 'item')} of an interrupted run back from "
            "Plex; their writes stay unconfirmed and are checked again next time"
        )
    dialog.info(
        f"Checked {count(report.total, 'unconfirmed write')} of an "
        f"interrupted run: {len(report.confirmed):,} had landed, {len(report.failed):,} had not"
    )
    for entry in report.changed:
        dialog.warn(f"item {entry.key} changed in Plex while a write was unconfirmed; left alone")
    return report


def _rekey_orphans(session: Session, *, dialog: Dialog) -> dict[int, int]:
    """Find owned items Plex re-matched under a new key (same guid); a writer moves them.

    Without this a re-matched item would look unowned under its new key, so its inferred rating
    would pass for the person's, and undo would skip it.
    """
    owned = session.store.owned_keys()
    snapshot = session.snapshot
    # Nearly always none is missing: the guids are read only for those that are.
    if not owned.difference(snapshot.tracks, snapshot.albums, snapshot.artists):
        return {}
    moves = refind_orphans(snapshot, session.store.owned_guids(), owned_keys=owned)
    if not moves:
        return {}
    if not session.write:
        dialog.info(
            f"Re-matched in Plex under a new ratingKey (found by guid): "
            f"{count(len(moves), 'item')} plexrate owns; the next --apply run moves the records"
        )
        return moves
    for old, new in sorted(moves.items()):
        session.store.rekey(old, new)
    dialog.info(
        f"Moved the records of {count(len(moves), 'item')} Plex re-matched under a new "
        "ratingKey (found by guid)"
    )
    return moves


def _migrate_legacy(session: Session, *, dialog: Dialog, force: bool) -> None:
    """Import the old tool's plex_state.json the first time plexrate meets this library.

    The summary (``plexrate.migration``) is told before anything is recorded; a dry run keeps the
    ownership it would import in memory only (``Session.extra_owned``).
    """
    store, settings, snapshot = session.store, session.settings, session.snapshot
    path = settings.legacy_state_path
    if store.ownership_built() or not path.is_file():
        return
    legacy = load_legacy(path)
    check = confirm_legacy_library(
        legacy,
        snapshot,
        path=path,
        dialog=dialog,
        force=force,
        would="mark that library's ratings as inferred here",
        hint="point LEGACY_STATE_PATH at this library's file, or pass --force",
    )
    summary = summarise_legacy(session, legacy, check, owned=store.owned().keys())
    session.migration = summary
    for line in summary.lines(dry=not session.write):
        dialog.info(line)
    if not session.write:
        session.extra_owned = {item.key: item for item in summary.migration.owned}
        return
    report = store.import_legacy(legacy, summary.migration, backup_dir=settings.state_path.parent)
    dialog.info(f"Backup of the old tool's file: {report.backup}")


def confirm_legacy_library(
    legacy: LegacyState,
    snapshot: LibrarySnapshot,
    *,
    path: Path,
    dialog: Dialog,
    force: bool,
    would: str,
    hint: str,
) -> UuidCheck:
    """How the old tool's file at ``path`` matches this library; one stamped for another library
    is imported only with ``force`` or the person's yes (``would``: what importing it would do),
    else it is a StateError with ``hint``."""
    check = check_library_uuid(legacy.library_uuid, snapshot.library_uuid)
    if check is UuidCheck.MISMATCH:
        message = (
            f"{path} was written for another library (uuid {legacy.library_uuid}), not "
            f"{snapshot.section_title!r} (uuid {snapshot.library_uuid}). Importing it would "
            f"{would}. Import anyway?"
        )
        if not (force or dialog.confirm(message, risky=True)):
            raise StateError(f"{path} belongs to another library", hint=hint)
    return check


def summarise_legacy(
    session: Session, legacy: LegacyState, check: UuidCheck, *, owned: Set[int]
) -> MigrationSummary:
    """What importing ``legacy`` into this session's library would do, told before it is done."""
    settings = session.settings
    return summarise_migration(
        legacy,
        session.snapshot,
        inferred_tag=settings.inferred_tag,
        filler=settings.engine_config().filler,
        uuid_check=check,
        owned=owned,
    )


def _release_anchors_taken_earlier(session: Session, *, dialog: Dialog) -> None:
    """Hand back the person's ratings an earlier plexrate's import took as the old tool's.

    A writer drops those claims and notes in the import record that the check was made; a dry
    run leaves the state alone and plans as if they were dropped (``Session.released``).
    """
    store = session.store
    record = store.meta(META_LEGACY_IMPORT)
    backup = backup_to_recheck(record)
    if backup is None:
        return
    anchors = anchors_taken_earlier(
        backup, store.owned(), session.snapshot, inferred_tag=session.settings.inferred_tag
    )
    if anchors is None:
        dialog.warn(
            f"Could not read {backup}, the copy of the old tool's state file an earlier import "
            "kept, to check it for ratings of yours (twin anchors, v1.5's manual marks) taken "
            "as inferred; restore it there to have them handed back"
        )
        return
    if session.write:
        if anchors:
            store.drop_owned(list(anchors))
        document = json.loads(record or "{}")
        document.update(anchors_checked=True, anchors_released=len(anchors))
        store.set_meta(META_LEGACY_IMPORT, json.dumps(document))
    else:
        session.released = set(anchors)
    if anchors:
        verb = "Handed" if session.write else "Would hand"
        dialog.info(
            f"{verb} back {count(len(anchors), 'rating')} of yours that an earlier import of the "
            "old tool's state file had taken as inferred (twin anchors, or marked manual by "
            "v1.5): never plexrate's, never changed"
        )


def tagged_unowned(session: Session) -> set[int]:
    """Items that carry plexrate's tag but that the state does not own."""
    tag = session.settings.inferred_tag
    if not tag:
        return set()
    members = set(session.snapshot.tagged.get(tag, frozenset()))
    return members - set(session.owned())


def _guard_unknown_tags(session: Session, *, force: bool) -> None:
    """Refuse to infer when the state has lost track of plexrate's own ratings.

    With an empty or lost state every inferred rating looks like the person's: it would be used as
    evidence and could never be undone. The tags are then the only record (defect 13).
    """
    if force or session.store.ownership_built():
        return
    unknown = tagged_unowned(session)
    if unknown and session.migration is not None:
        # A dry run's migration accounts for the tagged items its file names but does not make
        # plexrate's: the person changed them since, or they are the person's anchors.
        unknown -= session.migration.migration.accounted()
    if unknown:
        # Tags plexrate's own journal accounts for are not lost knowledge: intents of an
        # interrupted run a dry run has not settled, or tag edits that landed without their rating.
        unknown -= _journal_tagged(session.store, session.settings.inferred_tag)
    if unknown:
        raise StateError(
            f"{len(unknown):,} items carry the {session.settings.inferred_tag!r} tag, but the "
            f"state file {session.settings.state_path} has no record of plexrate owning them",
            hint="run `plexrate admin reconstruct` to rebuild ownership from the tags, or pass "
            "--force to treat them as your own ratings",
        )


def _journal_tagged(store: StateStore, tag: str) -> set[int]:
    wanted = tag.casefold()
    return {
        entry.key
        for entry in store.journal()
        if any(added.casefold() == wanted for added in entry.add_tags)
    }


OLD_COOLDOWN_SEEN = "notice.old_cooldown"
"""State meta key: the old tool's 25/5 notice was shown for a run that wrote (once is enough)."""


def old_cooldown_once(session: Session, plan: Plan, *, from_file: bool) -> tuple[int, float] | None:
    """Pauses and seconds the old tool's COOLDOWN_BATCH 25 / COOLDOWN_SLEEP 5 cost on ``plan``,
    when the config file (``from_file``) carries exactly those values and this library was not
    told so by a run that wrote; else None. A write session remembers that it was told."""
    settings = session.settings
    if not from_file or (settings.cooldown_batch, settings.cooldown_sleep) != OLD_TOOL_COOLDOWN:
        return None
    if session.store.meta(OLD_COOLDOWN_SEEN) is not None:
        return None
    batch, sleep = OLD_TOOL_COOLDOWN
    requests = estimated_requests(plan.changes, batch_size=settings.write_batch_size)
    pauses = max(0, requests - 1) // batch
    if session.write:
        session.store.set_meta(OLD_COOLDOWN_SEEN, "1")
    return pauses, pauses * sleep


def write_mode(session: Session) -> RatingWriteMode:
    """RATING_WRITE_MODE, except that ``auto`` starts with ``rate`` where ``plexrate doctor``
    found the edit form refused or not storing ratings on this server."""
    mode = session.settings.rating_write_mode
    profile = session.profile
    if mode is RatingWriteMode.AUTO and profile is not None and profile.write_mode() == "rate":
        return RatingWriteMode.RATE
    return mode


def recheck_claims(
    session: Session, claims: Sequence[OwnedItem], *, tag: str
) -> tuple[list[OwnedItem], dict[int, str]]:
    """Claims made from the snapshot (``admin reconstruct``), checked against Plex just before
    they are recorded: those whose item still holds the claimed value and ``tag`` (and was not
    rated again since the snapshot), and, per key left out, what changed. An item that cannot be
    read is left out too: the person may have changed it (issue 16, as for every write)."""
    if not claims:
        return [], {}
    stamps = {c.key: getattr(session.snapshot.item(c.key), "rated_at", None) for c in claims}
    seen = read_items(
        session.client, [c.key for c in claims], chunk_size=session.client.page_size, kind="check"
    )
    kept: list[OwnedItem] = []
    changed: dict[int, str] = {}
    for claim in claims:
        item = seen.get(claim.key)
        if item is None:
            changed[claim.key] = "gone from Plex or unreadable"
            continue
        what = drift(Expected(claim.value, {tag.casefold(): True}, stamps[claim.key]), item)
        if what is None:
            kept.append(claim)
        else:
            changed[claim.key] = what
    return kept, changed


def left_to_person(store: StateStore) -> list[JournalEntry]:
    """The entries of the latest run that wrote anything which its check before write left to
    the person (changed in Plex during the run), with what Plex held then (``note``)."""
    runs = [r for r in store.runs() if r.entries]
    if not runs:
        return []
    latest = max(r.id for r in runs)
    return [
        e
        for e in store.journal(run_id=latest, status=EntryStatus.FAILED)
        if e.note.startswith(CHANGED_NOTE)
    ]


def rated_meanwhile(session: Session, written: set[int]) -> int | None:
    """How many tracks were rated in Plex after the snapshot that plexrate did not write: the
    person's, which the check before each write left alone (issue 16). Tracks only, because a
    real server offers a ``lastRatedAt`` filter on tracks alone (``readback.rated_since``).

    Measured on the server's clock: from the newest ``lastRatedAt`` the snapshot saw, then item
    by item against the snapshot's own value. None when the snapshot saw no ``lastRatedAt`` at
    all or the listing fails (the run's result stands either way).
    """
    stamps = {track.key: track.rated_at for track in session.snapshot.tracks.values()}
    since = max((s for s in stamps.values() if s is not None), default=None)
    if since is None:
        return None
    try:
        rated = rated_since(session.client, since, page_size=session.client.page_size)
    except PlexError as exc:
        log.warning("could not list the items rated during the run: %s", exc)
        return None
    return sum(
        1 for key, stamp in rated.items() if key not in written and stamp > (stamps.get(key) or 0)
    )


@dataclass
class RunOutcome:
    run_id: int | None
    report: ApplyReport
    status: RunStatus
    seconds: float
    pacing: dict[str, Any] = field(default_factory=dict)
    """What pacing did (``plex/pacing.py``): mode, pauses, seconds paused, peak slowdown."""


@dataclass(eq=False)
class StagedPlan:
    """A whole plan made in two steps, so that its first part is written before the rest is made
    (``execute``): a ``watch`` cycle's ratings reach their album, artist and tracks while the
    engine still works out the library's other items (issue 23)."""

    first: Plan
    """The changes of ``keys``: exactly the whole plan's for them (``build_plan(only=...)``)."""
    keys: frozenset[int]
    """The items ``first`` planned (its ``scope_closure``); the rest of the plan is the others."""
    make_whole: Callable[[], Plan]
    _whole: Plan | None = field(default=None, init=False, repr=False)

    @property
    def made(self) -> bool:
        """Whether the whole plan was made."""
        return self._whole is not None

    def whole(self) -> Plan:
        """The whole plan, ``first``'s changes included (made once)."""
        if self._whole is None:
            self._whole = self.make_whole()
        return self._whole


def execute(
    session: Session,
    plan: Plan | StagedPlan,
    *,
    command: str,
    args: Mapping[str, Any] | None = None,
    progress: Progress = NULL_PROGRESS,
    checkpoint: Callable[[], bool] = lambda: False,
    marks_ownership_built: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> RunOutcome:
    """Write ``plan`` as one journaled run; a dry-run session must never get here.

    A ``StagedPlan`` is written in two steps of that one run: its first part, then the rest of
    the whole plan, made once the first part is written."""
    if not session.write:
        raise UsageError("internal: a dry run cannot execute a plan")
    started = time.monotonic()
    staged = plan if isinstance(plan, StagedPlan) else None
    first = plan.first if isinstance(plan, StagedPlan) else plan
    writes = _writes(first.changes)
    if not writes and staged is not None:
        # Nothing to write first: the run is the whole plan's, if it writes anything.
        first, staged = staged.whole(), None
        writes = _writes(first.changes)
    if not writes:
        return RunOutcome(
            None, ApplyReport(mode=session.settings.rating_write_mode), RunStatus.COMPLETED, 0.0
        )
    settings = session.settings
    session.store.ensure_space(len(writes))
    run_id = session.store.begin_run(command=command, args=dict(args or {}))
    applier = Applier(
        session.client,
        journal=session.store,
        run_id=run_id,
        batch_size=settings.write_batch_size,
        mode=write_mode(session),
        pacing=pacing_for(settings.cooldown_batch, settings.cooldown_sleep),
        cooldown_sleep_single=settings.cooldown_sleep_single,
        progress=progress,
        checkpoint=checkpoint,
        sleep=sleep,
        # Every write request is checked against what the plan was made from, so a rating the
        # person sets while the run goes on is never overwritten (issue 16).
        baseline=Baseline.of(session.snapshot),
    )
    status = RunStatus.FAILED
    try:
        report = applier.apply(writes)
        if staged is not None and not report.stopped and checkpoint():
            # Asked to stop once the first part was written: the rest is not even made.
            report.stopped = True
        if staged is not None and not report.stopped:
            rest = [c for c in _writes(staged.whole().changes) if c.key not in staged.keys]
            if rest:
                session.store.ensure_space(len(rest))
                report = applier.apply(rest)
        status = RunStatus.INTERRUPTED if report.stopped else RunStatus.COMPLETED
    except (KeyboardInterrupt, PlexUnreachable):
        status = RunStatus.INTERRUPTED
        raise
    finally:
        session.store.finish_run(run_id, status=status)
    report.rated_meanwhile = rated_meanwhile(session, report.touched)
    if status is RunStatus.COMPLETED and marks_ownership_built:
        session.store.mark_ownership_built(source=command)
    compact_journal(session.store, keep_runs=settings.journal_keep_runs)
    return RunOutcome(
        run_id, report, status, time.monotonic() - started, pacing=applier.pacing.summary()
    )


def _writes(changes: Sequence[Change]) -> list[Change]:
    return [c for c in changes if c.writes_anything or c.own is not None]


def compact_journal(store: StateStore, *, keep_runs: int) -> None:
    """JOURNAL_KEEP_RUNS after a run: fold older runs into per-item records. The run itself is
    done and recorded, so a failure here is worth a warning in the log, never the run's end."""
    if keep_runs <= 0:
        return
    try:
        report = store.compact(keep_runs=keep_runs)
    except StateError as exc:
        log.warning("could not compact the journal of older runs: %s", exc)
        return
    if report.runs:
        log.info(
            "compacted the journal of %d older run(s): %d entries folded into %d item records",
            len(report.runs),
            report.entries_removed,
            report.items,
        )


def plan_fingerprint(
    session: Session,
    args: Mapping[str, Any],
    *,
    owned: Mapping[int, OwnedItem] | None = None,
    stamp: str | None = None,
) -> str:
    """What a plan depends on besides the library: settings, the command's arguments and
    ownership, so an unchanged library with the same fingerprint plans the same.

    Ownership is the store's stamp (``StateStore.owned_stamp``) with what this session adds to or
    takes from the record in memory: the stamp changes with every claim, and loading and hashing
    263,000 claims cost about 3 s of a 300,000-track rerun that had nothing to do. A file without
    a stamp has every claim hashed (``owned``, read when not given). ``stamp``: the stamp read
    together with ``owned`` (read now when None).
    """
    digest = hashlib.sha256()
    digest.update(repr(session.settings.engine_config()).encode())
    digest.update(json.dumps(dict(args), sort_keys=True, default=str).encode())
    if stamp is None:
        stamp = session.store.owned_stamp()
    if stamp is not None:
        digest.update(f"stamp {stamp}".encode())
        for key in sorted(session.extra_owned):
            digest.update(f"extra {session.extra_owned[key]!r}".encode())
        digest.update(f"released {sorted(session.released)}".encode())
        return digest.hexdigest()
    if owned is None:
        owned = session.owned()
    for key in sorted(owned):
        digest.update(repr(owned[key]).encode())
    return digest.hexdigest()


def plan_whole_run(
    session: Session,
    args: Mapping[str, Any],
    build: Callable[[dict[int, OwnedItem]], Plan],
    *,
    owned: dict[int, OwnedItem] | None = None,
    stamp: str | None = None,
) -> Plan:
    """The plan of a full run (every phase, every artist): made by ``build``, or, when the library
    read showed nothing new since a full run that planned nothing with the same fingerprint,
    that same empty plan without making it (issue 23: a rerun with nothing to do). ``owned``:
    the ownership record as already read in this session (read now when None), and ``stamp``
    the ownership stamp read with it, so the fingerprint names the record the plan is made from
    even when this session wrote claims since."""
    read = session.read
    # Only worked out when a settled plan may be reused, or is about to be noted (a watch cycle
    # after a rating needs neither); the ownership record is not read for it (see
    # ``plan_fingerprint``), and not at all when the settled plan is reused.
    fingerprint: str | None = None
    if read is not None and read.nothing_new and read.settled:
        fingerprint = plan_fingerprint(session, args, owned=owned, stamp=stamp)
        known = settled_plan(read, fingerprint)
        if known is not None:
            return known
    if owned is None:
        owned = session.owned()
    plan = build(owned)
    if session.write and not plan.changes:
        if fingerprint is None:
            fingerprint = plan_fingerprint(session, args, owned=owned, stamp=stamp)
        settle(session.settings, session.snapshot.library_uuid, fingerprint, plan)
    return plan
