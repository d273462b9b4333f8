"""``plexrate admin sync-tags``: plexrate's tags made to match its ownership record."""

from __future__ import annotations

import typer

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

HELP_SYNC_TAGS = (
    "Make plexrate's tags match its ownership record: add where owned, remove where not.\n\n"
    "The inferred tag goes on every item plexrate owns and comes off every other item; the "
    "twin tag (TWIN_TAG) likewise for owned twins. Ratings are never touched. Taking tags off "
    "is refused while the ownership record is empty or was never built for this library, "
    "because the tags may be the only record left: run `plexrate admin reconstruct` first, or "
    "pass --force.\n\n"
    "Example: plexrate admin sync-tags --dry-run, then plexrate admin sync-tags --apply"
)


def sync_tags(
    ctx: typer.Context,
    *,
    dry_run: DryRunOpt = None,
    yes: YesOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
    sample: SampleOpt = 10,
) -> None:
    from plexrate.admin.usecases import TAG_AUDIT_READ, plan_tag_sync

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
    plan_and_apply(
        app,
        flags,
        command="admin sync-tags",
        make_plan=lambda session: plan_tag_sync(session, force=force),
        guard_tags=False,
        whole_because=TAG_AUDIT_READ,
    )
