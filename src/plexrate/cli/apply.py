"""The flow every command that writes to Plex shares: plan, then print it or write it.

``run`` and the phase commands, ``admin undo``, ``admin sync-tags`` and ``bulk import`` differ only
in how they make their plan. This module does the rest identically for all of them: settings,
session (read-only for a dry run), the dry-run table or JSON, the journaled run with progress and
the Ctrl-C pause, the summary, and the exit codes (0 done, 1 some writes refused, 130 stopped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from plexrate.cli.context import AppContext
from plexrate.errors import ExitCode, PlexrateError
from plexrate.model import Plan

if TYPE_CHECKING:
    # The workflow pulls in plexapi, requests and SQLite: only a command that runs needs them.
    from plexrate.progress import Progress
    from plexrate.workflow import RunOutcome, Session


@dataclass(frozen=True)
class WriteFlags:
    """The flags of a command that writes (DESIGN.md: flags people expect everywhere)."""

    config: Path | None = None
    library: str | None = None
    dry_run: bool | None = None
    yes: bool = False
    force: bool = False
    json_output: bool = False
    quiet: bool = False
    sample: int = 10


def plan_and_apply(
    app: AppContext,
    flags: WriteFlags,
    *,
    command: str,
    make_plan: Callable[[Session], Plan],
    args: Mapping[str, Any] | None = None,
    guard_tags: bool = True,
    marks_ownership_built: bool = False,
    overrides: Mapping[str, Any] | None = None,
    details: Callable[[], Mapping[str, Any]] | None = None,
) -> RunOutcome | None:
    """Make the plan against the live library; print it (dry run) or write it as one run.

    ``overrides`` are further settings given by the command's own flags. ``details`` adds keys
    of the command's own to the ``--json`` document (called once the plan is made). Returns the
    outcome of a run that completed; a dry run returns None; a stopped run exits 130.
    """
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.interrupt import StopRequest, sigterm_interrupts, stop_on_signals
    from plexrate.cli.progress import progress_for
    from plexrate.cli.render import outcome_dict, plan_json, print_json, print_plan, summary_lines
    from plexrate.state import RunStatus
    from plexrate.workflow import execute, open_session

    settings = app.load_settings(
        flags.config,
        {"library_name": flags.library, "dry_run": flags.dry_run, **(overrides or {})},
    )
    dry = settings.dry_run
    dialog = CliDialog(
        app.err, interactive=app.interactive, yes=flags.yes, force=flags.force, quiet=flags.quiet
    )
    with (
        sigterm_interrupts(),
        progress_for(app.err, quiet=flags.quiet, json_output=flags.json_output) as progress,
        open_session(
            settings,
            write=not dry,
            command=command,
            dialog=dialog,
            progress=progress,
            force=flags.force,
            guard_tags=guard_tags,
        ) as session,
    ):
        plan = make_plan(session)
        library = {"title": session.snapshot.section_title, "uuid": session.snapshot.library_uuid}
        extra = dict(details()) if details is not None else {}
        if session.migration is not None:
            extra["migration"] = session.migration.document()
        if dry:
            if flags.json_output:
                extra.update(command=command, library=library)
                print_json(app.out, plan_json(plan, extra=extra))
            else:
                print_plan(app.out, app.err, plan, per_phase=flags.sample)
            return None
        stop = StopRequest(
            app.err,
            interactive=app.interactive and not flags.yes,
            suspend=getattr(progress, "suspended", None),
        )
        with stop_on_signals(stop):
            outcome = execute(
                session,
                plan,
                command=command,
                args=args,
                progress=progress,
                checkpoint=stop.checkpoint,
                marks_ownership_built=marks_ownership_built,
            )
        requests = session.client.counts.as_dict()
    if flags.json_output:
        document = outcome_dict(outcome, requests=requests, plan=plan)
        document.update(extra)
        document.update(command=command, library=library)
        print_json(app.out, json.dumps(document, ensure_ascii=False))
    elif not flags.quiet:
        for line in summary_lines(outcome, plan, requests=requests):
            app.err.print(line)
    if outcome.status is RunStatus.INTERRUPTED:
        app.err.print(
            f"Stopped. Everything written so far is recorded; run `plexrate {command} --apply` "
            "again to carry on (finished items are skipped)."
        )
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    if outcome.report.failed:
        raise PlexrateError(
            f"{outcome.report.failed:,} changes were refused by Plex",
            hint="see the summary above; rerun to retry them",
        )
    return outcome


@contextmanager
def read_session(
    app: AppContext,
    *,
    command: str,
    config: Path | None,
    library: str | None,
    quiet: bool,
    json_output: bool,
    guard_tags: bool = False,
    progress: Progress | None = None,
) -> Iterator[Session]:
    """A read-only session for commands that only look (reports, verify, export, evaluate).

    The StateStore is opened read-only (no lock, nothing written) and nothing is sent to Plex but
    the snapshot's listings. A command that shows progress of its own after the snapshot passes
    its ``progress`` (from ``progress_for``), since only one live display can run at a time.
    """
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.progress import progress_for
    from plexrate.workflow import open_session

    settings = app.load_settings(config, {"library_name": library})
    dialog = CliDialog(app.err, interactive=False, yes=True, force=False, quiet=quiet)
    with ExitStack() as stack:
        if progress is None:
            progress = stack.enter_context(
                progress_for(app.err, quiet=quiet, json_output=json_output)
            )
        session = stack.enter_context(
            open_session(
                settings,
                write=False,
                command=command,
                dialog=dialog,
                progress=progress,
                guard_tags=guard_tags,
            )
        )
        yield session
