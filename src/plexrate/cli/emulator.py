"""``plexrate emulator``: run the Plex-compatible emulator, or write a generated library file."""

from __future__ import annotations

import json
import signal
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from plexrate.cli.context import get_app
from plexrate.cli.interrupt import QUIT_SIGNALS
from plexrate.emulator import (
    LENIENCIES,
    MISBEHAVIOURS,
    Emulator,
    EmulatorLibrary,
    FaultPlan,
    Misbehaviour,
    TlsFiles,
    generate_library,
)
from plexrate.emulator.faults import FAULT_KINDS, FaultKind
from plexrate.emulator.generator import DEFAULT_PLAY_SIGNAL, Selection
from plexrate.emulator.tls import PLEX_DIRECT_HASH
from plexrate.errors import PlexrateError, UsageError

app = typer.Typer(
    name="emulator",
    help="A Plex-compatible server with a synthetic music library (tests, benchmarks, demos).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DEFAULT_TRACKS = 2000

# Typer keeps single line breaks inside help paragraphs, so each paragraph is one string.
SERVE_HELP = "\n\n".join(
    (
        "Serve a music library over Plex's HTTP API until interrupted.",
        "Once listening it prints one JSON line on stdout with the url, the token and the library "
        "(section) name, then serves until SIGINT or SIGTERM and exits 0. The token is a test "
        "credential for this emulator only. Without --library or --tracks it generates "
        f"{DEFAULT_TRACKS:,} tracks.",
        "The emulator is at least as strict as a real Plex server (docs/real-servers.md): "
        "ratings kept to one decimal, listings refused without a page size or above 1000, "
        "and so on. --lenient NAME switches one such rule off (repeat it for several): "
        + ", ".join(sorted(LENIENCIES))
        + ".",
        "Examples:",
        "plexrate emulator serve --tracks 7500 --seed 3 --port 0",
        "plexrate emulator serve --library small.json --token secret --latency plex",
    )
)
GENERATE_HELP = "\n\n".join(
    (
        "Write a generated library as JSON, to serve later with serve --library.",
        "The same --tracks, --seed, --rated-fraction, --selection and --play-signal always give "
        "the same file. The format is described in docs/emulator.md; every track keeps the "
        "rating the person would give it under 'latent', which is never served.",
        "Examples:",
        "plexrate emulator generate --tracks 300000 --seed 1 -o big.json",
        "plexrate emulator generate -n 500 -o - | jq '.sections[1].albums | length'",
        "plexrate emulator generate -n 20000 --selection moderate --play-signal 0.5 -o sel.json",
    )
)


class LatencyPreset(StrEnum):
    none = "none"
    plex = "plex"
    plex_conservative = "plex-conservative"


class PersonChoice(StrEnum):
    """Who rated the generated library (``Selection``, or the original person)."""

    original = "original"
    none = "none"
    moderate = "moderate"
    strong = "strong"

    @property
    def selection(self) -> Selection | None:
        return None if self is PersonChoice.original else Selection(self.value)


SelectionOpt = Annotated[
    PersonChoice,
    typer.Option(
        "--selection",
        help="Who rated the generated library: original (picks albums by taste, rates tracks on "
        "them at random), or a selective person (more of what they like) with none, moderate "
        "or strong selection.",
    ),
]
PlaySignalOpt = Annotated[
    float,
    typer.Option(
        "--play-signal",
        min=0.0,
        max=1.0,
        help="How closely plays, skips and popularity follow the person's taste (0 = noise).",
    ),
]


def _library(
    library: Path | None,
    tracks: int | None,
    seed: int,
    *,
    person: PersonChoice = PersonChoice.original,
    play_signal: float = DEFAULT_PLAY_SIGNAL,
) -> tuple[EmulatorLibrary, str]:
    if library is not None and tracks is not None:
        raise UsageError("give either --library or --tracks, not both")
    if library is not None:
        return EmulatorLibrary.load(library), str(library)
    count = tracks if tracks is not None else DEFAULT_TRACKS
    if count < 1:
        raise UsageError("--tracks must be at least 1")
    generated = generate_library(
        tracks=count, seed=seed, selection=person.selection, play_signal=play_signal
    )
    return generated, f"generated:tracks={count},seed={seed}"


def _fault_kinds(raw: str) -> tuple[FaultKind, ...]:
    kinds = tuple(k.strip() for k in raw.split(",") if k.strip())
    bad = [k for k in kinds if k not in FAULT_KINDS]
    if bad or not kinds:
        raise UsageError(
            f"--fault-kinds takes a comma-separated subset of {', '.join(FAULT_KINDS)}"
        )
    return tuple(k for k in FAULT_KINDS if k in kinds)


@app.command(help=SERVE_HELP)
def serve(
    ctx: typer.Context,
    *,
    library: Annotated[
        Path | None,
        typer.Option("--library", "-l", help="Serve this library file (JSON, docs/emulator.md)."),
    ] = None,
    tracks: Annotated[
        int | None,
        typer.Option("--tracks", "-n", help="Generate a library of this many tracks."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Generator seed.")] = 1,
    selection: SelectionOpt = PersonChoice.original,
    play_signal: PlaySignalOpt = DEFAULT_PLAY_SIGNAL,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 32400,
    token: Annotated[
        str | None,
        typer.Option(help="Token clients must send (a random one if omitted)."),
    ] = None,
    latency: Annotated[
        LatencyPreset,
        typer.Option(help="Response-time model: none, plex (calibrated) or plex-conservative."),
    ] = LatencyPreset.none,
    latency_scale: Annotated[
        float, typer.Option(min=0.0, help="Multiply every latency cost (0.1 = ten times faster).")
    ] = 1.0,
    fail_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Fraction of requests that fail.")
    ] = 0.0,
    fault_kinds: Annotated[
        str,
        typer.Option(
            help="How failing requests fail: error (500), timeout, drop, cut (the answer breaks "
            "off mid-body), garble (an undecodable body)."
        ),
    ] = "error,drop",
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault decisions.")] = 0,
    stop_after_writes: Annotated[
        int | None, typer.Option(min=0, help="Stop answering after this many write requests.")
    ] = None,
    lenient: Annotated[
        list[str] | None,
        typer.Option(
            help="Switch off one real-server rule by name (repeatable): "
            + ", ".join(sorted(LENIENCIES))
            + "."
        ),
    ] = None,
    misbehave: Annotated[
        str | None,
        typer.Option(
            help="Answer every request like something that is not a sound Plex server: "
            + ", ".join(sorted(MISBEHAVIOURS))
            + "."
        ),
    ] = None,
    redirect_to: Annotated[
        str | None,
        typer.Option(help="Where --misbehave redirect sends clients (http://host:port)."),
    ] = None,
    shared_token: Annotated[
        list[str] | None,
        typer.Option(
            help="Also accept this token as a shared user's (repeatable): reads and /:/rate "
            "are allowed, library edits answer 401."
        ),
    ] = None,
    webhook: Annotated[
        list[str] | None,
        typer.Option(
            help="POST Plex webhooks (media.rate when a rating is set or cleared, library.new "
            "when an album is added) to this URL, as a Plex Pass server does (repeatable)."
        ),
    ] = None,
    tls_ca: Annotated[
        Path | None,
        typer.Option(
            help="Serve HTTPS with a certificate for *.<hash>.plex.direct and localhost, signed "
            "by a new authority whose certificate is written to this file (for CA_BUNDLE)."
        ),
    ] = None,
) -> None:
    """Serve a music library over Plex's HTTP API until interrupted (help: SERVE_HELP)."""
    lib, source = _library(library, tracks, seed, person=selection, play_signal=play_signal)
    odd = None
    if misbehave is not None:
        try:
            odd = Misbehaviour.of(misbehave, target=redirect_to)
        except ValueError as exc:
            raise UsageError(f"--misbehave: {exc}") from None
    tls = None
    if tls_ca is not None:
        tls = TlsFiles.issued((f"*.{PLEX_DIRECT_HASH}.plex.direct", "localhost"))
        tls.write_ca(tls_ca)
    faults = None
    if fail_rate > 0 or stop_after_writes is not None:
        faults = FaultPlan(
            rate=fail_rate,
            kinds=_fault_kinds(fault_kinds),
            seed=fault_seed,
            stop_after_writes=stop_after_writes,
        )
    unknown = sorted(set(lenient or ()) - LENIENCIES.keys())
    if unknown:
        raise UsageError(
            f"unknown --lenient {', '.join(unknown)}",
            hint=f"choose from {', '.join(sorted(LENIENCIES))}",
        )
    emulator = Emulator(
        lib,
        token=token,
        host=host,
        port=port,
        latency=latency.value,
        latency_scale=latency_scale,
        faults=faults,
        lenient=lenient,
        tls=tls,
        misbehave=odd,
    )
    for extra in shared_token or ():
        emulator.add_account(extra, "shared")
    for url in webhook or ():
        try:
            emulator.add_webhook(url)
        except ValueError as exc:
            raise UsageError(f"--webhook: {exc}") from None
    try:
        emulator.start()
    except OSError as exc:
        raise PlexrateError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="choose another --port, or 0 for a free one",
        ) from None
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, *QUIT_SIGNALS)}
    counts = lib.counts()
    line = {
        "url": emulator.url,
        "token": emulator.token,
        "library": emulator.section_title,
        "uuid": emulator.section_uuid,
        "source": source,
        "lenient": sorted(lenient or ()),
        "misbehave": misbehave,
        "ca_bundle": None if tls_ca is None else str(tls_ca),
        "webhooks": len(webhook or ()),
        **counts,
    }
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    err = get_app(ctx).err
    err.print(
        f"Serving {counts['tracks']:,} tracks at {emulator.url} "
        f"(latency {latency.value}); Ctrl-C to stop."
    )
    try:
        emulator.wait(stop)
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    err.print("Emulator stopped.")


