"""``plexrate admin undo``: take back what plexrate wrote, all of it or one run."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from plexrate.cli.context import get_app
from plexrate.cli.options import (
    ConfigOpt,
    DryRunOpt,
    ForceOpt,
    JsonOpt,
    LibraryOpt,
    QuietOpt,
    SampleOpt,
    YesOpt,
)
from plexrate.cli.write_flow import WriteFlags, plan_and_apply

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
