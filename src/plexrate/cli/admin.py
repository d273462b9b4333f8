"""``plexrate admin``: runs, verify, undo, reconstruct, sync-tags, and ``state export/import``.

The old tool's admin submenu (verify, cleanup/undo, reconstruct, synchronize tags), built on the
StateStore journal. The planning and checking is in ``plexrate.admin``; this module opens the
session, calls it, and prints or writes the result.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from plexrate.cli.apply import WriteFlags, plan_and_apply
from plexrate.cli.context import AppContext, get_app
from plexrate.cli.options import (
    ConfigOpt,
    DryRunOpt,
    ForceOpt,
    JsonOpt,
    LibraryOpt,
    QuietOpt,
    YesOpt,
)
from plexrate.fileio import expand_user

if TYPE_CHECKING:
    from plexrate.admin import Reconstruction, UndoReport, VerifyReport
    from plexrate.model import Plan
    from plexrate.session import Session
    from plexrate.settings import Settings
    from plexrate.state import StateStore

admin_app = typer.Typer(
    name="admin",
    help="Check, repair and take back what plexrate wrote (the old tool's admin menu).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
state_app = typer.Typer(
    name="state",
    help="Move ownership records to and from the old tool's plex_state.json format.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
admin_app.add_typer(state_app, name="state")

SampleOpt = Annotated[
    int,
    typer.Option("--sample", min=0, metavar="N", help="Dry run: show up to N example changes."),
]
RunOpt = Annotated[
    int | None,
    typer.Option(
        "--run",
        min=1,
        metavar="ID",
        show_default=False,
        help="Undo only this run (ids from `plexrate admin runs`); default: everything.",
    ),
]

HELP_RUNS = (
    "List the runs that wrote to this library: id, time, command, status, items changed.\n\n"
    "Read from the state file alone; Plex is asked only when the file does not name the "
    "library unambiguously. Use an id with `plexrate admin undo --run ID`.\n\n"
    "Example: plexrate admin runs --json"
)

HELP_VERIFY = (
    "Compare the ownership record with Plex, read-only; exit 0 when consistent, 1 when not.\n\n"
    "Reports overrides (owned items whose rating you changed since: expected and found), "
    "orphans (owned items no longer in the library, and whether the same guid is there under "
    "a new key), and tag mismatches (owned without the tag, tagged but not owned; the twin "
    "tag too when TWIN_TAG is set). For cron: exit 1 means 'look at it', and stdout is empty "
    "when all is well. The state file gets the check every writing command runs; --deep "
    "runs SQLite's full integrity check instead (about a second per 100 MB).\n\n"
    "Example: plexrate admin verify --quiet || echo 'plexrate needs a look'"
)

HELP_UNDO = (
    "Take back what plexrate wrote: everything it owns, or one run with --run ID.\n\n"
    "Each item returns to its value before plexrate's first write in that scope (an item that "
    "was unrated becomes unrated again), plexrate's tags come off, and plexrate gives up its "
    "claim. Items you changed since plexrate wrote them keep your rating and are listed; with "
    "--run, items a later run wrote again are left alone too (undo that run first). The undo "
    "is a run of its own: rerun it after an interruption to finish, and undo it with --run to "
    "put everything back.\n\n"
    "Example: plexrate admin runs, then plexrate admin undo --run 7 --dry-run, then --apply"
)

HELP_RECONSTRUCT = (
    "Rebuild the ownership record from plexrate's tag, after the state file was lost.\n\n"
    "Every artist, album and track carrying INFERRED_TAG and a rating becomes plexrate's at "
    "its current value (a twin if it carries TWIN_TAG too). Tagged items without a rating are "
    "listed, not owned; untagged items are never owned. Only the state file is written, "
    "nothing in Plex.\n\n"
    "Example: plexrate admin reconstruct --dry-run, then plexrate admin reconstruct --apply"
)

HELP_SYNC_TAGS = (
    "Make plexrate's tags match its ownership record: add where owned, remove where not.\n\n"
    "The inferred tag goes on every item plexrate owns and comes off every other item; the "
    "twin tag (TWIN_TAG) likewise for owned twins. Ratings are never touched. Taking tags off "
    "is refused while the ownership record is empty or was never built for this library, "
    "because the tags may be the only record left: run `plexrate admin reconstruct` first, or "
    "pass --force.\n\n"
    "Example: plexrate admin sync-tags --dry-run, then plexrate admin sync-tags --apply"
)

HELP_EXPORT = (
    "Write the ratings plexrate owns in the old tool's plex_state.json format.\n\n"
    "The stamped format: the library's UUID and, per ratingKey, the value and the twin flag. "
    "Read from the state file alone (Plex is asked only when the file does not name the "
    "library unambiguously). "
    "An existing file is replaced only with --force.\n\n"
    "Example: plexrate admin state export backup/plex_state.json"
)

HELP_IMPORT = (
    "Take ownership of the ratings an old plex_state.json records (any of its formats: v1.4, "
    "v1.5, flat).\n\n"
    "A file stamped for another library gets a stern warning and a question; under --yes that "
    "is an error unless --force. The file is backed up beside the state file first. An entry "
    "becomes plexrate's only while Plex holds the value it records (at one decimal); your own "
    "ratings it records (twin anchors, v1.5's manual marks), values you changed since, keys the "
    "library no longer has, unrated items and items plexrate already owns are skipped and "
    "counted, with a summary of what an undo would then do.\n\n"
    "Example: plexrate admin state import old/plex_state.json --apply"
)

# Any non-empty UUID opens a state file read-only to list the libraries it holds.
_PROBE_UUID = "-"

# A change read settles a tag's track members by their count, which a tag moved from one track to
# another leaves as it was; the commands that audit or repair tags must see every member.
TAG_AUDIT_READ = "this command checks every tag, so it reads the library whole"


# -- shared ------------------------------------------------------------------------------------


def _library_dict(session: Session) -> dict[str, str]:
    return {"title": session.snapshot.section_title, "uuid": session.snapshot.library_uuid}


def _stars(value: float | None) -> str:
    from plexrate.model import stars

    return stars(value)


def _dump(app: AppContext, document: dict[str, Any]) -> None:
    from plexrate.cli.render import print_json

    print_json(app.out, json.dumps(document, ensure_ascii=False))


def _offline_store(settings: Settings, *, required: bool) -> tuple[StateStore, dict[str, str]]:
    """The library's records, opened read-only, found by library name without Plex if possible.

    A state file names each library it holds; when exactly one has the configured name, no
    connection is needed (listing runs works while Plex is down). Otherwise the library's UUID
    comes from the server. ``required`` False accepts a state file with no library at all.
    """
    from plexrate.state import StateStore

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
        from plexrate.plex import connect_with

        client = connect_with(settings)
        uuid, title = client.section.uuid, client.section.title
    store = StateStore(path, library_uuid=uuid, library_title=title, readonly=True)
    return store, {"title": title, "uuid": uuid}


# -- runs --------------------------------------------------------------------------------------


def _prune(app: AppContext, settings: Settings, *, keep: int | None, quiet: bool) -> dict[str, Any]:
    """``admin runs --prune``: compact the journal now (the state file alone; Plex is asked only
    to tell which library is meant)."""
    from plexrate.errors import UsageError
    from plexrate.state import StateStore

    keep_runs = settings.journal_keep_runs if keep is None else keep
    if keep is None and keep_runs == 0:
        raise UsageError(
            "JOURNAL_KEEP_RUNS is 0, which keeps every run's journal",
            hint="pass --keep N to compact all but the newest N runs",
        )
    probe, lib = _offline_store(settings, required=False)
    probe.close()
    if not lib["uuid"]:
        return {"runs": [], "entries": 0, "items": 0, "bytes_before": 0, "bytes_after": 0}
    before = _size(settings.state_path)
    with StateStore(
        settings.state_path,
        library_uuid=lib["uuid"],
        library_title=lib["title"],
        command="plexrate admin runs --prune",
        journal_mode=settings.state_journal_mode.value,
    ) as store:
        for note in store.notes:
            app.err.print(escape(note))
        report = store.compact(keep_runs=keep_runs)
    after = _size(settings.state_path)  # closed: the write-ahead log is folded in
    if not quiet:
        if report.runs:
            app.err.print(
                f"Compacted {len(report.runs):,} run{'s' if len(report.runs) != 1 else ''} "
                f"({report.runs[0]}–{report.runs[-1]}): {report.entries_removed:,} journal "
                f"entries folded into {report.items:,} item records; "
                + (
                    f"the state file went from {before / 1e6:.1f} MB to {after / 1e6:.1f} MB."
                    if report.vacuumed
                    else f"the state file stays at {after / 1e6:.1f} MB and later runs reuse "
                    "the space freed (it is vacuumed once a quarter of it is free)."
                )
            )
        else:
            whole = "every run" if keep_runs == 0 else f"every run but the newest {keep_runs:,}"
            app.err.print(
                f"Nothing to compact: {whole} is compacted already, or follows a run whose "
                "writes are still unconfirmed."
            )
    return {
        "runs": list(report.runs),
        "entries": report.entries_removed,
        "items": report.items,
        "vacuumed": report.vacuumed,
        "bytes_before": before,
        "bytes_after": after,
    }


def _size(path: Path) -> int:
    """The state file with its write-ahead log, as it takes space on disk."""
    total = 0
    for part in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += part.stat().st_size
    return total


def _local(timestamp: float | None) -> str:
    """Local time to the second, for a table (the JSON has ISO 8601 with the offset)."""
    from datetime import datetime

    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _took(started: float | None, finished: float | None) -> str:
    if started is None or finished is None:
        return ""
    seconds = max(0, round(finished - started))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


@admin_app.command("runs", help=HELP_RUNS)
def runs(
    ctx: typer.Context,
    *,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="First compact the journal of all but the newest JOURNAL_KEEP_RUNS runs (or "
            "--keep N) into one record per item, and vacuum the file when that frees a "
            "quarter of it. Undo of everything is unchanged; compacted runs can no longer be "
            "undone one by one.",
        ),
    ] = False,
    keep: Annotated[
        int | None,
        typer.Option(
            "--keep",
            min=0,
            metavar="N",
            show_default=False,
            help="With --prune: keep the newest N runs whole instead of JOURNAL_KEEP_RUNS.",
        ),
    ] = None,
) -> None:
    from plexrate.admin import run_rows
    from plexrate.errors import UsageError

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library})
    if keep is not None and not prune:
        raise UsageError("--keep goes with --prune", hint="plexrate admin runs --prune --keep 10")
    pruned: dict[str, Any] | None = None
    if prune:
        pruned = _prune(app, settings, keep=keep, quiet=quiet or json_output)
    store, lib = _offline_store(settings, required=False)
    with store:
        rows = run_rows(store.runs())
    if json_output:
        document: dict[str, Any] = {"library": lib, "runs": rows}
        if pruned is not None:
            document["pruned"] = pruned
        _dump(app, document)
        return
    if not rows:
        if not quiet:
            app.err.print(f"No runs recorded for library {escape(repr(lib['title']))}.")
        return
    # Fits 80 columns: the start to the minute, how long it took, and the Failed and Pending
    # columns only when some run has any (issue 19: every column was cut at 80).
    table = Table(title=f"Runs of {escape(lib['title'])}")
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Started", no_wrap=True)
    table.add_column("Took", justify="right", no_wrap=True)
    table.add_column("Command", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Changed", justify="right", no_wrap=True)
    extra = [name for name in ("failed", "pending") if any(row[name] for row in rows)]
    for name in extra:
        table.add_column(name.capitalize(), justify="right", no_wrap=True)
    if any(row["compacted"] for row in rows):
        table.caption = "* compacted (JOURNAL_KEEP_RUNS): undone only with all runs"
    for row in rows:
        table.add_row(
            f"{row['id']}{'*' if row['compacted'] else ''}",
            _local(row["started_at"])[:16],
            _took(row["started_at"], row["finished_at"]),
            escape(row["command"]),
            row["status"],
            f"{row['changed']:,}",
            *(f"{row[name]:,}" if row[name] else "" for name in extra),
        )
    app.out.print(table)


# -- verify ------------------------------------------------------------------------------------


def _verify_json(report: VerifyReport, session: Session) -> dict[str, Any]:
    from plexrate.cli.render import SCALE_NOTE

    def mismatch(items: Any) -> list[dict[str, Any]]:
        return [{"key": m.key, "type": m.item_type.value, "title": m.title} for m in items]

    return {
        "consistent": report.consistent,
        "library": _library_dict(session),
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


def _verify_tables(app: AppContext, report: VerifyReport) -> None:
    if report.overrides:
        table = Table(title="Overrides: owned, but changed in Plex since plexrate wrote them")
        for name in ("Key", "Type", "Item", "Expected", "Found"):
            table.add_column(
                name, justify="right" if name in ("Key", "Expected", "Found") else "left"
            )
        for o in report.overrides:
            table.add_row(
                str(o.key), o.item_type.value, escape(o.title), _stars(o.expected), _stars(o.found)
            )
        app.out.print(table)
    if report.orphans:
        table = Table(title="Orphans: owned, but no longer in the library")
        for name in ("Key", "Type", "Guid", "Value", "Now under key"):
            table.add_column(name)
        for orphan in report.orphans:
            table.add_row(
                str(orphan.key),
                orphan.item_type.value,
                escape(orphan.guid or "—"),
                _stars(orphan.value),
                str(orphan.new_key) if orphan.new_key is not None else "—",
            )
        app.out.print(table)
    kinds = (
        ("Owned, without the tag", report.missing_tag),
        ("Tagged, but not owned", report.unowned_tag),
        ("Owned twins, without the twin tag", report.twin_missing),
        ("Twin tag, but not an owned twin", report.twin_unowned),
    )
    if any(items for _, items in kinds):
        table = Table(title="Tag mismatches")
        for name in ("Key", "Type", "Item", "Tag", "Problem"):
            table.add_column(name)
        for problem, items in kinds:
            for m in items:
                table.add_row(
                    str(m.key), m.item_type.value, escape(m.title), escape(m.tag), problem
                )
        app.out.print(table)


def _verify_summary(report: VerifyReport) -> list[str]:
    from plexrate.wording import count

    counts = report.counts()
    if report.consistent and not report.owned:
        return ["Nothing to check: plexrate owns no items in this library yet."]
    if report.consistent:
        tagged = f", each carrying {report.inferred_tag!r}" if report.inferred_tag else ""
        return [
            f"Consistent: plexrate owns {count(report.owned, 'item')}, and Plex holds what it "
            f"wrote{tagged}."
        ]
    parts = [
        count(counts["overrides"], "override"),
        count(counts["orphans"], "orphan"),
        f"{counts['missing_tag']:,} owned without the tag",
        f"{counts['unowned_tag']:,} tagged but not owned",
        f"{counts['twin_missing']:,} owned twins without the twin tag",
        f"{counts['twin_unowned']:,} twin-tagged but not owned twins",
        count(counts["pending"], "unconfirmed write"),
        count(counts["state_problems"], "state file problem"),
    ]
    names = (
        "overrides",
        "orphans",
        "missing_tag",
        "unowned_tag",
        "twin_missing",
        "twin_unowned",
        "pending",
        "state_problems",
    )
    parts = [part for part, name in zip(parts, names, strict=True) if counts[name]]
    lines = [f"Not consistent: {', '.join(parts)}."]
    drift = sum(1 for o in report.overrides if o.rule == "drift")
    if len(report.overrides) > drift:
        lines.append(
            "  Overrides are your changes: the next `plexrate run` hands them back to you."
        )
    if drift:
        lines.append(
            f"  {count(drift, 'override')} not a whole number and not rated since plexrate's "
            "write: HIJACK_INTEGER_ONLY keeps them plexrate's, and the next run re-infers them."
        )
    refound = counts["orphans_refound"]
    if refound:
        lines.append(
            f"  Re-matched under a new key (same guid): {count(refound, 'orphan')}; the next "
            "--apply command moves their records."
        )
    if report.unowned_tag and not report.ownership_built:
        lines.append(
            "  The ownership record was never built here: `plexrate admin reconstruct` rebuilds "
            "it from the tags."
        )
    elif report.missing_tag or report.unowned_tag or report.twin_missing or report.twin_unowned:
        lines.append("  `plexrate admin sync-tags` makes the tags match the record.")
    if report.pending:
        lines.append("  The next --apply command checks the unconfirmed writes against Plex.")
    for problem in report.state_problems[:5]:
        lines.append(f"  State file: {problem}")
    return lines


@admin_app.command("verify", help=HELP_VERIFY)
def verify(
    ctx: typer.Context,
    *,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Check every page and index entry of the state file (SQLite's full "
            "integrity check), not only what writing commands depend on.",
        ),
    ] = False,
) -> None:
    from plexrate.admin import verify as check
    from plexrate.cli.apply import read_session

    app = get_app(ctx)
    with read_session(
        app,
        command="admin verify",
        whole_because=TAG_AUDIT_READ,
        config=config,
        library=library,
        quiet=quiet,
        json_output=json_output,
    ) as session:
        store = session.store
        report = check(
            session.snapshot,
            owned=session.owned(),
            config=session.settings.engine_config(),
            pending=len(store.pending()),
            state_problems=store.verify(deep=deep) if store.exists else (),
            ownership_built=store.ownership_built() or bool(session.extra_owned),
        )
        from plexrate.session import left_to_person

        left = left_to_person(store) if store.exists else []
        if json_output:
            document = _verify_json(report, session)
            document["left_to_you"] = [
                {"key": e.key, "title": e.title, "run": e.run_id, "note": e.note} for e in left
            ]
            _dump(app, document)
        else:
            _verify_tables(app, report)
            if not quiet:
                for line in _verify_summary(report):
                    app.err.print(escape(line))
                if left:
                    app.err.print(
                        escape(
                            f"The last run (run {left[0].run_id}) left {len(left):,} item"
                            f"{'' if len(left) == 1 else 's'} to you: changed in Plex during "
                            f"the run, not written (first: {left[0].title}: {left[0].note}); "
                            "--json lists them all."
                        )
                    )
    if not report.consistent:
        # Not an error: the report is the answer, and cron reads the exit code.
        raise typer.Exit(1)


# -- undo --------------------------------------------------------------------------------------


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


@admin_app.command("undo", help=HELP_UNDO)
def undo(
    ctx: typer.Context,
    *,
    run: RunOpt = None,
    dry_run: DryRunOpt = None,
    yes: YesOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
    sample: SampleOpt = 10,
) -> None:
    from plexrate.admin import plan_undo
    from plexrate.errors import UsageError

    app = get_app(ctx)
    found: dict[str, Any] = {}

    def make_plan(session: Session) -> Plan:
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
            from plexrate.session import tagged_unowned
            from plexrate.wording import count

            lost = tagged_unowned(session)
            if lost:
                plan.notes.append(
                    f"{count(len(lost), 'item')} carry plexrate's tag, but the state has no "
                    "record of owning them: run `plexrate admin reconstruct` first to undo them."
                )
        found["report"] = report
        found["notes"] = plan.notes
        owned = session.owned()
        found["yours"] = sum(
            1
            for item in session.snapshot.all_items()
            if item.rating is not None and item.key not in owned
        )
        return plan

    flags = WriteFlags(
        config=config,
        library=library,
        dry_run=dry_run,
        yes=yes,
        force=force,
        json_output=json_output,
        quiet=quiet,
        sample=sample,
    )
    command = "admin undo" if run is None else f"admin undo --run {run}"
    outcome = plan_and_apply(
        app,
        flags,
        command=command,
        make_plan=make_plan,
        args={"run": run},
        # Undo takes plexrate's tags off; it must work when the record has lost track of some.
        guard_tags=False,
        details=lambda: _skips_json(found["report"]),
    )
    if outcome is not None and not json_output and not quiet:
        for note in found["notes"]:
            app.err.print(escape(note))
    if not json_output and not quiet and found.get("yours"):
        from plexrate.wording import count

        # What undo never touches, said every time: the person's own ratings.
        app.err.print(
            f"Left alone: your own {count(int(found['yours']), 'rating')} (plexrate never "
            "wrote them, so undo does not touch them)."
        )


# -- reconstruct -------------------------------------------------------------------------------


def _reconstruct_json(result: Reconstruction, session: Session, *, dry: bool) -> dict[str, Any]:
    from plexrate.cli.render import SCALE_NOTE

    return {
        "dry_run": dry,
        "library": _library_dict(session),
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


@admin_app.command("reconstruct", help=HELP_RECONSTRUCT)
def reconstruct(
    ctx: typer.Context,
    *,
    dry_run: DryRunOpt = None,
    yes: YesOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    from plexrate.admin import plan_reconstruct
    from plexrate.admin.reconstruct import SOURCE
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.progress import progress_for
    from plexrate.errors import UsageError
    from plexrate.session import open_session

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library, "dry_run": dry_run})
    if not settings.inferred_tag:
        raise UsageError(
            "INFERRED_TAG is empty, so plexrate marked nothing it wrote and there is nothing "
            "to rebuild ownership from",
            hint="set INFERRED_TAG to the tag plexrate wrote with",
        )
    dry = settings.dry_run
    dialog = CliDialog(app.err, interactive=app.interactive, yes=yes, force=force, quiet=quiet)
    with (
        progress_for(app.err, quiet=quiet, json_output=json_output) as progress,
        open_session(
            settings,
            write=not dry,
            command="admin reconstruct",
            dialog=dialog,
            progress=progress,
            force=force,
            guard_tags=False,
            whole_because=TAG_AUDIT_READ,
        ) as session,
    ):
        result = plan_reconstruct(
            session.snapshot, owned=session.owned(), config=settings.engine_config()
        )
        if not dry:
            from plexrate.session import recheck_claims

            claims, changed = recheck_claims(session, result.claims, tag=settings.inferred_tag)
            session.store.set_owned(claims, source=SOURCE)
            if changed:
                from plexrate.wording import count

                dialog.warn(
                    f"Left {count(len(changed), 'item')} to you: changed in Plex during the "
                    "run, so not claimed (the next run reads them as yours)"
                )
        if json_output:
            _dump(app, _reconstruct_json(result, session, dry=dry))
        elif not quiet:
            _reconstruct_summary(app, result, dry=dry)


def _reconstruct_summary(app: AppContext, result: Reconstruction, *, dry: bool) -> None:
    from plexrate.cli.progress import finish_live
    from plexrate.model import ItemType
    from plexrate.wording import count

    finish_live()

    counts = result.counts()
    per_type = ", ".join(
        f"{counts[f'claims.{t.value}']:,} {t.plural}"
        for t in ItemType
        if counts[f"claims.{t.value}"]
    )
    verb = "Would own" if dry else "Now owns"
    line = f"{verb} {count(counts['claims'], 'item')} carrying {result.tag!r}"
    line += f" ({per_type}; {count(counts['twins'], 'twin')})" if counts["claims"] else ""
    if counts["already_owned"]:
        line += f"; already owned: {count(counts['already_owned'], 'item')}"
    app.err.print(escape(line + "."))
    if result.tagged_unrated:
        from plexrate.model import label

        app.err.print(
            f"Not owned: {count(len(result.tagged_unrated), 'tagged item')} without a rating "
            "(nothing to own):"
        )
        for item in result.tagged_unrated[:10]:
            app.err.print(f"  {escape(label(item))}")
        if len(result.tagged_unrated) > 10:
            app.err.print(f"  … and {len(result.tagged_unrated) - 10:,} more (--json lists them)")
    if dry:
        app.err.print("Dry run: nothing was written; --apply records the ownership.")
    else:
        app.err.print("Ownership is recorded as built for this library.")


# -- sync-tags ---------------------------------------------------------------------------------


@admin_app.command("sync-tags", help=HELP_SYNC_TAGS)
def sync_tags(
    ctx: typer.Context,
    *,
    dry_run: DryRunOpt = None,
    yes: YesOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
    sample: SampleOpt = 10,
) -> None:
    from plexrate.admin import plan_sync_tags, removal_refusal
    from plexrate.errors import StateError

    app = get_app(ctx)

    def make_plan(session: Session) -> Plan:
        owned = session.owned()
        plan = plan_sync_tags(
            session.snapshot, owned=owned, config=session.settings.engine_config()
        )
        refusal = removal_refusal(
            plan,
            owned_count=len(owned),
            ownership_built=session.store.ownership_built() or bool(session.extra_owned),
        )
        if refusal is not None and not force:
            raise StateError(refusal.message, hint=refusal.hint)
        return plan

    flags = WriteFlags(
        config=config,
        library=library,
        dry_run=dry_run,
        yes=yes,
        force=force,
        json_output=json_output,
        quiet=quiet,
        sample=sample,
    )
    plan_and_apply(
        app,
        flags,
        command="admin sync-tags",
        make_plan=make_plan,
        guard_tags=False,
        whole_because=TAG_AUDIT_READ,
    )


# -- state export / import ---------------------------------------------------------------------


@state_app.command("export", help=HELP_EXPORT)
def state_export(
    ctx: typer.Context,
    *,
    path: Annotated[
        Path | None,
        typer.Argument(
            show_default=False,
            help="Where to write (default: plex_state.json beside the config file).",
        ),
    ] = None,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    from plexrate.errors import PlexrateError
    from plexrate.state import LEGACY_FILENAME, export_legacy

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library})
    loaded = app.loaded
    base = loaded.config_path.parent if loaded and loaded.config_path else Path.cwd()
    target = (expand_user(path) if path is not None else base / LEGACY_FILENAME).absolute()
    if target.exists() and not force:
        raise PlexrateError(f"{target} already exists", hint="pass --force to replace it")
    store, lib = _offline_store(settings, required=True)
    with store:
        count = export_legacy(store, target)
    if json_output:
        _dump(app, {"path": str(target), "items": count, "library": lib, "format": "stamped"})
    elif not quiet:
        app.err.print(
            f"Wrote {count:,} inferred ratings of {escape(repr(lib['title']))} to "
            f"{escape(str(target))} (the old tool's format)."
        )
        if count == 0:
            app.err.print("[yellow]Warning:[/] plexrate owns nothing in this library.")


@state_app.command("import", help=HELP_IMPORT)
def state_import(
    ctx: typer.Context,
    *,
    path: Annotated[
        Path,
        typer.Argument(show_default=False, help="The plex_state.json to read (any format)."),
    ],
    dry_run: DryRunOpt = None,
    yes: YesOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.progress import progress_for
    from plexrate.errors import StateError
    from plexrate.migration import summarise_migration
    from plexrate.session import open_session
    from plexrate.state import UuidCheck, check_library_uuid, load_legacy

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library, "dry_run": dry_run})
    source = expand_user(path).absolute()
    legacy = load_legacy(source)
    dry = settings.dry_run
    dialog = CliDialog(app.err, interactive=app.interactive, yes=yes, force=force, quiet=quiet)
    with (
        progress_for(app.err, quiet=quiet, json_output=json_output) as progress,
        open_session(
            settings,
            write=not dry,
            command="admin state import",
            dialog=dialog,
            progress=progress,
            force=force,
            guard_tags=False,
            migrate_legacy=False,
        ) as session,
    ):
        snapshot = session.snapshot
        check = check_library_uuid(legacy.library_uuid, snapshot.library_uuid)
        if check is UuidCheck.MISMATCH:
            message = (
                f"{source} was written for another library (uuid {legacy.library_uuid}), not "
                f"{snapshot.section_title!r} (uuid {snapshot.library_uuid}). Importing it would "
                "mark that library's ratings as plexrate's here, and undo would clear them. "
                "Import anyway?"
            )
            if not (force or dialog.confirm(message, risky=True)):
                raise StateError(
                    f"{source} belongs to another library",
                    hint="import this library's own file, or pass --force",
                )
        elif check is UuidCheck.UNSTAMPED:
            dialog.info(
                f"{source} records no library; importing it as {snapshot.section_title!r}'s"
            )
        summary = summarise_migration(
            legacy,
            snapshot,
            inferred_tag=settings.inferred_tag,
            filler=settings.engine_config().filler,
            uuid_check=check,
            owned=session.owned().keys(),
        )
        migration = summary.migration
        backup: str | None = None
        imported = len(migration.owned)
        already = len(migration.already_owned)
        if not dry:
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
            "dry_run": dry,
            "library": _library_dict(session),
            "path": str(source),
            "format": legacy.format.value,
            "uuid_check": check.value,
            "entries": len(legacy.entries),
            "imported": imported,
            "skipped": skipped,
            "backup": backup,
            "migration": summary.document(),
        }
    if json_output:
        _dump(app, document)
    elif not quiet:
        for line in summary.lines(dry=dry):
            app.err.print(escape(line))
        if backup:
            app.err.print(f"Backup of the file: {escape(backup)}")
        if dry:
            app.err.print("Dry run: nothing was written; --apply imports.")
