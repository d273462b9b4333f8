"""Options every command reuses, so a flag means the same thing and reads the same everywhere.

Flags that override a setting default to None ("not given"), so the layers below them (environment,
config file, defaults) decide unless the person typed the flag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plexrate import fileio
from plexrate.settings import CONFIG_ENV

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar=CONFIG_ENV,
        metavar="PATH",
        show_default=False,
        help="The config file to read (default: ./config.json; it must exist when named).",
    ),
]
LibraryOpt = Annotated[
    str | None,
    typer.Option(
        "--library",
        metavar="NAME",
        show_default=False,
        help="The Plex music library to work on (overrides LIBRARY_NAME).",
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print machine-readable JSON on stdout instead of tables."),
]
QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress bars or summaries; errors still show."),
]
YesOpt = Annotated[
    bool,
    typer.Option("--yes", "-y", help="Never prompt: take answers from flags (for scripts, cron)."),
]
DryRunOpt = Annotated[
    bool | None,
    typer.Option(
        "--dry-run/--apply",
        show_default=False,
        help="Only show what would be written, or write it (default: the DRY_RUN setting).",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option("--force", help="Go ahead despite a safety check, such as an existing file."),
]
SampleOpt = Annotated[
    int,
    typer.Option("--sample", min=0, metavar="N", help="Dry run: show up to N example changes."),
]


# The one check before a command replaces a file the person has (fileio, so that writing a
# config file in settings/ refuses the same way, exit 2).
refuse_overwrite = fileio.refuse_overwrite
