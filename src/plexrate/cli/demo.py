"""``plexrate demo``: the whole job, for real, against a built-in emulated Plex server.

The demo starts the emulator in this process with a generated library, writes a config for it in
a temporary folder, and runs the same commands a person would type (through the root command
group, like ``plexrate menu``): coverage and histogram, a dry run, the full run, the reports
again, a rerun that has nothing to do, and an undo. It never reads or writes the person's own
config, state or environment: ``PLEXRATE_*`` variables are set aside while it runs, so a demo can
never reach a real server.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.rule import Rule

from plexrate.cli.context import AppContext, get_app
from plexrate.errors import PlexrateError

DEMO_HELP = (
    "Run the whole job against a built-in emulated Plex server: no configuration, no Plex.\n\n"
    "Generates a music library (a few thousand tracks, about a quarter of them rated by hand), "
    "shows its coverage and rating histogram, previews the plan, runs the full cycle for real, "
    "shows the reports again, reruns (nothing left to do), and undoes everything. Your own config, "
    "state file and PLEXRATE_* settings are not touched.\n\n"
    "Example: plexrate demo --tracks 5000"
)


@contextmanager
def _isolated_environment() -> Iterator[None]:
    """Hide the person's PLEXRATE_* settings so the demo cannot reach their server."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("PLEXRATE_")}
    for key in saved:
        del os.environ[key]
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("PLEXRATE_")]:
            del os.environ[key]
        os.environ.update(saved)


def _step(app: AppContext, title: str, args: list[str]) -> None:
    from plexrate.cli.menu import invoke

    app.err.print(Rule(f"[bold]{title}[/]", style="cyan"))
    app.err.print(f"[dim]$ plexrate {' '.join(args[:-2])}[/]")
    code = invoke(args, debug=app.debug)
    if code != 0:
        raise PlexrateError(f"demo step `plexrate {' '.join(args[:-2])}` failed with exit {code}")


def demo(
    ctx: typer.Context,
    tracks: Annotated[
        int,
        typer.Option("--tracks", min=100, max=100_000, help="Size of the generated library."),
    ] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated library.")] = 1,
) -> None:
    """The demo (help text: ``DEMO_HELP``)."""
    from plexrate.emulator import Emulator, generate_library

    app = get_app(ctx)
    app.err.print(
        Panel.fit(
            f"plexrate demo: an emulated Plex server with a generated library of {tracks:,} "
            f"tracks (seed {seed}).\nEverything below is the real plexrate talking HTTP to it.",
            border_style="cyan",
        )
    )
    library = generate_library(tracks=tracks, seed=seed)
    with (
        _isolated_environment(),
        tempfile.TemporaryDirectory(prefix="plexrate-demo-") as folder,
        Emulator(library, token="plexrate-demo-token") as emulator,
    ):
        config = Path(folder) / "config.json"
        config.write_text(
            json.dumps(
                {
                    "PLEX_URL": emulator.url,
                    "PLEX_TOKEN": emulator.token,
                    "LIBRARY_NAME": emulator.section_title,
                    "DRY_RUN": True,
                    # An emulator needs no pauses to settle; a real server keeps the default.
                    "COOLDOWN_SLEEP": 0,
                }
            ),
            encoding="utf-8",
        )
        common = ["--config", str(config)]
        _step(app, "Before: how much of the library is rated", ["report", "coverage", *common])
        _step(app, "Before: the rating histogram", ["report", "histogram", *common])
        _step(app, "Preview (a dry run writes nothing)", ["run", "--sample", "3", *common])
        _step(app, "The full cycle, for real", ["run", "--apply", "--yes", *common])
        _step(app, "After: coverage", ["report", "coverage", *common])
        _step(app, "After: the rating histogram", ["report", "histogram", *common])
        _step(app, "Run again: nothing left to do", ["run", "--apply", "--yes", *common])
        _step(app, "Undo everything plexrate wrote", ["admin", "undo", "--apply", "--yes", *common])
        _step(app, "After the undo: back where we started", ["report", "coverage", *common])
    app.err.print(Rule("[bold]Next: your own server[/]", style="green"))
    app.err.print(
        "1. plexrate config init        (asks for your Plex URL, token and music library)\n"
        "2. plexrate config check       (connects and counts your library)\n"
        "3. plexrate run                (a dry run: see what would change)\n"
        "4. plexrate run --apply        (write it; plexrate admin undo takes it all back)\n"
        "Coming from the old tool? Its config.json and plex_state.json are read as they are: "
        "see the README."
    )
