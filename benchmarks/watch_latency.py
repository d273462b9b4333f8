"""How long a rating takes to reach its album, artist and unrated tracks under ``plexrate watch``.

    .venv/bin/python -m benchmarks.watch_latency --tracks 50000 --webhook
    .venv/bin/python -m benchmarks.watch_latency --tracks 50000 --interval 60

One generated library and state folder; the first run is made without latency (as in
``benchmarks.incremental``), then the library is served under ``--latency`` (``plex`` with its load
model) and ``plexrate watch --json`` runs as a real process, with ``--webhook`` (the emulator posts
Plex-shaped webhooks to it) or polling every ``--interval`` seconds. Once its start cycle is done,
the person rates ``--ratings`` tracks in Plex one at a time, each on an album of its own, waiting
for the cycle that follows each. Reported per rating: seconds from the rating to the end of the
cycle that wrote its consequences, and to when its scope held its final values (when polling,
also from the poll that saw it: ``scope_after_poll``), that cycle's requests and writes, and its
trigger.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import report
from plexrate.emulator import Emulator, generate_library
from plexrate.emulator.library import EmulatorLibrary, TrackItem

TOKEN = "bench-token"
SECRET = "bench-watch-secret-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(emu: Emulator, state: Path) -> dict[str, str]:
    home = {
        name: str(state.parent / name.lower())
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")
    }
    return dict(
        os.environ,
        **home,
        PLEXRATE_PLEX_URL=emu.url,
        PLEXRATE_PLEX_TOKEN=TOKEN,
        PLEXRATE_STATE_PATH=str(state),
        PLEXRATE_WATCH_SECRET=SECRET,
        PLEXRATE_NO_PAGER="1",
        PLEXAPI_PLEXAPI_AUTORELOAD="false",
    )


def _first_run(emu: Emulator, state: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "plexrate", "run", "--apply", "--yes", "--quiet"],
        env=_env(emu, state),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"first run failed ({done.returncode}): {done.stderr[-2000:]}")


def _scope(library: EmulatorLibrary, track: TrackItem, unrated: set[int]) -> list[int]:
    """What a rating on ``track`` reaches (issue 23): its album, its artist and the album's
    other tracks the person left unrated (``unrated``, before plexrate's first run)."""
    others = [key for key in library.children_of(track.album_key) if key != track.rating_key]
    return [track.album_key, track.artist_key, *(k for k in others if k in unrated)]


class _Arrivals:
    """Samples the ratings of ``keys`` every 50 ms and remembers when each last changed, so
    that once the cycle is over the moment its scope got its final values is known; and, with
    ``requests`` (the emulator's request count), when plexrate first asked anything after the
    rating: when polling, the poll that saw it."""

    def __init__(
        self,
        library: EmulatorLibrary,
        keys: list[int],
        requests: Callable[[], int] | None = None,
    ) -> None:
        self._library = library
        self._keys = keys
        self._requests = requests
        self.asked: float | None = None
        self._last: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        seen = {key: self._library.rating(key) for key in self._keys}
        before = self._requests() if self._requests is not None else 0
        while not self._done.wait(0.05):
            if self._requests is not None and self.asked is None and self._requests() != before:
                self.asked = time.monotonic()
            for key in self._keys:
                value = self._library.rating(key)
                if value != seen[key]:
                    seen[key], self._last[key] = value, time.monotonic()

    def stop(self) -> float | None:
        """When the last item of the scope that changed took its final value (None: none did)."""
        self._done.set()
        self._thread.join()
        return max(self._last.values(), default=None)


def _idle(requests: Callable[[], int], quiet: float = 2.0) -> None:
    """Until ``quiet`` seconds pass without a request."""
    seen, since = requests(), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.05)
        now = requests()
        if now != seen:
            seen, since = now, time.monotonic()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", default="plex")
    parser.add_argument("--webhook", action="store_true")
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--ratings", type=int, default=5)
    parser.add_argument("--output", type=Path)
    parser.add_argument(
        "--profile", type=Path, help="profile the cycles after the start cycle, written here"
    )
    args = parser.parse_args(argv)

    library = generate_library(tracks=args.tracks, seed=args.seed)
    results: dict[str, Any] = {
        "tracks": args.tracks,
        "latency": args.latency,
        "mode": "webhook" if args.webhook else f"poll every {args.interval:g}s",
    }
    # Tracks the person left unrated (plexrate infers them), spread over the library; chosen
    # before the first run, which rates them all.
    tracks = [
        item
        for key in library.keys("track")
        if isinstance(item := library.get(key), TrackItem) and item.user_rating is None
    ]
    step = max(1, len(tracks) // (args.ratings + 1))
    unrated = {t.rating_key for t in tracks}
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "plexrate_state.sqlite"
        with Emulator(library, token=TOKEN, latency="none") as emu:
            started = time.monotonic()
            _first_run(emu, state)
            results["first_run_seconds"] = round(time.monotonic() - started, 1)
        port = _free_port()
        hooks = [f"http://127.0.0.1:{port}/{SECRET}"] if args.webhook else []
        with Emulator(library, token=TOKEN, latency=args.latency, webhooks=hooks) as emu:
            command = [sys.executable, "-m", "plexrate", "watch", "--json", "--quiet"]
            if args.profile is not None:
                # The start cycle left out: it reads everything since the first run.
                command[1:3] = ["-m", "benchmarks.profiled_watch", str(args.profile)]
            if args.webhook:
                command += ["--webhook", "--listen", f"127.0.0.1:{port}"]
            else:
                command += ["--interval", f"{args.interval:g}"]
            process = subprocess.Popen(
                command,
                env=_env(emu, state),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            documents: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()

            def pump() -> None:
                assert process.stdout is not None
                for line in process.stdout:
                    documents.put((time.monotonic(), json.loads(line)))

            threading.Thread(target=pump, daemon=True).start()
            try:
                at, start = documents.get(timeout=900)
                results["start_cycle"] = {
                    "requests": start["requests"]["reads"] + start["requests"]["writes"],
                    "written": start["written"],
                }
                runs: list[dict[str, Any]] = []
                for n in range(args.ratings):
                    track = tracks[(n + 1) * step]
                    if not args.webhook:
                        # Between two polls: a probe in flight would be taken for the one that
                        # saw the rating.
                        _idle(lambda: emu.stats().requests)
                    emu.reset_stats()
                    scope = _scope(emu.library, track, unrated)
                    watcher = _Arrivals(
                        emu.library,
                        scope,
                        None if args.webhook else (lambda: emu.stats().requests),
                    )
                    rated = time.monotonic()
                    emu.person_rate(track.rating_key, 10.0)
                    while True:
                        at, document = documents.get(timeout=900)
                        if document.get("written"):
                            break
                    arrived = watcher.stop()
                    asked = watcher.asked
                    runs.append(
                        {
                            "seconds": round(at - rated, 2),
                            "scope_seconds": None if arrived is None else round(arrived - rated, 2),
                            # Polling: from the poll that saw the rating (its first request).
                            "scope_after_poll": None
                            if arrived is None or asked is None
                            else round(arrived - asked, 2),
                            "scope_items": len(scope),
                            "trigger": document.get("trigger"),
                            "written": document.get("written"),
                            "requests": emu.stats().requests,
                            "read_requests": (document.get("read") or {}).get("requests"),
                            "whole": (document.get("read") or {}).get("whole"),
                        }
                    )
                    # Let the follow-up cycle (which reads plexrate's own writes) pass.
                    time.sleep(5 if args.webhook else args.interval + 5)
                    while not documents.empty():
                        documents.get_nowait()
                results["ratings"] = runs
                seconds = [r["seconds"] for r in runs]
                results["seconds"] = {
                    "median": round(statistics.median(seconds), 2),
                    "max": max(seconds),
                }
                for name in ("scope_seconds", "scope_after_poll"):
                    scoped = [r[name] for r in runs if r[name] is not None]
                    if scoped:
                        results[name] = {
                            "median": round(statistics.median(scoped), 2),
                            "max": max(scoped),
                        }
            finally:
                process.terminate()
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                results["exit_code"] = process.returncode
    report(results, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
