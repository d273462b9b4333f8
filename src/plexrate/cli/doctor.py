"""``plexrate doctor``: what plexrate will do on this server, checked before the first big run."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from plexrate.cli.context import get_app
from plexrate.cli.options import ConfigOpt, JsonOpt, LibraryOpt, YesOpt

DOCTOR_HELP = "\n\n".join(
    (
        "Check your Plex server and say what plexrate will do there.",
        "One table: the server and how fast it answers, TLS, whose token it is and whether it "
        "may edit, the largest page the server accepts, and whether Plex stores ratings in "
        "each write form and at what precision. That last check rates one unrated track and "
        "leaves it unrated again: it runs only when you agree at the prompt, or with "
        "--probe-writes --yes. What doctor learns is kept in the state file and used by later "
        "runs (page size, write mode). Exits 0 when plexrate can work there, 4 when a check "
        "fails. See docs/real-servers.md.",
        "Examples: plexrate doctor · plexrate doctor --probe-writes --yes --json",
    )
)


def doctor(
    ctx: typer.Context,
    *,
    config: ConfigOpt = None,
    library: LibraryOpt = None,
    probe_writes: Annotated[
        bool,
        typer.Option(
            "--probe-writes",
            help="Allow the write check (one unrated track, left unrated again); with --yes it "
            "runs without asking.",
        ),
    ] = False,
    yes: YesOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Check the server (help: DOCTOR_HELP)."""
    from rich.table import Table

    from plexrate.doctor import run_doctor
    from plexrate.errors import ExitCode

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library})

    def consent(question: str) -> bool | None:
        if probe_writes and yes:
            return True
        if yes:
            return False  # --yes alone answers the questions that are safe to answer yes
        if app.interactive and not json_output:
            return bool(typer.confirm(question, default=False, err=True))
        return None

    report = run_doctor(settings, consent=consent, library=library)
    if json_output:
        app.out.print_json(json.dumps(report.document(), ensure_ascii=False))
    else:
        table = Table(box=None, pad_edge=False, show_lines=False)
        table.add_column("Check", no_wrap=True)
        table.add_column("Result", overflow="fold", ratio=3)
        table.add_column("plexrate will", overflow="fold", ratio=2)
        style = {"ok": "green", "warn": "yellow", "fail": "red", "skipped": "dim"}
        for check in report.checks:
            mark = {"ok": "✓", "warn": "!", "fail": "✗", "skipped": "–"}[check.status]
            table.add_row(
                f"[{style[check.status]}]{mark}[/] {check.name}", check.result, check.plan
            )
        app.out.print(f"Library {report.library!r} on {report.server} ({report.url})", markup=False)
        app.out.print(table)
        for note in report.notes:
            app.err.print(f"Note: {note}", style="yellow", markup=False)
        app.err.print(
            "Remembered in the state file: later runs use what doctor learned."
            if report.ok
            else "[red]plexrate cannot work on this server as it is: see the failed check.[/]"
        )
    if not report.ok:
        raise typer.Exit(int(ExitCode.PLEX))
