"""``plexrate admin runs``: the runs that wrote to a library, and ``--prune``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from plexrate.cli.admin.common import dump
from plexrate.cli.context import AppContext, get_app
from plexrate.cli.options import (
    ConfigOpt,
    JsonOpt,
    LibraryOpt,
    QuietOpt,
)
from plexrate.wording import count

if TYPE_CHECKING:
    from plexrate.settings import Settings

HELP_RUNS = (
    "List the runs that wrote to this library: id, time, command, status, items changed.\n\n"
    "Read from the state file alone; Plex is asked only when the file does not name the "
    "library unambiguously. Use an id with `plexrate admin undo --run ID`.\n\n"
    "Example: plexrate admin runs --json"
)


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
                f"Compacted {count(len(report.runs), 'run')} "
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
        dump(app, document)
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
