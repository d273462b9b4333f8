"""``plexrate admin``: runs, verify, undo, reconstruct, sync-tags, and ``state export/import``.

The old tool's admin submenu (verify, cleanup/undo, reconstruct, synchronize tags), built on the
StateStore journal. One module per command; each parses its flags, calls one use case of
``plexrate.admin.usecases``, and prints the result.
"""

from __future__ import annotations

import typer

from plexrate.cli.admin import reconstruct, runs, state, sync_tags, undo, verify

admin_app = typer.Typer(
    name="admin",
    help="Check, repair and take back what plexrate wrote (the old tool's admin menu).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
state_app = typer.Typer(
    name="state",
    help="Move ownership records to and from the old tool's plex_state.json format.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
admin_app.add_typer(state_app, name="state")

admin_app.command("runs", help=runs.HELP_RUNS)(runs.runs)
admin_app.command("verify", help=verify.HELP_VERIFY)(verify.verify)
admin_app.command("undo", help=undo.HELP_UNDO)(undo.undo)
admin_app.command("reconstruct", help=reconstruct.HELP_RECONSTRUCT)(reconstruct.reconstruct)
admin_app.command("sync-tags", help=sync_tags.HELP_SYNC_TAGS)(sync_tags.sync_tags)
state_app.command("export", help=state.HELP_EXPORT)(state.state_export)
state_app.command("import", help=state.HELP_IMPORT)(state.state_import)

__all__ = ["admin_app", "state_app"]
