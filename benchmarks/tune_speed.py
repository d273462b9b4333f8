"""How long ``plexrate evaluate`` and ``plexrate tune`` take on a generated library, end to end.

Starts ``plexrate emulator serve`` in its own process, then runs the real commands as separate
processes against it (snapshot over HTTP included), timing each from start to exit, and checks
that the emulator received no write request. Prints one JSON object with the figures recorded in
``docs/evaluate.md``.

    python -m benchmarks.tune_speed --tracks 50000 --seed 1 --grid quick --grid full
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

from plexrate.emulator.remote import RemoteEmulator


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "plexrate", *command],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return time.perf_counter() - started, json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--grid", action="append", choices=("quick", "full"))
    args = parser.parse_args(argv)
    grids = args.grid or ["quick"]

    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "plexrate", "emulator", "serve", "--port", "0"),
            *("--tracks", str(args.tracks), "--seed", str(args.seed)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        remote = RemoteEmulator(info["url"], info["token"])
        with tempfile.TemporaryDirectory() as state_dir:
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("PLEXRATE_")},
                "PLEXRATE_PLEX_URL": info["url"],
                "PLEXRATE_PLEX_TOKEN": info["token"],
                "PLEXRATE_STATE_PATH": str(Path(state_dir) / "state.sqlite"),
            }
            load = os.getloadavg()[0]
            folds = ["--folds", str(args.folds)]
            seconds, evaluation = _timed(["evaluate", "--json", *folds], env)
            result: dict[str, Any] = {
                "tracks": info["tracks"],
                "albums": info["albums"],
                "artists": info["artists"],
                "manual_track_ratings": evaluation["manual_tracks"],
                "folds": args.folds,
                "evaluate_s": round(seconds, 1),
                "evaluate_mae": evaluation["plexrate"]["mae"],
                "library_mean_mae": evaluation["baselines"]["library-mean"]["mae"],
            }
            for grid in grids:
                seconds, tuned = _timed(["tune", "--json", "--grid", grid, *folds], env)
                result[f"tune_{grid}_s"] = round(seconds, 1)
                result[f"tune_{grid}"] = {
                    "rounds": tuned["rounds"],
                    "evaluations": tuned["evaluations"],
                    "mae": [tuned["current"]["mae"], tuned["best"]["mae"]],
                    "best": tuned["best"]["settings"],
                }
            result["writes"] = remote.stats().writes
            result["load_average_at_start"] = round(load, 1)
            result["python"] = sys.version.split()[0]
            result["cpus"] = os.cpu_count()
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
