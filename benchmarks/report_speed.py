"""Time the four reports on a generated library served by an emulator in its own process.

Starts ``plexrate emulator serve`` as a separate process, optionally fills the library with one
``plexrate run --apply`` (so the reports see inferred ratings as well as manual ones), then:

1. in this process, opens the read-only session the report commands use (one snapshot, default
   page size), classifies it once, and times each report's compute, its rich rendering to plain
   text, and its JSON document;
2. runs each ``plexrate report <name>`` as its own process, as a person would, once with
   ``--json`` and once printing its table or tree, and times it end to end (start-up, snapshot,
   compute, output), checking that the emulator saw no write.

Prints one JSON object with the figures recorded in ``docs/benchmarks.md``.

    python -m benchmarks.report_speed --tracks 300000 --seed 1 --run-first
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plexrate.emulator.remote import RemoteEmulator

REPORTS: dict[str, tuple[str, ...]] = {
    "coverage": (),
    "histogram": (),
    "twins": (),
    "dissenters": (),
}


def _plexrate(*args: str, env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "plexrate", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"plexrate {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return seconds, done.stdout


def _in_process(env: dict[str, str]) -> dict[str, Any]:
    """Snapshot once through a read-only session, then time each report's parts."""
    os.environ.update(env)
    from plexrate.reports import (
        analyse,
        coverage,
        dissenters,
        document,
        histogram,
        twins_inventory,
    )
    from plexrate.reports.views import plain_text
    from plexrate.session import SilentDialog, open_session
    from plexrate.settings import load_settings

    figures: dict[str, Any] = {}
    started = time.perf_counter()
    settings = load_settings(overrides={"library_name": None}).settings
    with open_session(
        settings, write=False, command="report benchmark", dialog=SilentDialog(), guard_tags=False
    ) as session:
        figures["session_and_snapshot_s"] = round(time.perf_counter() - started, 2)
        snapshot = session.snapshot
        owned = session.owned()
        config = session.settings.engine_config()
        figures["owned"] = len(owned)
    t0 = time.perf_counter()
    inference = analyse(snapshot, owned=owned, config=config)
    figures["classify_s"] = round(time.perf_counter() - t0, 2)
    # The four builders return different report types; only their shared use matters here.
    makers: dict[str, Callable[[Any], Any]] = {
        "coverage": coverage,
        "histogram": histogram,
        "twins": twins_inventory,
        "dissenters": dissenters,
    }
    for name, make in makers.items():
        t0 = time.perf_counter()
        report = make(inference)
        compute = time.perf_counter() - t0
        t0 = time.perf_counter()
        text = plain_text(report)
        render = time.perf_counter() - t0
        t0 = time.perf_counter()
        encoded = json.dumps(document(report, snapshot=snapshot), ensure_ascii=False)
        to_json = time.perf_counter() - t0
        figures[name] = {
            "compute_s": round(compute, 3),
            "render_text_s": round(render, 3),
            "json_s": round(to_json, 3),
            "text_bytes": len(text.encode()),
            "json_bytes": len(encoded.encode()),
        }
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--run-first", action="store_true", help="fill the library with plexrate run --apply"
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="plexrate-report-bench-"))
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "plexrate", "emulator", "serve", "--port", "0"),
            *("--tracks", str(args.tracks), "--seed", str(args.seed)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    result: dict[str, Any] = {}
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        result.update(
            tracks=info["tracks"],
            albums=info["albums"],
            artists=info["artists"],
            server_startup_s=round(time.perf_counter() - started, 1),
        )
        remote = RemoteEmulator(info["url"], info["token"])
        env = {
            **os.environ,
            "PLEXRATE_PLEX_URL": info["url"],
            "PLEXRATE_PLEX_TOKEN": info["token"],
            "PLEXRATE_LIBRARY_NAME": info["library"],
            "PLEXRATE_STATE_PATH": str(workdir / "state.sqlite"),
            "PLEXRATE_COOLDOWN_SLEEP": "0",
        }
        if args.run_first:
            seconds, out = _plexrate(
                "run", "--apply", "--yes", "--quiet", "--json", env=env, cwd=workdir
            )
            run = json.loads(out)
            result["run_apply"] = {"seconds": round(seconds, 1), "written": run["written"]}

        remote.reset_stats()
        result["in_process"] = _in_process(env)
        result["in_process"]["emulator_writes"] = remote.stats().writes
        print(json.dumps(result), file=sys.stderr, flush=True)

        cli: dict[str, Any] = {}
        for name, extra in REPORTS.items():
            remote.reset_stats()
            seconds, out = _plexrate(
                "report", name, "--json", "--quiet", *extra, env=env, cwd=workdir
            )
            document = json.loads(out)
            text_seconds, text = _plexrate(
                "report", name, "--quiet", *extra, env={**env, "COLUMNS": "120"}, cwd=workdir
            )
            stats = remote.stats()
            cli[name] = {
                "json_s": round(seconds, 1),
                "text_s": round(text_seconds, 1),
                "reads": stats.reads,
                "writes": stats.writes,
                "report": document["report"],
                "text_lines": text.count("\n"),
            }
            print(json.dumps({name: cli[name]}), file=sys.stderr, flush=True)
        result["cli"] = cli
        result["cli_peak_rss_mib"] = round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        )
        result["python"] = sys.version.split()[0]
        result["cpus"] = os.cpu_count()
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
