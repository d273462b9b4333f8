"""``plexrate run`` and the single-phase commands (the old menu's options 0 to 5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

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
from plexrate.errors import ExitCode, PlexrateError
from plexrate.model import INFERENCE_PHASES, Phase

StartLetterOpt = Annotated[
    str | None,
    typer.Option(
        "--start-letter",
        metavar="X",
        show_default=False,
        help="Skip the first phase's artists whose sort title comes before letter X "
        "(resume an interrupted run; 'The Beatles' sorts under B).",
    ),
]
SampleOpt = Annotated[
    int,
    typer.Option(
        "--sample", min=0, metavar="N", help="Dry run: show up to N example changes per phase."
    ),
]


def _start_letter(value: str | None) -> str | None:
    from plexrate.engine.text import normalise_start_letter

    if value is None or value == "":
        return None
    try:
        normalise_start_letter(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--start-letter") from None
    return value


def run_phases(
    app: AppContext,
    *,
    command: str,
    phases: tuple[Phase, ...],
    config: Path | None,
    library: str | None,
    dry_run: bool | None,
    start_letter: str | None,
    yes: bool,
    force: bool,
    json_output: bool,
    quiet: bool,
    sample: int,
) -> None:
    """Plan the phases against the live library and print the plan, or write it."""
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.interrupt import StopRequest, stop_on_signals
    from plexrate.cli.progress import progress_for
    from plexrate.cli.render import (
        outcome_dict,
        plan_json,
        print_json,
        print_plan,
        summary_lines,
    )
    from plexrate.engine.plan import build_plan
    from plexrate.state import RunStatus
    from plexrate.workflow import execute, open_session

    settings = app.load_settings(config, {"library_name": library, "dry_run": dry_run})
    dry = settings.dry_run
    dialog = CliDialog(app.err, interactive=app.interactive, yes=yes, force=force, quiet=quiet)
    with (
        progress_for(app.err, quiet=quiet, json_output=json_output) as progress,
        open_session(
            settings,
            write=not dry,
            command=command,
            dialog=dialog,
            progress=progress,
            force=force,
        ) as session,
    ):
        plan = build_plan(
            session.snapshot,
            owned=session.owned(),
            config=settings.engine_config(),
            phases=phases,
            start_letter=start_letter,
        )
        library_info = {
            "title": session.snapshot.section_title,
            "uuid": session.snapshot.library_uuid,
        }
        if dry:
            if json_output:
                print_json(
                    app.out, plan_json(plan, extra={"command": command, "library": library_info})
                )
            else:
                print_plan(app.out, app.err, plan, per_phase=sample)
            return
        stop = StopRequest(
            app.err,
            interactive=app.interactive and not yes,
            suspend=getattr(progress, "suspended", None),
        )
        with stop_on_signals(stop):
            outcome = execute(
                session,
                plan,
                command=command,
                args={"phases": [p.value for p in phases], "start_letter": start_letter},
                progress=progress,
                checkpoint=stop.checkpoint,
                marks_ownership_built=phases == INFERENCE_PHASES and not start_letter,
            )
        requests = session.client.counts.as_dict()
    if json_output:
        document = outcome_dict(outcome, requests=requests, plan=plan)
        document.update(command=command, library=library_info)
        print_json(app.out, json.dumps(document, ensure_ascii=False))
    elif not quiet:
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


PHASE_COMMANDS: dict[str, tuple[tuple[Phase, ...], str]] = {
    "run": (
        INFERENCE_PHASES,
        "The whole cycle: up-albums, up-artists, down-albums, down-tracks, twins (old option 0).",
    ),
    "up-albums": (
        (Phase.ALBUM_UP,),
        "Rate albums from the tracks you rated: a Bayesian average toward the prior (option 1).",
    ),
    "up-artists": (
        (Phase.ARTIST_UP,),
        "Rate artists from their albums' ratings (option 2).",
    ),
    "down-albums": (
        (Phase.ALBUM_DOWN,),
        "Give albums with no rated tracks their artist's rating, pulled toward the prior by "
        "gravity (option 3).",
    ),
    "down-tracks": (
        (Phase.TRACK_DOWN,),
        "Give unrated tracks their album's rating, pulled toward the prior by gravity (option 4).",
    ),
    "twins": (
        (Phase.TWINS,),
        "Give every copy of one recording the same rating: the mean of the copies you rated, "
        "else of the inferred ones (option 5).",
    ),
}


def _make_command(name: str, phases: tuple[Phase, ...], summary: str) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        *,
        dry_run: DryRunOpt = None,
        start_letter: StartLetterOpt = None,
        yes: YesOpt = False,
        force: ForceOpt = False,
        json_output: JsonOpt = False,
        quiet: QuietOpt = False,
        library: LibraryOpt = None,
        config: ConfigOpt = None,
        sample: SampleOpt = 10,
    ) -> None:
        run_phases(
            get_app(ctx),
            command=name,
            phases=phases,
            config=config,
            library=library,
            dry_run=dry_run,
            start_letter=_start_letter(start_letter),
            yes=yes,
            force=force,
            json_output=json_output,
            quiet=quiet,
            sample=sample,
        )

    command.__name__ = name.replace("-", "_")
    command.__doc__ = (
        f"{summary}\n\n"
        "Without --apply (and with DRY_RUN true, the default) nothing is written: the plan is "
        "printed instead. Ratings you set are never changed.\n\n"
        f"Example: plexrate {name} --dry-run, then plexrate {name} --apply"
    )
    return command


def register(app: typer.Typer) -> None:
    for name, (phases, summary) in PHASE_COMMANDS.items():
        app.command(name)(_make_command(name, phases, summary))
