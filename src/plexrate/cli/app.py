"""The root of the command tree and the single error boundary."""

from __future__ import annotations

import codecs
import io
import json
import logging
import os
import sys
import traceback
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from plexrate import __version__
from plexrate.cli.admin import admin_app
from plexrate.cli.bulk import bulk_app
from plexrate.cli.config import config_app
from plexrate.cli.context import JSON_SCHEMA_VERSION, AppContext, get_app
from plexrate.cli.demo import DEMO_HELP, demo
from plexrate.cli.doctor import DOCTOR_HELP, doctor
from plexrate.cli.emulator import app as emulator_app
from plexrate.cli.evaluate import evaluate_app
from plexrate.cli.helpfmt import install as install_help_format
from plexrate.cli.menu import MENU_HELP, menu
from plexrate.cli.phases import register as register_phases
from plexrate.cli.report import report_app
from plexrate.cli.watch import register as register_watch
from plexrate.errors import ExitCode, PlexrateError
from plexrate.redact import RedactingFilter, redact

install_help_format()


class PlexrateGroup(TyperGroup):
    """Turns domain errors into one line on stderr and the documented exit code.

    Doing this in the root group (not only in ``main``) means Typer's CliRunner in tests sees the
    same behaviour as a real process.
    """

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        code: int | None = None
        try:
            return self._invoke(ctx)
        except typer.Exit as exc:
            code = exc.exit_code
            raise
        finally:
            obj = ctx.find_root().obj
            if isinstance(obj, AppContext):
                if code and obj.log is not None and not obj.log.errors:
                    # An exit code with no error line before it (a run stopped, some writes
                    # refused, a check that failed): the log says so, for the runs nobody saw.
                    if code == ExitCode.INTERRUPTED:
                        obj.log.line("Warning: stopped before the end (exit code 130)")
                    else:
                        obj.log.line(f"Error: ended with exit code {code}")
                obj.close_log()

    def _invoke(self, ctx: typer.Context) -> Any:
        # ``--json`` anywhere on the line: an error is then a JSON document on stdout as well
        # as the line on stderr, so a script reading stdout always gets one (issue 19).
        # (Typer's own parser keeps the subcommand's words in ``_protected_args``.)
        words = [
            *getattr(ctx, "_protected_args", ()),
            *getattr(ctx, "protected_args", ()),
            *ctx.args,
        ]
        wants_json = "--json" in words
        try:
            return super().invoke(ctx)
        except PlexrateError as exc:
            _report(ctx, exc, str(exc))
            if wants_json:
                _json_error(ctx, exc.message, int(exc.exit_code), exc.hint)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            _console(ctx).print("Interrupted.", style="yellow")
            if wants_json:
                _json_error(ctx, "interrupted", int(ExitCode.INTERRUPTED), None)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except typer.Abort as exc:
            # Click turns Ctrl-C at a prompt (``config init``) into Abort, which exits 1; it is
            # still the person stopping the command, so 130 as everywhere else.
            if isinstance(exc.__context__, KeyboardInterrupt):
                _console(ctx).print()
                _console(ctx).print("Interrupted.", style="yellow")
                if wants_json:
                    _json_error(ctx, "interrupted", int(ExitCode.INTERRUPTED), None)
                raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
            raise
        except typer.TyperException as exc:
            # A usage error (Typer prints it with the usage line, exit 2).
            formatted = getattr(exc, "format_message", None)
            if wants_json and callable(formatted):
                code = int(getattr(exc, "exit_code", 2))
                _json_error(ctx, str(formatted()), code, "see --help")
            raise
        except (typer.Exit, BrokenPipeError):
            # Deliberate exits and a closed pipe (`plexrate … | head`) keep Typer's own handling
            # and exit codes.
            raise
        except Exception as exc:
            text = f"unexpected {type(exc).__name__}: {exc}. Rerun with --debug for details."
            _report(ctx, exc, text)
            if wants_json:
                _json_error(ctx, redact(text), int(ExitCode.ERROR), None)
            raise typer.Exit(int(ExitCode.ERROR)) from None


