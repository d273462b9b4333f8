"""``plexrate admin reconstruct``: ownership rebuilt from plexrate's tag."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from plexrate.cli.admin.common import dump
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
from plexrate.cli.write_flow import state_session

if TYPE_CHECKING:
    from plexrate.admin import Reconstruction

HELP_RECONSTRUCT = (
    "Rebuild the ownership record from plexrate's tag, after the state file was lost.\n\n"
    "Every artist, album and track carrying INFERRED_TAG and a rating becomes plexrate's at "
    "its current value (a twin if it carries TWIN_TAG too). Tagged items without a rating are "
    "listed, not owned; untagged items are never owned. Only the state file is written, "
    "nothing in Plex.\n\n"
    "Example: plexrate admin reconstruct --dry-run, then plexrate admin reconstruct --apply"
)


def reconstruct(
    ctx: typer.Context,
    *,
    dry_run: DryRunOpt = None,
    yes: YesOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    from plexrate.admin.usecases import (
        TAG_AUDIT_READ,
        reconstruct_ownership,
        require_inferred_tag,
    )

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library, "dry_run": dry_run})
    require_inferred_tag(settings)
    dry = settings.dry_run
    with state_session(
        app,
        settings,
        command="admin reconstruct",
        yes=yes,
        force=force,
        quiet=quiet,
        json_output=json_output,
        whole_because=TAG_AUDIT_READ,
    ) as (session, dialog):
        rebuilt = reconstruct_ownership(session)
        for warning in rebuilt.warnings:
            dialog.warn(warning)
        if json_output:
            dump(app, rebuilt.document)
        elif not quiet:
            _reconstruct_summary(app, rebuilt.result, dry=dry)


def _reconstruct_summary(app: AppContext, result: Reconstruction, *, dry: bool) -> None:
    from plexrate.cli.progress import finish_live
    from plexrate.model import ItemType
    from plexrate.wording import count

    finish_live()

    counts = result.counts()
    per_type = ", ".join(
        f"{counts[f'claims.{t.value}']:,} {t.plural}"
        for t in ItemType
        if counts[f"claims.{t.value}"]
    )
    verb = "Would own" if dry else "Now owns"
    line = f"{verb} {count(counts['claims'], 'item')} carrying {result.tag!r}"
    line += f" ({per_type}; {count(counts['twins'], 'twin')})" if counts["claims"] else ""
    if counts["already_owned"]:
        line += f"; already owned: {count(counts['already_owned'], 'item')}"
    app.err.print(escape(line + "."))
    if result.tagged_unrated:
        from plexrate.model import label

        app.err.print(
            f"Not owned: {count(len(result.tagged_unrated), 'tagged item')} without a rating "
            "(nothing to own):"
        )
        for item in result.tagged_unrated[:10]:
            app.err.print(f"  {escape(label(item))}")
        if len(result.tagged_unrated) > 10:
            app.err.print(f"  … and {len(result.tagged_unrated) - 10:,} more (--json lists them)")
    if dry:
        app.err.print("Dry run: nothing was written; --apply records the ownership.")
    else:
        app.err.print("Ownership is recorded as built for this library.")
