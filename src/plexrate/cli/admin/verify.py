"""``plexrate admin verify``: the ownership record against Plex, read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

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
from plexrate.wording import count, stars

if TYPE_CHECKING:
    from plexrate.admin import VerifyReport

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


def _verify_tables(app: AppContext, report: VerifyReport) -> None:
    if report.overrides:
        table = Table(title="Overrides: owned, but changed in Plex since plexrate wrote them")
        for name in ("Key", "Type", "Item", "Expected", "Found"):
            table.add_column(
                name, justify="right" if name in ("Key", "Expected", "Found") else "left"
            )
        for o in report.overrides:
            table.add_row(
                str(o.key),
                o.item_type.value,
                escape(o.title),
                stars(o.expected),
                stars(o.found),
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
                stars(orphan.value),
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
    from plexrate.cli.write_flow import read_session

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
            dump(app, verified.document)
        else:
            _verify_tables(app, report)
            if not quiet:
                for line in _verify_summary(report):
                    app.err.print(escape(line))
                if left:
                    app.err.print(
                        escape(
                            f"The last run (run {left[0].run_id}) left {count(len(left), 'item')}"
                            " to you: changed in Plex during "
                            f"the run, not written (first: {left[0].title}: {left[0].note}); "
                            "--json lists them all."
                        )
                    )
    if not report.consistent:
        # Not an error: the report is the answer, and cron reads the exit code.
        raise typer.Exit(1)
