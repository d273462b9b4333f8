"""``plexrate watch``: keep the ratings current, cycle by cycle (docs/watch.md).

Each cycle is ``plexrate run --apply`` on a library read by its changes (``plan_in_session`` with
the run's own plan), so it writes what a full run would and keeps every rule a run keeps. This
module wires the loop (``watch.loop``) to the CLI: the receiver or the probe, the signals, and one
line (or one JSON document) per cycle.
"""

from __future__ import annotations

import json
import queue
import secrets
import signal
import socket
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from plexrate.cli.context import AppContext, get_app
from plexrate.cli.interrupt import StopRequest
from plexrate.cli.options import ConfigOpt, JsonOpt, LibraryOpt, QuietOpt
from plexrate.cli.write_flow import WriteFlags, plan_in_session
from plexrate.errors import ConfigError, ExitCode, UsageError
from plexrate.wording import count

if TYPE_CHECKING:
    from plexrate.model import Plan
    from plexrate.session import Session, StagedPlan
    from plexrate.settings import Settings
    from plexrate.watch.events import Scope, WebhookEvent
    from plexrate.watch.loop import CycleResult, Trigger

WATCH_HELP = "\n\n".join(
    (
        "Keep the ratings current: run inference again whenever the library changes.",
        "Without --webhook it asks Plex every --interval seconds whether anything changed (three "
        "small requests) and runs a cycle when it did; with --webhook it listens for the webhooks "
        "Plex sends when you rate something or an album is added. A cycle also runs at least "
        "every --sweep seconds, for what neither shows (an album or artist rated in Plexamp, "
        "when polling).",
        "A cycle is `plexrate run --apply` reading only what changed, so it writes exactly what "
        "a full run would, never overwrites a rating you set, and can be undone with `plexrate "
        "admin undo`. Ctrl-C or SIGTERM stops it between two writes.",
        "Examples:",
        "plexrate watch",
        "plexrate watch --webhook --show-url   (paste the URL into Plex: Settings > Webhooks)",
        "plexrate watch --webhook",
    )
)

DEFAULT_LISTEN = "0.0.0.0:32500"
# A cycle that finds nothing costs about 25 requests on a small library and 60 at 300,000 tracks
# (docs/benchmarks.md): every 15 minutes that is at most 5,800 requests a day, while an album
# re-rated in Plexamp waits at most a quarter of an hour when only polling.
DEFAULT_SWEEP = 900.0


