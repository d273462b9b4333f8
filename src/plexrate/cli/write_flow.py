"""The flow every command that writes to Plex shares: plan, then print it or write it.

``run`` and the phase commands, ``admin undo``, ``admin sync-tags`` and ``bulk import`` differ only
in how they make their plan. This module does the rest identically for all of them: settings,
session (read-only for a dry run), the dry-run table or JSON, the journaled run with progress and
the Ctrl-C pause, the summary, and the exit codes (0 done, 1 some writes refused, 130 stopped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import typer
from rich.markup import escape

from plexrate.cli.context import AppContext
from plexrate.errors import ExitCode, PlexrateError
from plexrate.model import Plan
from plexrate.usecase import PlanResult, library_of

if TYPE_CHECKING:
    # The session pulls in plexapi, requests and SQLite: only a command that runs needs them.
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.interrupt import StopRequest
    from plexrate.incremental import ReadInfo
    from plexrate.progress import Progress
    from plexrate.session import RetryEvent, RetryHook, RunOutcome, Session, StagedPlan
    from plexrate.settings import Settings

R = TypeVar("R", bound=PlanResult)


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


@dataclass
class Applied(Generic[R]):
    """What ``plan_and_apply`` did: the use case's result, and the outcome of the run that wrote
    it (None for a dry run)."""

    result: R
    outcome: RunOutcome | None


def plan_and_apply(
    app: AppContext,
    flags: WriteFlags,
    *,
    command: str,
    make_plan: Callable[[Session], R],
    args: Mapping[str, Any] | None = None,
    guard_tags: bool = True,
    whole_because: str | None = None,
    marks_ownership_built: bool = False,
    overrides: Mapping[str, Any] | None = None,
    on_plan: Callable[[R], None] | None = None,
) -> Applied[R]:
    """Make the plan against the live library (``make_plan``, a use case); print it (dry run) or
    write it as one run.

    ``overrides`` are further settings given by the command's own flags. The result's
    ``document`` adds keys of the command's own to the ``--json`` document; ``on_plan`` tells
    people about the result once it is made, before the plan is printed or written.
    ``whole_because`` reads the library whole, for that reason (``session.open_session``).
    A stopped run exits 130.
    """
    from plexrate.cli.interrupt import StopRequest, ctrl_c_asks, sigterm_interrupts
    from plexrate.cli.plan_output import (
        outcome_dict,
        plan_json,
        print_json,
        print_plan,
        summary_lines,
    )
    from plexrate.cli.progress import progress_for
    from plexrate.session import RunStatus

    settings = app.load_settings(
        flags.config,
        {"library_name": flags.library, "dry_run": flags.dry_run, **(overrides or {})},
    )
    with (
        sigterm_interrupts(),
        progress_for(app.err, quiet=flags.quiet, json_output=flags.json_output) as progress,
        ctrl_c_asks(
            StopRequest(
                app.err,
                interactive=app.interactive and not flags.yes,
                suspend=getattr(progress, "suspended", None),
            )
        ) as stop,
    ):
        done = plan_in_session(
            app,
            settings,
            flags,
            command=command,
            make_plan=make_plan,
            stop=stop,
            progress=progress,
            args=args,
            guard_tags=guard_tags,
            whole_because=whole_because,
            marks_ownership_built=marks_ownership_built,
            on_plan=on_plan,
        )
        plan, extra, library = done.plan, done.extra, done.library
        if done.outcome is None:
            if flags.json_output:
                extra.update(command=command, library=library)
                print_json(app.out, plan_json(plan, extra=extra))
            else:
                print_plan(app.out, app.err, plan, per_phase=flags.sample)
            return Applied(done.result, None)
        outcome, requests, read = done.outcome, done.requests, done.read
    if flags.json_output:
        document = outcome_dict(outcome, requests=requests, plan=plan)
        document.update(extra)
        document.update(command=command, library=library)
        print_json(app.out, json.dumps(document, ensure_ascii=False))
    elif not flags.quiet:
        for line in summary_lines(outcome, plan, requests=requests, read=read):
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
    return Applied(done.result, outcome)


@dataclass
class Planned(Generic[R]):
    """What ``plan_in_session`` made and did: the plan, and the run's outcome unless it was a
    dry run (``outcome`` None)."""

    plan: Plan
    outcome: RunOutcome | None
    requests: dict[str, Any]
    """The session's requests to Plex (reads, writes, retries, by kind)."""
    read: ReadInfo | None
    extra: dict[str, Any]
    """The command's own keys for ``--json`` (``details``, the migration, the read report)."""
    library: dict[str, str]
    result: R
    """What the use case returned (``plan`` is its plan)."""


