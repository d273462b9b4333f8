"""``plexrate admin``: runs, verify, undo, reconstruct, sync-tags, and ``state export/import``.

The old tool's admin submenu (verify, cleanup/undo, reconstruct, synchronize tags), built on the
StateStore journal. The planning and checking is in ``plexrate.admin``; this module opens the
session, calls it, and prints or writes the result.
"""

from __future__ import annotations

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
    from plexrate.admin import Reconstruction, VerifyReport
    from plexrate.settings import Settings

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

# -- shared ------------------------------------------------------------------------------------


def _stars(value: float | None) -> str:
    from plexrate.model import stars

    return stars(value)


def _dump(app: AppContext, document: dict[str, Any]) -> None:
    from plexrate.cli.render import print_json

    print_json(app.out, json.dumps(document, ensure_ascii=False))


# -- runs --------------------------------------------------------------------------------------


def _prune(app: AppContext, settings: Settings, *, keep: int | None, quiet: bool) -> dict[str, Any]:
    """``admin runs --prune``: compact the journal now, and say what it did."""
    from plexrate.admin.usecases import prune_journal

    pruned = prune_journal(settings, keep=keep, tell=lambda note: app.err.print(escape(note)))
    report = pruned.report
    if report is None:
        return pruned.document
    before, after, keep_runs = pruned.bytes_before, pruned.bytes_after, pruned.keep_runs
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
    return pruned.document


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
    from plexrate.admin.usecases import list_runs
    from plexrate.errors import UsageError

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library})
    if keep is not None and not prune:
        raise UsageError("--keep goes with --prune", hint="plexrate admin runs --prune --keep 10")
    pruned: dict[str, Any] | None = None
    if prune:
        pruned = _prune(app, settings, keep=keep, quiet=quiet or json_output)
    listed = list_runs(settings)
    lib, rows = listed.library, listed.rows
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
    from plexrate.admin.usecases import TAG_AUDIT_READ, verify_library
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
        verified = verify_library(session, deep=deep)
        report, left = verified.report, verified.left
        if json_output:
            _dump(app, verified.document)
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
    from plexrate.admin.usecases import plan_undo_run

    app = get_app(ctx)
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
    done = plan_and_apply(
        app,
        flags,
        command=command,
        make_plan=lambda session: plan_undo_run(session, run=run),
        args={"run": run},
        # Undo takes plexrate's tags off; it must work when the record has lost track of some.
        guard_tags=False,
    )
    if done.outcome is not None and not json_output and not quiet:
        for note in done.result.notes:
            app.err.print(escape(note))
    if not json_output and not quiet and done.result.yours:
        from plexrate.wording import count

        # What undo never touches, said every time: the person's own ratings.
        app.err.print(
            f"Left alone: your own {count(done.result.yours, 'rating')} (plexrate never "
            "wrote them, so undo does not touch them)."
        )


# -- reconstruct -------------------------------------------------------------------------------


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
    from plexrate.admin.usecases import (
        TAG_AUDIT_READ,
        reconstruct_ownership,
        require_inferred_tag,
    )
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.progress import progress_for
    from plexrate.session import open_session

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library, "dry_run": dry_run})
    require_inferred_tag(settings)
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
        rebuilt = reconstruct_ownership(session)
        for warning in rebuilt.warnings:
            dialog.warn(warning)
        if json_output:
            _dump(app, rebuilt.document)
        elif not quiet:
            _reconstruct_summary(app, rebuilt.result, dry=dry)


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
    from plexrate.admin.usecases import TAG_AUDIT_READ, plan_tag_sync

    app = get_app(ctx)

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
        make_plan=lambda session: plan_tag_sync(session, force=force),
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
    from plexrate.admin.usecases import default_state_file, export_state
    from plexrate.errors import PlexrateError

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library})
    loaded = app.loaded
    base = loaded.config_path.parent if loaded and loaded.config_path else Path.cwd()
    target = (expand_user(path) if path is not None else default_state_file(base)).absolute()
    if target.exists() and not force:
        raise PlexrateError(f"{target} already exists", hint="pass --force to replace it")
    exported = export_state(settings, target)
    count, lib = exported.items, exported.library
    if json_output:
        _dump(app, exported.document)
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
    from plexrate.admin.usecases import import_state, read_state_file
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.progress import progress_for
    from plexrate.session import open_session

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library, "dry_run": dry_run})
    source = expand_user(path).absolute()
    legacy = read_state_file(source)
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
        imported = import_state(session, legacy, source=source, dialog=dialog, force=force)
    summary, backup = imported.summary, imported.backup
    if json_output:
        _dump(app, imported.document)
    elif not quiet:
        for line in summary.lines(dry=dry):
            app.err.print(escape(line))
        if backup:
            app.err.print(f"Backup of the file: {escape(backup)}")
        if dry:
            app.err.print("Dry run: nothing was written; --apply imports.")