@app.command(help=GENERATE_HELP)
def generate(
    ctx: typer.Context,
    *,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the library JSON; - for stdout.")
    ],
    tracks: Annotated[int, typer.Option("--tracks", "-n", min=1, help="Number of tracks.")] = (
        DEFAULT_TRACKS
    ),
    seed: Annotated[int, typer.Option("--seed", "-s", help="Generator seed.")] = 1,
    rated_fraction: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of tracks the person rated (about a quarter)."),
    ] = 0.25,
    selection: SelectionOpt = PersonChoice.original,
    play_signal: PlaySignalOpt = DEFAULT_PLAY_SIGNAL,
) -> None:
    """Write a generated library as JSON (help: GENERATE_HELP)."""
    lib = generate_library(
        tracks=tracks,
        seed=seed,
        rated_fraction=rated_fraction,
        selection=selection.selection,
        play_signal=play_signal,
    )
    if str(output) == "-":
        json.dump(lib.to_dict(), sys.stdout, ensure_ascii=False, separators=(",", ":"))
        sys.stdout.write("\n")
    else:
        lib.save(output)
    counts = lib.counts()
    get_app(ctx).err.print(
        f"Wrote {'stdout' if str(output) == '-' else output}: {counts['tracks']:,} tracks, "
        f"{counts['albums']:,} albums, {counts['artists']:,} artists (seed {seed})."
    )