def plan_in_session(
    app: AppContext,
    settings: Settings,
    flags: WriteFlags,
    *,
    command: str,
    make_plan: Callable[[Session], R] | Callable[[Session], Plan | StagedPlan],
    stop: StopRequest,
    progress: Progress,
    args: Mapping[str, Any] | None = None,
    guard_tags: bool = True,
    whole_because: str | None = None,
    upper_hint: Collection[int] | None = None,
    marks_ownership_built: bool = False,
    on_plan: Callable[[R], None] | None = None,
) -> Planned[Any]:
    """Open a session, make the plan and, unless ``settings`` say dry run, write it as one run.

    The part of ``plan_and_apply`` that ``watch`` repeats every cycle; printing is the caller's.
    ``make_plan`` is a use case (a ``PlanResult``) or returns a bare ``Plan``, or a
    ``StagedPlan`` whose first part is written before the rest is made (the result then holds
    the whole plan, and ``on_plan`` sees it only once the run is written). ``stop`` routes
    Ctrl-C and SIGTERM while the plan is written (``stop_on_signals``).
    """
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.interrupt import stop_on_signals
    from plexrate.session import StagedPlan, execute, old_cooldown_once, open_session

    dry = settings.dry_run
    dialog = CliDialog(
        app.err, interactive=app.interactive, yes=flags.yes, force=flags.force, quiet=flags.quiet
    )
    with open_session(
        settings,
        write=not dry,
        command=command,
        dialog=dialog,
        progress=progress,
        force=flags.force,
        guard_tags=guard_tags,
        sleep=stop.retry_wait,
        on_retry=retry_notice(app, quiet=flags.quiet),
        whole_because=whole_because,
        upper_hint=upper_hint,
    ) as session:
        made = make_plan(session)
        staged = made if isinstance(made, StagedPlan) else None
        if staged is not None and dry:
            made, staged = staged.whole(), None
        from_file = app.loaded is not None and app.loaded.sources.get("cooldown_batch") == "file"

        def planned(made: Any) -> Any:
            result: Any = made if isinstance(made, PlanResult) else PlanResult(plan=made)
            if on_plan is not None:
                on_plan(result)
            old_pauses = old_cooldown_once(session, result.plan, from_file=from_file)
            if old_pauses is not None and not flags.quiet:
                app.err.print(escape(old_cooldown_notice(app, old_pauses)), soft_wrap=True)
            return result

        result: Any = None if staged is not None else planned(made)
        library = library_of(session.snapshot)
        outcome: RunOutcome | None = None
        if not dry:
            with stop_on_signals(stop):
                outcome = execute(
                    session,
                    staged if staged is not None else result.plan,
                    command=command,
                    args=args,
                    progress=progress,
                    checkpoint=stop.checkpoint,
                    marks_ownership_built=marks_ownership_built,
                    sleep=stop.pause,
                )
        if staged is not None:
            # A run stopped during its first part never made the rest: nothing more to show.
            result = planned(staged.whole() if staged.made else staged.first)
        extra = dict(result.document)
        if session.migration is not None:
            extra["migration"] = session.migration.document()
        if session.read is not None:
            extra["read"] = session.read.as_dict()
        requests = session.client.counts.as_dict()
        return Planned(result.plan, outcome, requests, session.read, extra, library, result)


