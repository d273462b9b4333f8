"""``plexrate run`` and the single-phase commands (the old menu's options 0 to 5)."""

from __future__ import annotations

from collections.abc import Callable
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
from plexrate.cli.write_flow import WriteFlags, plan_and_apply
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
    flags: WriteFlags,
    *,
    command: str,
    phases: tuple[Phase, ...],
    start_letter: str | None,
) -> None:
    """Plan the phases against the live library and print the plan, or write it."""
    from plexrate.phases.usecases import PhaseOptions, plan_phases

    options = PhaseOptions(command=command, phases=phases, start_letter=start_letter)
    plan_and_apply(
        app,
        flags,
        command=command,
        make_plan=lambda session: plan_phases(session, options),
        args={"phases": [p.value for p in phases], "start_letter": start_letter},
        # Only a complete full run proves the ownership record covers the whole library.
        marks_ownership_built=options.whole,
    )


PHASE_COMMANDS: dict[str, tuple[tuple[Phase, ...], str]] = {
    "run": (
        INFERENCE_PHASES,
        "The whole cycle: up-albums, up-artists, down-albums, down-tracks, twins (old option 0).",
    ),
    "up-albums": (
        (Phase.ALBUM_UP,),
        "Rate albums from the tracks you rated, held toward your usual rating where they are few "
        "(option 1).",
    ),
    "up-artists": (
        (Phase.ARTIST_UP,),
        "Rate artists from their albums' ratings (option 2).",
    ),
    "down-albums": (
        (Phase.ALBUM_DOWN,),
        "Give albums with no rated tracks a rating from their artist and the rest of your "
        "library (option 3).",
    ),
    "down-tracks": (
        (Phase.TRACK_DOWN,),
        "Give unrated tracks a rating from their album and, where Plex has them, their plays and "
        "skips (option 4).",
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
        run_phases(
            get_app(ctx),
            flags,
            command=name,
            phases=phases,
            start_letter=_start_letter(start_letter),
        )

    command.__name__ = name.replace("-", "_")
    reads = (
        "After the first run, it reads only what changed in Plex since the last one (a copy of "
        "the library is kept beside the state), and the whole library when it cannot be sure or "
        "WHOLE_READ_HOURS have passed; the summary says which (docs/run.md).\n\n"
    )
    command.__doc__ = (
        f"{summary}\n\n"
        "Without --apply (and with DRY_RUN true, the default) nothing is written: the plan is "
        "printed instead. Ratings you set are never changed.\n\n"
        f"{reads}"
        f"Example: plexrate {name} --dry-run, then plexrate {name} --apply"
    )
    return command


def register(app: typer.Typer) -> None:
    for name, (phases, summary) in PHASE_COMMANDS.items():
        app.command(name)(_make_command(name, phases, summary))