class _WatchStop(StopRequest):
    """A StopRequest that remembers whether Ctrl-C or SIGTERM asked (exit 130 or 0)."""

    def __init__(self, *args: Any, signals: _Signals, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signals = signals

    def on_ctrl_c(self) -> None:
        self._signals.seen(signal.SIGINT)
        super().on_ctrl_c()

    def request(self, *, quit_now: bool) -> None:
        # SIGTERM during a write comes here without on_ctrl_c.
        self._signals.seen(signal.SIGTERM)
        super().request(quit_now=quit_now)


@dataclass
class _Signals:
    """The first stop signal; set from signal handlers (a plain assignment is safe there)."""

    first: signal.Signals | None = None

    def seen(self, signum: signal.Signals) -> None:
        if self.first is None:
            self.first = signum

    @property
    def stop(self) -> bool:
        return self.first is not None

    def exit_code(self) -> int:
        # SIGTERM is how a service manager ends a watch: a clean end. Ctrl-C keeps the exit
        # code every plexrate command gives it.
        return int(ExitCode.INTERRUPTED) if self.first is signal.SIGINT else 0


def _between_cycles(signals: _Signals) -> Any:
    """Handlers for the idle time: note the signal; the loop stops within a tick."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        signals.seen(signal.Signals(signum))

    if threading.current_thread() is not threading.main_thread():
        return []
    return [
        (sig, signal.signal(sig, handler))
        for sig in (signal.SIGINT, signal.SIGTERM)
        + ((signal.SIGBREAK,) if hasattr(signal, "SIGBREAK") else ())
    ]


def _during_cycle(signals: _Signals) -> Any:
    """SIGTERM while a cycle connects or reads: stop there (nothing is half-written)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        signals.seen(signal.Signals(signum))
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return []
    return [(signal.SIGTERM, signal.signal(signal.SIGTERM, handler))]


def _restore(previous: Any) -> None:
    for sig, old in reversed(previous):
        signal.signal(sig, old)


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def _secret(app: AppContext, settings: Settings, *, quiet: bool) -> str:
    """WATCH_SECRET, or a new one saved in the config file (the URL in Plex must stay valid)."""
    if settings.watch_secret is not None:
        return settings.watch_secret.get_secret_value()
    from plexrate.configedit import update_config
    from plexrate.redact import register_secret

    path = app.loaded.config_path if app.loaded is not None else None
    if path is None:
        raise ConfigError(
            "--webhook needs WATCH_SECRET, the secret part of the webhook URL",
            hint="set PLEXRATE_WATCH_SECRET to 16 or more letters and digits (for example the "
            'output of `python3 -c "import secrets; print(secrets.token_urlsafe(24))"`), or '
            "create a config file with `plexrate config init` and plexrate keeps one there",
        )
    secret = new_secret()
    register_secret(secret)
    update_config(path, {"WATCH_SECRET": secret})
    if not quiet:
        app.err.print(
            f"Made a webhook secret and saved it as WATCH_SECRET in {escape(str(path))} "
            "(`plexrate watch --webhook --show-url` shows the URL for Plex).",
            soft_wrap=True,
        )
    return secret


def _written(plan: Plan, touched: set[int]) -> dict[int, float | None]:
    return {
        change.key: change.after
        for change in plan.changes
        if change.set_rating and change.key in touched
    }


def _cycle_line(stamp: str, document: dict[str, Any], trigger: Trigger) -> str:
    written = int(document.get("written", 0))
    reads = int(document.get("requests", {}).get("reads", 0))
    by_phase = document.get("by_phase") or {}
    phases = ", ".join(f"{name} {n:,}" for name, n in sorted(by_phase.items()) if n)
    what = f"{count(written, 'change')} written" if written else "nothing new"
    if phases:
        what += f" ({phases})"
    extra = ""
    if document.get("changed_in_plex"):
        extra += f" · {document['changed_in_plex']:,} left to you (changed in Plex meanwhile)"
    if document.get("failed"):
        extra += f" · {document['failed']:,} refused by Plex"
    return f"{stamp} {what} · read {reads:,} requests · {trigger.reason}{extra}"


class _Cycle:
    """One watch cycle: ``run --apply`` through the run's own code, reported as one line."""

    def __init__(
        self,
        app: AppContext,
        settings: Settings,
        flags: WriteFlags,
        *,
        signals: _Signals,
        verbose: bool,
    ) -> None:
        self.app = app
        self.settings = settings
        self.flags = flags
        self.signals = signals
        self.verbose = verbose

    def __call__(self, trigger: Trigger) -> CycleResult:
        from plexrate.cli.interrupt import ctrl_c_asks
        from plexrate.cli.plan_output import outcome_dict, print_json
        from plexrate.cli.progress import progress_for
        from plexrate.model import INFERENCE_PHASES
        from plexrate.phases.usecases import cycle_plan
        from plexrate.session import RunStatus
        from plexrate.watch.loop import CycleResult

        app, flags = self.app, self.flags

        def make_plan(session: Session) -> Plan | StagedPlan:
            # The run's own plan and fingerprint: a watch cycle and `plexrate run` are one thing.
            # What the new ratings reach is planned and written first, the rest after it.
            rated = set(webhook_rated(trigger))
            if session.read is not None:
                rated |= session.read.rerated
            return cycle_plan(session, command="run", rated=rated)

        previous = _during_cycle(self.signals)
        try:
            with (
                progress_for(
                    app.err, quiet=flags.quiet, json_output=flags.json_output, transient=True
                ) as progress,
                ctrl_c_asks(
                    _WatchStop(
                        app.err,
                        interactive=False,
                        suspend=getattr(progress, "suspended", None),
                        signals=self.signals,
                    )
                ) as stop,
            ):
                done = plan_in_session(
                    app,
                    self.settings,
                    flags,
                    command="watch",
                    make_plan=make_plan,
                    stop=stop,
                    progress=progress,
                    args={
                        "phases": [p.value for p in INFERENCE_PHASES],
                        "start_letter": None,
                        "trigger": trigger.reason,
                    },
                    marks_ownership_built=True,
                    upper_hint=trigger.upper_hint(),
                )
        finally:
            _restore(previous)
        outcome = done.outcome
        assert outcome is not None  # watch never plans a dry run
        document = outcome_dict(outcome, requests=done.requests, plan=done.plan)
        document.update(done.extra)
        document.update(
            command="watch",
            library=done.library,
            trigger=trigger.reason,
            events=len(trigger.events),
            at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        wrote = bool(outcome.report.written or outcome.report.failed or outcome.report.changed)
        if flags.json_output:
            print_json(app.out, json.dumps(document, ensure_ascii=False))
        elif not flags.quiet and (wrote or self.verbose):
            # Wrapped at word boundaries on a terminal; one line each in a log or a pipe.
            app.err.print(
                escape(_cycle_line(time.strftime("%H:%M:%S"), document, trigger)),
                soft_wrap=True,
            )
        stopped = outcome.status is RunStatus.INTERRUPTED
        return CycleResult(stopped=stopped, written=_written(done.plan, outcome.report.touched))


def webhook_rated(trigger: Trigger) -> list[int]:
    """The items the ``media.rate`` webhooks of a cycle name (their own keys, not parents')."""
    from plexrate.watch.events import EventType

    return [
        event.rating_keys[0]
        for event in trigger.events
        if event.event == EventType.RATE and event.rating_keys
    ]


def watch(
    ctx: typer.Context,
    *,
    webhook: Annotated[
        bool,
        typer.Option(
            "--webhook",
            help="Listen for Plex webhooks (Plex Pass) instead of polling.",
        ),
    ] = False,
    listen: Annotated[
        str,
        typer.Option(
            "--listen",
            metavar="HOST:PORT",
            help="Where --webhook listens: every interface by default, since Plex often runs "
            "on another machine or in a container.",
        ),
    ] = DEFAULT_LISTEN,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            metavar="SECONDS",
            min=1,
            show_default=False,
            help="Ask Plex for changes every SECONDS (default 60; with --webhook only when "
            "given, as a safety net for lost webhooks).",
        ),
    ] = None,
    sweep: Annotated[
        float,
        typer.Option(
            "--sweep",
            metavar="SECONDS",
            min=0,
            help="Run a cycle at least this often even when nothing says the library changed "
            "(polling cannot see an album or artist you re-rated, or a skip; a webhook can be "
            "lost); 0 = never.",
        ),
    ] = DEFAULT_SWEEP,
    show_url: Annotated[
        bool,
        typer.Option(
            "--show-url",
            help="Print the webhook URL to paste into Plex (it holds WATCH_SECRET) and exit.",
        ),
    ] = False,
    once: Annotated[
        bool, typer.Option("--once", help="Run one cycle, then exit (for scripts and tests).")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Also report cycles that wrote nothing and ignored webhooks."
        ),
    ] = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    library: LibraryOpt = None,
    config: ConfigOpt = None,
) -> None:
    from plexrate.watch.debounce import Debouncer
    from plexrate.watch.loop import WatchLoop
    from plexrate.watch.poll import Connection
    from plexrate.watch.receiver import Receiver, parse_listen, reachable_host, webhook_url

    app = get_app(ctx)
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        raise UsageError(f"--listen {exc}") from None
    settings = app.load_settings(config, {"library_name": library, "dry_run": False})
    if show_url:
        secret = _secret(app, settings, quiet=quiet)
        shown_host = reachable_host(host, settings.plex_url)
        # stdout, never the log: the one place the secret is shown.
        app.out.file.write(webhook_url(shown_host, port, secret) + "\n")
        app.out.file.flush()
        return
    flags = WriteFlags(
        config=config,
        library=library,
        dry_run=False,
        yes=True,
        json_output=json_output,
        quiet=quiet,
    )
    signals = _Signals()
    cycle = _Cycle(app, settings, flags, signals=signals, verbose=verbose)
    plex = Connection(settings)
    events: queue.Queue[WebhookEvent] = queue.Queue()
    poll_every = interval if interval is not None else (None if webhook else 60.0)

    def notify(kind: str, message: str) -> None:
        # stderr, so --json keeps stdout for the cycles' documents.
        if quiet:
            return
        if kind in ("event", "ignored") and not verbose:
            return
        if kind in ("unreachable", "locked"):
            # A warning goes to the log file too, with its time.
            app.warn(message, soft_wrap=True)
            return
        app.err.print(
            f"{time.strftime('%H:%M:%S')} {escape(message)}",
            style="" if kind == "back" else "dim",
            soft_wrap=True,
        )

    receiver: Receiver | None = None
    previous = _between_cycles(signals)
    try:
        if webhook:
            secret = _secret(app, settings, quiet=quiet)
            try:
                receiver = Receiver(host, port, secret=secret, on_event=events.put).start()
            except OSError as exc:
                # A host name that resolves to nothing ("nonsense") is the likeliest typo.
                what = (
                    f"no address is called {host!r}"
                    if isinstance(exc, socket.gaierror)
                    else (exc.strerror or str(exc))
                )
                raise UsageError(
                    f"cannot listen on {listen}: {what}",
                    hint="choose another --listen HOST:PORT",
                ) from None
        how: list[str] = []
        if not quiet and not once:
            # Said once Plex answered: a wrong URL or token fails first, without it.
            if receiver is not None:
                bound_host, bound_port = receiver.address
                how.append(
                    f"listening for Plex webhooks on {bound_host}:{bound_port} "
                    "(`plexrate watch --webhook --show-url` prints the URL for Plex)"
                )
            if poll_every is not None:
                how.append(f"asking Plex for changes every {poll_every:g}s")
            if sweep > 0:
                how.append(f"a full check at least every {sweep:g}s")

        def connect() -> Scope:
            scope = plex.connect()
            if how:
                app.err.print(
                    f"Watching library {escape(settings.library_name)!r}: "
                    + "; ".join(how)
                    + ". Ctrl-C stops.",
                    soft_wrap=True,
                )
                how.clear()
            return scope

        loop = WatchLoop(
            connect=connect,
            cycle=cycle,
            should_stop=lambda: signals.stop,
            probe=plex.probe if poll_every is not None else None,
            interval=poll_every,
            sweep=sweep,
            events=events if receiver is not None else None,
            debouncer=Debouncer(),
            notify=notify,
            once=once,
        )
        try:
            loop.run()
        except KeyboardInterrupt:
            # A signal while a cycle read the library: nothing was written in that cycle.
            if signals.first is None:
                signals.seen(signal.SIGINT)
    finally:
        if receiver is not None:
            receiver.close()
        _restore(previous)
    if signals.stop:
        if not quiet and not json_output:
            app.err.print("Stopped watching; everything written is recorded in the journal.")
        code = signals.exit_code()
        if code:
            raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("watch", help=WATCH_HELP)(watch)
