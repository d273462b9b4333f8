"""Pacing against the emulator's load model: a first run unpaced, adaptive (the default) and with
the old tool's fixed 25/5 cooldown, on the same generated library.

Each variant gets a fresh ``plexrate emulator serve`` (``plex`` preset, load model on, strict)
and one real ``plexrate run --apply --yes --json`` child. It records the child's wall time, the
pauses plexrate reports, and the load model's peak write slowdown (a write's answer time over
the same write's time on an idle server) from the emulator's ``/__emulator/load`` hook.

    python -m benchmarks.pacing --tracks 7500 --output pacing.json

Targets (issue 19): the default run within 1.3x of the unpaced one, with writes answered under
2x their idle time.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.harness import EmulatorProcess, plexrate_argv, plexrate_env, report, run_child

VARIANTS: dict[str, dict[str, str | None]] = {
    "unpaced": {"PLEXRATE_COOLDOWN_SLEEP": "0"},
    "adaptive (default)": {"PLEXRATE_COOLDOWN_SLEEP": None},
    "fixed 25/5 (old tool's values)": {
        "PLEXRATE_COOLDOWN_BATCH": "25",
        "PLEXRATE_COOLDOWN_SLEEP": "5",
    },
}


def measure(tracks: int, seed: int, latency: str, workdir: Path) -> list[dict[str, Any]]:
    rows = []
    for number, (name, settings) in enumerate(VARIANTS.items()):
        folder = workdir / f"v{number}"
        folder.mkdir(parents=True, exist_ok=True)
        with EmulatorProcess(tracks=tracks, seed=seed, latency=latency, workdir=folder) as emu:
            env = plexrate_env(emu, state_path=folder / "state.sqlite")
            for key, value in settings.items():
                if value is None:
                    env.pop(key, None)
                else:
                    env[key] = value
            emu.remote.reset_stats()
            child = run_child(
                plexrate_argv("run", "--apply", "--yes", "--json"), env=env, cwd=folder
            )
            result = child.check().json()
            load = emu.remote.load()
            stats = emu.remote.stats()
        rows.append(
            {
                "variant": name,
                "wall_seconds": round(child.wall, 2),
                "write_requests": stats.writes,
                "pacing": result.get("pacing", {}),
                "peak_write_slowdown": round(float(load["peak_write_slowdown"]), 2),
                "median_write_slowdown": round(float(load["median_write_slowdown"]), 2),
                "p95_write_slowdown": round(float(load["p95_write_slowdown"]), 2),
                "peak_backlog_seconds": round(float(load["peak_backlog_seconds"]), 2),
                "load_model": bool(load["on"]),
            }
        )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    unpaced = rows[0]["wall_seconds"]
    lines = [
        "| variant | wall s | × unpaced | write requests | pauses (s) "
        "| write slowdown: median / p95 / peak |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        pacing = row["pacing"]
        lines.append(
            f"| {row['variant']} | {row['wall_seconds']:.1f} | "
            f"{row['wall_seconds'] / unpaced:.2f} | {row['write_requests']:,} | "
            f"{pacing.get('pauses', 0):,} ({pacing.get('paused_seconds', 0):.1f}) | "
            f"{row['median_write_slowdown']:.2f}× / {row['p95_write_slowdown']:.2f}× / "
            f"{row['peak_write_slowdown']:.2f}× |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=7500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", default="plex")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="plexrate-pacing-"))
    rows = measure(args.tracks, args.seed, args.latency, workdir)
    adaptive, unpaced = rows[1], rows[0]
    document = {
        "tracks": args.tracks,
        "seed": args.seed,
        "latency": args.latency,
        "rows": rows,
        "targets": {
            "default within 1.3x of unpaced": adaptive["wall_seconds"]
            <= 1.3 * unpaced["wall_seconds"],
            "default keeps writes under 2x idle (p95)": adaptive["p95_write_slowdown"] < 2.0,
        },
        "markdown": markdown(rows),
    }
    report(document, args.output)
    return document


if __name__ == "__main__":
    main()
