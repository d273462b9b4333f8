"""``plexrate bulk export`` and ``bulk import``: ratings to a CSV a person edits, and back."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from plexrate.cli.context import AppContext, get_app
from plexrate.cli.options import (
    ConfigOpt,
    DryRunOpt,
    ForceOpt,
    JsonOpt,
    LibraryOpt,
    QuietOpt,
    SampleOpt,
    YesOpt,
    refuse_overwrite,
)
from plexrate.cli.write_flow import WriteFlags, plan_and_apply, read_session
from plexrate.errors import UsageError
from plexrate.fileio import expand_user
from plexrate.model import ItemType
from plexrate.wording import count

if TYPE_CHECKING:
    from plexrate.bulk import BulkInputError, CsvFile, ImportPlan

PROBLEMS_SHOWN = 50

# Typer keeps single line breaks, so each paragraph is one line of help.
EXPORT_HELP = "\n\n".join(
    (
        "Write every artist, album or track with its rating to a CSV file, for a spreadsheet.",
        "Columns are the old tool's: userRating in stars (up to 3 decimals, so a re-import is "
        "exact), ratingType 'manual', 'inferred' (a rating plexrate wrote and still owns) or "
        "empty for an unrated item. Nothing is written to Plex or to the state: the library is "
        "read in one snapshot. An existing file is replaced only with --force (or after a "
        "question at a terminal), and atomically.",
        "Example: plexrate bulk export --type album albums.csv",
    )
)
IMPORT_HELP = "\n\n".join(
    (
        "Apply the edits of a bulk CSV file: ratings you changed, cleared, or handed to inference.",
        "The whole file is checked first, against the live library: every problem is listed "
        "with its row (the header is row 1) and column, and nothing is written while any "
        "remains, unless --skip-invalid. A changed userRating becomes your rating, whatever "
        "ratingType says; an emptied one (or 0) clears the rating; ratingType 'inferred' on an "
        "unchanged row hands the item back to inference, 'manual' on an inferred one makes it "
        "yours; an album's changed releaseYear sets its release date. Unchanged rows write "
        "nothing. A real import is one journaled run that `plexrate admin undo --run ID` "
        "reverts.",
        "Example: plexrate bulk import --type track track_ratings.csv --dry-run, then --apply",
    )
)

bulk_app = typer.Typer(
    name="bulk",
    help="Export ratings to a CSV file to edit in a spreadsheet, and import the edits back.",
    no_args_is_help=True,
)

TypeOpt = Annotated[
    ItemType,
    typer.Option(
        "--type",
        "-t",
        case_sensitive=False,
        show_default=False,
        help="Which items: artist, album or track.",
    ),
]
PathArg = Annotated[
    Path | None,
    typer.Argument(
        metavar="PATH",
        show_default=False,
        help="The CSV file (default: BULK_ARTIST_FILENAME, BULK_ALBUM_FILENAME or "
        "BULK_TRACK_FILENAME).",
    ),
]
ExportDelimiterOpt = Annotated[
    str,
    typer.Option(
        "--delimiter",
        metavar="CHAR",
        help="Field delimiter: ',' or ';' (then with decimal commas, for spreadsheets set up "
        "that way), 'tab' or '|'.",
    ),
]
ImportDelimiterOpt = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        metavar="CHAR",
        show_default=False,
        help="Field delimiter: ',', ';', 'tab' or '|' (default: found from the header row).",
    ),
]
BomOpt = Annotated[
    bool,
    typer.Option(
        "--bom",
        help="Start the file with a UTF-8 byte-order mark, so Excel shows accented names "
        "correctly when the file is opened by double-click.",
    ),
]
SkipInvalidOpt = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="Import the valid rows and list the invalid ones, instead of importing nothing "
        "while any row has a problem.",
    ),
]


def _delimiter(value: str, *, allowed: str = ", ; tab |") -> str:
    from plexrate.bulk import DELIMITERS

    key = value.strip().lower() if value.strip() else value
    if key == "\\t":
        key = "tab"
    if key not in DELIMITERS:
        raise typer.BadParameter(f"{value!r} is not one of {allowed}", param_hint="--delimiter")
    return key


@bulk_app.command("export", help=EXPORT_HELP)
def export_command(
    ctx: typer.Context,
    item_type: TypeOpt,
    path: PathArg = None,
    *,
    force: ForceOpt = False,
    yes: YesOpt = False,
    delimiter: ExportDelimiterOpt = ",",
    bom: BomOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write every artist, album or track with its rating to a CSV file."""
    from plexrate.bulk import DELIMITERS
    from plexrate.bulk.usecases import (
        ExportOptions,
        default_path,
        export_file,
        export_source,
    )
    from plexrate.cli.dialog import CliDialog
    from plexrate.cli.plan_output import print_json
    from plexrate.cli.progress import progress_for

    app = get_app(ctx)
    separator = DELIMITERS[_delimiter(delimiter)]
    settings = app.load_settings(config, {"library_name": library})
    target = expand_user(path if path is not None else default_path(settings, item_type))
    target = target.absolute()
    if target.is_dir():
        raise UsageError(f"{target} is a folder", hint="name a file to export to")
    agreed = force
    if target.exists() and not force:
        # Only a person at a terminal is asked; --yes alone never replaces a file (--force does).
        dialog = CliDialog(app.err, interactive=app.interactive, yes=yes, force=False, quiet=quiet)
        agreed = dialog.interactive and dialog.confirm(
            f"{target} already exists. Replace it?", risky=True
        )
    refuse_overwrite(
        target,
        force=agreed,
        consequence="; nothing was exported",
        hint="pass --force to replace it, or name another PATH",
    )
    started = time.monotonic()
    with read_session(
        app,
        command="bulk export",
        config=config,
        library=library,
        quiet=quiet,
        json_output=json_output,
    ) as session:
        source = export_source(session)
        unknown = source.unknown
        if unknown:
            many = len(unknown) != 1
            app.warn(
                f"{count(len(unknown), 'item')} "
                f"carr{'y' if many else 'ies'} the {session.settings.inferred_tag!r} "
                f"tag but the state does not own {'them' if many else 'it'}: exported as "
                "manual (run `plexrate admin reconstruct` first to rebuild ownership from "
                "the tags)"
            )
    # Written after the session has closed: its progress display is gone (one live display at a
    # time), and nothing here needs Plex or the state any more.
    options = ExportOptions(
        target=target, item_type=item_type, separator=separator, bom=bom, started=started
    )
    with progress_for(app.err, quiet=quiet, json_output=json_output) as progress:
        exported = export_file(source, options, progress=progress)
    seconds = exported.seconds
    figures = exported.counts.as_dict()
    if json_output:
        print_json(app.out, json.dumps(exported.document, ensure_ascii=False))
    elif not quiet:
        app.err.print(
            f"Exported {figures['rows']:,} {item_type.plural} ({figures['manual']:,} manual, "
            f"{figures['inferred']:,} inferred, {figures['unrated']:,} unrated) to "
            f"{escape(str(target))} in {seconds:.1f}s."
        )


