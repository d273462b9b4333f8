"""``plexrate admin state export`` and ``import``: the old tool's plex_state.json format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from plexrate.cli.admin.common import dump
from plexrate.cli.context import get_app
from plexrate.cli.options import (
    ConfigOpt,
    DryRunOpt,
    ForceOpt,
    JsonOpt,
    LibraryOpt,
    QuietOpt,
    YesOpt,
    refuse_overwrite,
)
from plexrate.cli.write_flow import state_session
from plexrate.fileio import expand_user

HELP_EXPORT = (
    "Write the ratings plexrate owns in the old tool's plex_state.json format.\n\n"
    "The stamped format: the library's UUID and, per ratingKey, the value and the twin flag. "
    "Read from the state file alone (Plex is asked only when the file does not name the "
    "library unambiguously). "
    "An existing file is replaced only with --force.\n\n"
    "Example: plexrate admin state export backup/plex_state.json"
)

HELP_IMPORT = (
    "Take ownership of the ratings an old plex_state.json records (any of its formats: v1.4, "
    "v1.5, flat).\n\n"
    "A file stamped for another library gets a stern warning and a question; under --yes that "
    "is an error unless --force. The file is backed up beside the state file first. An entry "
    "becomes plexrate's only while Plex holds the value it records (at one decimal); your own "
    "ratings it records (twin anchors, v1.5's manual marks), values you changed since, keys the "
    "library no longer has, unrated items and items plexrate already owns are skipped and "
    "counted, with a summary of what an undo would then do.\n\n"
    "Example: plexrate admin state import old/plex_state.json --apply"
)


def state_export(
    ctx: typer.Context,
    *,
    path: Annotated[
        Path | None,
        typer.Argument(
            show_default=False,
            help="Where to write (default: plex_state.json beside the config file).",
        ),
    ] = None,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    from plexrate.admin.usecases import default_state_file, export_state

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library})
    loaded = app.loaded
    base = loaded.config_path.parent if loaded and loaded.config_path else Path.cwd()
    target = (expand_user(path) if path is not None else default_state_file(base)).absolute()
    refuse_overwrite(target, force=force)
    exported = export_state(settings, target)
    count, lib = exported.items, exported.library
    if json_output:
        dump(app, exported.document)
    elif not quiet:
        app.err.print(
            f"Wrote {count:,} inferred ratings of {escape(repr(lib['title']))} to "
            f"{escape(str(target))} (the old tool's format)."
        )
        if count == 0:
            app.warn("plexrate owns nothing in this library.")


def state_import(
    ctx: typer.Context,
    *,
    path: Annotated[
        Path,
        typer.Argument(show_default=False, help="The plex_state.json to read (any format)."),
    ],
    dry_run: DryRunOpt = None,
    yes: YesOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    from plexrate.admin.usecases import import_state, read_state_file

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library, "dry_run": dry_run})
    source = expand_user(path).absolute()
    legacy = read_state_file(source)
    dry = settings.dry_run
    with state_session(
        app,
        settings,
        command="admin state import",
        yes=yes,
        force=force,
        quiet=quiet,
        json_output=json_output,
        migrate_legacy=False,
    ) as (session, dialog):
        imported = import_state(session, legacy, source=source, dialog=dialog, force=force)
    summary, backup = imported.summary, imported.backup
    if json_output:
        dump(app, imported.document)
    elif not quiet:
        for line in summary.lines(dry=dry):
            app.err.print(escape(line))
        if backup:
            app.err.print(f"Backup of the file: {escape(backup)}")
        if dry:
            app.err.print("Dry run: nothing was written; --apply imports.")
