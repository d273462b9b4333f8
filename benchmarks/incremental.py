"""A rerun with nothing to do, read whole and read by its changes (issue 23).

    .venv/bin/python -m benchmarks.incremental --tracks 300000

One generated library, one state folder. The first run (which writes most of the library) is
made against an emulator without latency, to save the quarter of an hour it costs under the
``plex`` model; then the same library is served under ``--latency`` (``plex`` by default, with its
load model) and ``plexrate run --apply --yes`` runs as a person would run it from cron:

1. ``whole``: a rerun with ``WHOLE_READ_HOURS=0``, what every rerun did before issue 23;
2. ``changes``: the rerun after it (the copy from the last run, nothing new: nothing planned);
3. ``rated``: the person rates one track in Plex (as ``/:/rate`` does), then a rerun.

For each it reports wall time, requests (from the emulator's log), how the library was read and
what was written, and the ratios against ``whole``. The targets: a rerun with nothing to do under
10 s and 30 requests at 300,000 tracks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import report
from plexrate.emulator import Emulator, generate_library

TOKEN = "bench-token"


def _run(emu: Emulator, state: Path, *, profile: Path | None = None, **env: str) -> dict[str, Any]:
    environ = dict(
        os.environ,
        PLEXRATE_PLEX_URL=emu.url,
        PLEXRATE_PLEX_TOKEN=TOKEN,
        PLEXRATE_STATE_PATH=str(state),
        PLEXRATE_NO_PAGER="1",
        **env,
    )
    before = emu.stats()
    started = time.monotonic()
    command = [sys.executable, "-m", "plexrate", "run", "--apply", "--yes", "--json"]
    if profile is not None:
        command[1:3] = ["-m", "cProfile", "-o", str(profile), "-m", "plexrate"]
    done = subprocess.run(
        command,
        env=environ,
        capture_output=True,
        text=True,
        cwd=state.parent,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"run failed ({done.returncode}): {done.stderr[-2000:]}")
    document = json.loads(done.stdout)
    after = emu.stats()
    return {
        "seconds": round(seconds, 2),
        "requests": after.requests - before.requests,
        "listings": {
            kind: n - before.listings.get(kind, 0)
            for kind, n in after.listings.items()
            if n != before.listings.get(kind, 0)
        },
        "items_returned": after.items_returned - before.items_returned,
        "modeled_seconds": round(after.modeled_seconds - before.modeled_seconds, 2),
        "read": document.get("read"),
        "written": document.get("written"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", default="plex")
    parser.add_argument("--output", type=Path)
    parser.add_argument(
        "--profile",
        type=Path,
        help="write a cProfile of the second change-read rerun (nothing new since) here",
    )
    parser.add_argument(
        "--lenient",
        action="append",
        default=[],
        metavar="NAME",
        help="serve with this emulator leniency (repeatable), e.g. the two that let artists and "
        "albums be read by their changes: album-artist-rated-filters, album-artist-updated-filters",
    )
    args = parser.parse_args(argv)
    lenient = set(args.lenient)

    library = generate_library(tracks=args.tracks, seed=args.seed)
    results: dict[str, Any] = {
        "tracks": args.tracks,
        "latency": args.latency,
        "lenient": sorted(lenient),
    }
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "plexrate_state.sqlite"
        with Emulator(library, token=TOKEN, latency="none", lenient=lenient) as emu:
            results["first"] = _run(emu, state)
        with Emulator(library, token=TOKEN, latency=args.latency, lenient=lenient) as emu:
            results["whole"] = _run(emu, state, PLEXRATE_WHOLE_READ_HOURS="0")
            results["changes"] = _run(emu, state)
            results["changes_again"] = _run(emu, state, profile=args.profile)
            track = library.keys("track")[len(library.keys("track")) // 2]
            emu.person_rate(track, 9.0)
            results["rated"] = _run(emu, state)
    whole = results["whole"]
    for name in ("changes", "changes_again", "rated"):
        run = results[name]
        run["time_vs_whole"] = round(run["seconds"] / whole["seconds"], 3)
        run["requests_vs_whole"] = round(run["requests"] / whole["requests"], 3)
    report(results, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