@bulk_app.command("import", help=IMPORT_HELP)
def import_command(
    ctx: typer.Context,
    item_type: TypeOpt,
    path: PathArg = None,
    *,
    dry_run: DryRunOpt = None,
    skip_invalid: SkipInvalidOpt = False,
    delimiter: ImportDelimiterOpt = None,
    yes: YesOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
    sample: SampleOpt = 10,
) -> None:
    """Apply the edits of a bulk CSV file to Plex, as one journaled run."""
    from plexrate.bulk import BulkInputError, load_bulk_csv
    from plexrate.bulk.usecases import default_path

    app = get_app(ctx)
    separator = _delimiter(delimiter) if delimiter is not None else None
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
    settings = app.load_settings(config, {"library_name": library, "dry_run": dry_run})
    target = expand_user(path if path is not None else default_path(settings, item_type))
    target = target.absolute()
    csv_file = load_bulk_csv(target, item_type=item_type, delimiter=separator)
    saved_at = target.stat().st_mtime
    try:
        if csv_file.fatal:
            # Not a readable bulk CSV at all: say so before connecting to Plex.
            raise BulkInputError(csv_file.problems, source=str(target), fatal=True)
        _import(
            app,
            flags,
            csv_file,
            target=target,
            skip_invalid=skip_invalid,
            saved_at=saved_at,
            dry=settings.dry_run,
        )
    except BulkInputError as exc:
        _print_problems(app, exc, target=target, item_type=item_type, json_output=json_output)
        raise