def old_cooldown_notice(app: AppContext, cost: tuple[int, float]) -> str:
    pauses, seconds = cost
    where = app.loaded.config_path if app.loaded is not None else None
    return (
        f"Note: COOLDOWN_BATCH 25 and COOLDOWN_SLEEP 5 in {where or 'the config'} are the old "
        "tool's values, tuned for one item per write request; plexrate sends many items per "
        f"request. On this plan they pause about {pauses:,} times ({seconds:,.0f}s); remove "
        "both keys and plexrate paces itself by how fast Plex answers."
    )


def retry_notice(app: AppContext, *, quiet: bool) -> RetryHook:
    """Say what plexrate waits for when Plex is slow, instead of a blank screen (issue 19)."""

    def notice(event: RetryEvent) -> None:
        if quiet:
            return
        app.err.print(
            # The request's kind (``count-track``, ``watch-probe-rated``) is for the log; the
            # person needs what happened and when the next try is.
            f"[yellow]Waiting for Plex[/], attempt {event.attempt + 1} of {event.attempts} in "
            f"{event.delay:g}s: {escape(event.reason)} (Ctrl-C to stop)"
        )

    return notice


@contextmanager
def state_session(
    app: AppContext,
    settings: Settings,
    *,
    command: str,
    yes: bool,
    force: bool,
    quiet: bool,
    json_output: bool,
    migrate_legacy: bool = True,
    whole_because: str | None = None,
) -> Iterator[tuple[Session, CliDialog]]:
    """A session for the commands that write the state file alone (``admin reconstruct``,
    ``admin state import``), read-only when the settings say dry run, with the dialog the use
    case asks through. Nothing is written to Plex, so there is no Ctrl-C pause to offer."""
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.progress import progress_for
    from plexrate.session import open_session

    dialog = CliDialog(app.err, interactive=app.interactive, yes=yes, force=force, quiet=quiet)
    with (
        progress_for(app.err, quiet=quiet, json_output=json_output) as progress,
        open_session(
            settings,
            write=not settings.dry_run,
            command=command,
            dialog=dialog,
            progress=progress,
            force=force,
            guard_tags=False,
            migrate_legacy=migrate_legacy,
            whole_because=whole_because,
        ) as session,
    ):
        yield session, dialog


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
    whole_because: str | None = None,
) -> Iterator[Session]:
    """A read-only session for commands that only look (reports, verify, export, evaluate).

    The StateStore is opened read-only (no lock, nothing written) and nothing is sent to Plex but
    the snapshot's listings. A command that shows progress of its own after the snapshot passes
    its ``progress`` (from ``progress_for``), since only one live display can run at a time.
    """
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.interrupt import StopRequest, ctrl_c_asks
    from plexrate.cli.progress import finish_live, progress_for
    from plexrate.session import open_session

    settings = app.load_settings(config, {"library_name": library})
    dialog = CliDialog(app.err, interactive=False, yes=True, force=False, quiet=quiet)
    with ExitStack() as stack:
        own_progress = progress is None
        if progress is None:
            progress = stack.enter_context(
                progress_for(app.err, quiet=quiet, json_output=json_output)
            )
        stop = stack.enter_context(
            ctrl_c_asks(
                StopRequest(
                    app.err,
                    interactive=app.interactive,
                    suspend=getattr(progress, "suspended", None),
                )
            )
        )
        session = stack.enter_context(
            open_session(
                settings,
                write=False,
                command=command,
                dialog=dialog,
                progress=progress,
                guard_tags=guard_tags,
                sleep=stop.retry_wait,
                on_retry=retry_notice(app, quiet=quiet or json_output),
                whole_because=whole_because,
            )
        )
        if own_progress:
            # The library is read: what follows is the command's answer, printed below the
            # finished bars rather than among them (issue 19: verify's verdict above its bars).
            finish_live()
        yield session