def _json_error(ctx: typer.Context, message: str, code: int, hint: str | None) -> None:
    """The error as the one JSON document on stdout, unless the command printed one already."""
    obj = ctx.find_root().obj
    out = obj.out if isinstance(obj, AppContext) else AppContext().out
    if getattr(out, "documents", 0):
        return
    document = {
        "schema_version": JSON_SCHEMA_VERSION,
        "error": redact(message),
        "exit_code": code,
        "hint": redact(hint) if hint else None,
    }
    out.file.write(json.dumps(document, ensure_ascii=False) + "\n")
    out.file.flush()
    out.documents = getattr(out, "documents", 0) + 1  # type: ignore[attr-defined]


def _console(ctx: typer.Context) -> Any:
    obj = ctx.find_root().obj
    return obj.err if isinstance(obj, AppContext) else AppContext().err


def _report(ctx: typer.Context, exc: BaseException, text: str) -> None:
    obj = ctx.find_root().obj
    debug = isinstance(obj, AppContext) and obj.debug
    if isinstance(obj, AppContext):
        obj.ensure_log()
    console = _console(ctx)
    if debug:
        console.print(escape(redact("".join(traceback.format_exception(exc)))), style="dim")
    # One line in a log or a pipe (rich would otherwise break it at 80 columns there); on a
    # terminal the stderr console wraps it at words (context._PeopleConsole).
    console.print(f"[bold red]Error:[/] {escape(redact(text))}", soft_wrap=True)


app = typer.Typer(
    name="plexrate",
    cls=PlexrateGroup,
    help="Fill the gaps in a Plex music library's star ratings from the ones you set.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    # Rich tracebacks with locals would print the token held by Settings.
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"plexrate {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar="PLEXRATE_DEBUG", help="Show tracebacks for errors."),
    ] = False,
    version: Annotated[  # noqa: ARG001 - handled eagerly by its callback
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """plexrate infers album, artist and track ratings from the tracks you rated in Plex.

    It never overwrites a rating you set, marks what it inferred, and can undo every write.
    """
    app_ctx = get_app(ctx)
    app_ctx.debug = debug
    logging.getLogger("plexrate").addFilter(RedactingFilter())
    if debug:
        logging.basicConfig(
            level=logging.DEBUG if os.environ.get("PLEXRATE_TRACE") else logging.INFO
        )


register_phases(app)
app.command("menu", help=MENU_HELP)(menu)
app.command("demo", help=DEMO_HELP)(demo)
app.command("doctor", help=DOCTOR_HELP)(doctor)
register_watch(app)
app.add_typer(config_app, name="config")
app.add_typer(emulator_app, name="emulator")
app.add_typer(evaluate_app)
app.add_typer(bulk_app, name="bulk")
app.add_typer(admin_app, name="admin")
app.add_typer(report_app, name="report")


def _utf8_when_redirected() -> None:
    """Output to a file or a pipe is UTF-8, whatever the locale says.

    On Windows a redirected stream takes the ANSI code page (cp1252 and the like), so a title in
    Japanese or a ★ ended a scheduled run (`… --json >> runs.jsonl`) with UnicodeEncodeError.
    JSON is UTF-8 by definition (RFC 8259, section 8.1). A terminal keeps its own encoding; on
    Windows the console takes any character.
    """
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper):
            continue
        try:
            redirected = not stream.isatty()
        except ValueError:  # closed
            continue
        if redirected and codecs.lookup(stream.encoding).name != "utf-8":
            stream.reconfigure(encoding="utf-8")


def _forget_caught_interrupts() -> None:
    """Let ``python -m plexrate`` exit with plexrate's code after a caught SIGTERM or Ctrl-C.

    CPython marks "a KeyboardInterrupt went unhandled" whenever one ends an ``eval``/``exec`` of
    source text, even one that plexrate then catches (the SIGTERM handler raises it wherever the
    program is, library code evaluating a string included). With ``-m`` the interpreter checks
    that mark after SystemExit and kills itself with SIGINT: exit -2 instead of 130, about one
    run in six in tests/platform/test_locations.py. Every such evaluation first clears the mark,
    so a trivial one at the end does.
    """
    eval("None")


def main() -> None:
    _utf8_when_redirected()
    try:
        app()
    finally:
        _forget_caught_interrupts()