def _import(
    app: AppContext,
    flags: WriteFlags,
    csv_file: CsvFile,
    *,
    target: Path,
    skip_invalid: bool,
    saved_at: float,
    dry: bool,
) -> None:
    from plexrate.bulk.usecases import ImportOptions, plan_bulk_import

    options = ImportOptions(target=target, skip_invalid=skip_invalid, saved_at=saved_at)
    plan_and_apply(
        app,
        flags,
        command="bulk import",
        make_plan=lambda session: plan_bulk_import(session, csv_file, options),
        args={
            "type": csv_file.item_type.value,
            "path": str(target),
            "skip_invalid": skip_invalid,
        },
        on_plan=lambda made: _tell(app, flags, made.imported, target=target, dry_run=dry),
    )


def _tell(
    app: AppContext, flags: WriteFlags, result: ImportPlan, *, target: Path, dry_run: bool
) -> None:
    """What the file asks for, on stderr: problems and warnings always, the rest unless quiet."""
    stats = result.plan.stats
    if result.skipped:
        rows = len({p.row for p in result.skipped})
        app.err.print(f"[yellow]Skipping {rows:,} invalid rows (--skip-invalid):[/]")
        _list(app, [str(p) for p in result.skipped])
    for warning in result.warnings[:PROBLEMS_SHOWN]:
        app.warn(warning)
    if len(result.warnings) > PROBLEMS_SHOWN:
        hidden = len(result.warnings) - PROBLEMS_SHOWN
        app.err.print(f"[yellow]… and {hidden:,} more warnings (--json lists them all)[/]")
    if flags.quiet or flags.json_output:
        return
    parts = [
        f"{stats['rated']:,} ratings set",
        f"{stats['cleared']:,} cleared",
        f"{stats['handed_back']:,} handed back to inference",
        f"{stats['claimed']:,} claimed as yours",
    ]
    if stats["years"]:
        parts.append(f"{stats['years']:,} release years")
    if stats["stale"]:
        parts.append(f"{stats['stale']:,} stale rows left alone")
    parts.append(f"{stats['unchanged_rows']:,} unchanged")
    app.err.print(f"{escape(str(target))}: {stats['rows']:,} rows: " + ", ".join(parts) + ".")
    if not dry_run:  # a dry run's plan printout shows the notes
        for note in result.plan.notes:
            app.err.print(f"[dim]{escape(note)}[/]")


def _list(app: AppContext, lines: list[str]) -> None:
    for line in lines[:PROBLEMS_SHOWN]:
        app.err.print(f"  {escape(line)}")
    if len(lines) > PROBLEMS_SHOWN:
        app.err.print(f"  … and {len(lines) - PROBLEMS_SHOWN:,} more (--json lists them all)")


def _print_problems(
    app: AppContext,
    exc: BulkInputError,
    *,
    target: Path,
    item_type: ItemType,
    json_output: bool,
) -> None:
    from plexrate.cli.plan_output import print_json

    if json_output:
        document = {
            "command": "bulk import",
            "type": item_type.value,
            "path": str(target),
            "written": 0,
            "fatal": exc.fatal,
            "errors": [p.as_dict() for p in exc.problems],
        }
        print_json(app.out, json.dumps(document, ensure_ascii=False))
    elif len(exc.problems) > 1:
        app.err.print(f"[red]{len(exc.problems):,} problems in {escape(str(target))}:[/]")
        _list(app, [str(p) for p in exc.problems])
