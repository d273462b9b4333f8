"""``plexrate report coverage|histogram|twins|dissenters``: read-only views of one snapshot.

Each command opens a read-only session (no lock, nothing written to Plex or the state file),
classifies the snapshot once with the engine, computes its report and prints it as a table or a
tree, as JSON (``--json``), or writes it to a file (``--output``). See ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from plexrate.cli.context import AppContext, get_app
from plexrate.cli.options import (
    ConfigOpt,
    ForceOpt,
    JsonOpt,
    LibraryOpt,
    QuietOpt,
    refuse_overwrite,
)
from plexrate.fileio import expand_user
from plexrate.model import ItemType

if TYPE_CHECKING:
    from plexrate.engine import Inference
    from plexrate.reports import Report

report_app = typer.Typer(
    name="report",
    help="Reports on the ratings in the library: coverage, histogram, twins, dissenters. "
    "They only read: nothing is written to Plex or to the state file.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        show_default=False,
        help="Write the report to FILE instead of stdout, atomically: CSV if FILE ends in .csv, "
        "JSON if .json, a web page if .html, a picture if .svg, plain text otherwise. An "
        "existing FILE is replaced only with --force.",
    ),
]


def run_report(
    app: AppContext,
    *,
    command: str,
    make: Callable[[Inference], Report],
    config: Path | None,
    library: str | None,
    quiet: bool,
    json_output: bool,
    output: Path | None,
    force: bool,
) -> None:
    """Read the library once, compute one report, and print it or write it to ``output``."""
    import json

    from plexrate.cli.plan_output import print_json
    from plexrate.cli.write_flow import read_session
    from plexrate.errors import UsageError
    from plexrate.reports import document
    from plexrate.reports.usecases import build_report, write_report_file

    if output is not None:
        output = expand_user(output)
        if output.is_dir():
            raise UsageError(f"{output} is a folder", hint="give a file name to --output")
        # Checked before the library is read: at 300,000 tracks that takes a while.
        refuse_overwrite(output, force=force)
    with read_session(
        app,
        command=f"report {command}",
        config=config,
        library=library,
        quiet=quiet,
        json_output=json_output,
    ) as session:
        snapshot = session.snapshot
        report = build_report(session, make)
    if output is not None:
        kind = write_report_file(output, report, snapshot=snapshot)
        if not quiet:
            app.err.print(f"Wrote the {command} report ({kind.value}) to {output}", markup=False)
        return
    if json_output:
        print_json(app.out, json.dumps(document(report, snapshot=snapshot), ensure_ascii=False))
        return
    from plexrate.reports.views import view

    rendered = view(report, width=app.out.width)
    if _wants_pager(app):
        lines = app.out.render_lines(rendered, app.out.options, pad=False)
        if len(lines) > app.out.height:
            # Longer than the screen (twins: hundreds of lines): page it, as git and man do,
            # with git's default for less (colours kept, no paging of a short text).
            import os

            os.environ.setdefault("LESS", "FRX")
            with app.out.pager(styles=True):
                app.out.print(rendered)
            return
    app.out.print(rendered)


def _wants_pager(app: AppContext) -> bool:
    """A pager only for a person at a terminal who did not turn it off (PLEXRATE_NO_PAGER,
    or PAGER=cat as for git)."""
    import os
    import sys

    if os.environ.get("PLEXRATE_NO_PAGER") or os.environ.get("CI"):
        return False
    return app.out.is_terminal and sys.stdin.isatty()


COVERAGE_HELP = (
    "How many artists, albums and tracks are rated by hand, inferred by plexrate, unrated, and "
    "linked as twins, with percentages and bars.\n\n"
    "Counts are exact: each item is classified the way a run would classify it (an owned rating "
    "you changed since plexrate wrote it counts as manual).\n\n"
    "Example: plexrate report coverage --json"
)


@report_app.command("coverage", help=COVERAGE_HELP)
def coverage_command(
    ctx: typer.Context,
    *,
    json_output: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Coverage per item type and in total."""
    from plexrate.reports import coverage

    run_report(
        get_app(ctx),
        command="coverage",
        make=coverage,
        config=config,
        library=library,
        quiet=quiet,
        json_output=json_output,
        output=output,
        force=force,
    )


TypeOpt = Annotated[
    ItemType,
    typer.Option(
        "--type",
        "-t",
        case_sensitive=False,
        help="Which ratings to count: tracks, albums or artists.",
    ),
]


HISTOGRAM_HELP = (
    "Ratings in half-star buckets from 0.5 to 5 stars, manual and inferred stacked in two "
    "colours, with counts and percentages.\n\n"
    "A rating of v stars goes to the bucket ⌈2v⌉/2: the 3.5-star bucket holds everything above "
    "3 stars up to and including 3.5.\n\n"
    "Example: plexrate report histogram --type album"
)


@report_app.command("histogram", help=HISTOGRAM_HELP)
def histogram_command(
    ctx: typer.Context,
    *,
    item_type: TypeOpt = ItemType.TRACK,
    json_output: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The ratings of one item type in half-star buckets."""
    from plexrate.reports import histogram

    def make(inference: Inference) -> Report:
        return histogram(inference, item_type=item_type)

    run_report(
        get_app(ctx),
        command="histogram",
        make=make,
        config=config,
        library=library,
        quiet=quiet,
        json_output=json_output,
        output=output,
        force=force,
    )


TWINS_HELP = (
    "Every twin group (copies of one recording) as a tree: artist and title, the rating the "
    "group shares and why, and each copy's album, duration and status.\n\n"
    "Groups are formed exactly as the twins phase forms them with the current TWIN_LOGIC "
    "settings; tracks left out for a missing or distant duration are shown as dropped.\n\n"
    "Example: plexrate report twins --output twins.txt"
)


@report_app.command("twins", help=TWINS_HELP)
def twins_command(
    ctx: typer.Context,
    *,
    json_output: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The twin groups as a tree."""
    from plexrate.reports import twins_inventory

    run_report(
        get_app(ctx),
        command="twins",
        make=twins_inventory,
        config=config,
        library=library,
        quiet=quiet,
        json_output=json_output,
        output=output,
        force=force,
    )


LimitOpt = Annotated[
    int,
    typer.Option("--limit", "-n", min=0, metavar="N", help="Show the top N tracks (0 = all)."),
]
MinDeviationOpt = Annotated[
    float,
    typer.Option(
        "--min-deviation",
        min=0.0,
        max=5.0,
        metavar="STARS",
        help="Only tracks at least this many stars away from their album's rating.",
    ),
]


DISSENTERS_HELP = (
    "The tracks whose rating differs most from their album's rating, with the signed deviation "
    "in stars (positive: the track is rated above its album).\n\n"
    "Only tracks with a rating on an album with a rating are compared; ties keep library "
    "order.\n\n"
    "Example: plexrate report dissenters --limit 20 --min-deviation 1"
)


@report_app.command("dissenters", help=DISSENTERS_HELP)
def dissenters_command(
    ctx: typer.Context,
    *,
    limit: LimitOpt = 50,
    min_deviation: MinDeviationOpt = 0.0,
    json_output: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The tracks furthest from their album's rating."""
    from plexrate.reports import dissenters

    def make(inference: Inference) -> Report:
        return dissenters(inference, limit=limit, min_deviation=min_deviation)

    run_report(
        get_app(ctx),
        command="dissenters",
        make=make,
        config=config,
        library=library,
        quiet=quiet,
        json_output=json_output,
        output=output,
        force=force,
    )
