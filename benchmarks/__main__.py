"""``python -m benchmarks``: plexrate against the emulated Plex, the floor and the old pattern.

Every scenario runs ``python -m plexrate …`` as a child process against ``plexrate emulator
serve`` running in another process; see ``docs/benchmarks.md`` for what is measured and how.
Progress goes to stderr; the Markdown tables go to stdout (or ``--markdown``), every figure to
``--output`` as JSON.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from benchmarks.harness import load_average, machine
from benchmarks.report import markdown
from benchmarks.scenarios import Options, SizeRun
from plexrate.emulator.latency import PRESETS, LatencyModel

SCENARIOS = ("first-tag", "no-op", "undo", "bulk", "first-no-tag")
DEFAULT_SIZES = (7_500, 50_000, 300_000)


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v.replace("_", "")) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return values


def _floats(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError("scales must be positive")
    return values


def _scenarios(text: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in text.split(",") if v.strip())
    if names == ("all",):
        return SCENARIOS
    bad = [n for n in names if n not in SCENARIOS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(SCENARIOS)} (or all)")
    return names


def _old_tags(text: str) -> tuple[bool, ...]:
    choices = {"both": (True, False), "tag": (True,), "no-tag": (False,), "none": ()}
    if text not in choices:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(choices)}")
    return choices[text]


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip().upper().removeprefix("PLEXRATE_"), value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Benchmark plexrate against the emulator (in its own process): a first run with and "
            "without the inferred tag, a no-op rerun, a full undo and a bulk track import per "
            "library size; the floor of each result; and the old tool's access pattern. "
            "Cooldown pauses are off (COOLDOWN_SLEEP=0); what the default pacing would add is "
            "reported separately."
        ),
        epilog=(
            "Examples: python -m benchmarks --sizes 7500 --old-scales 0.1 ;  "
            "python -m benchmarks --quick ;  "
            "python -m benchmarks --sizes 300000 --scenarios first-tag,no-op --profile prof/"
        ),
    )
    p.add_argument(
        "--sizes",
        type=_ints,
        default=DEFAULT_SIZES,
        metavar="N,N,…",
        help="library sizes in tracks (default 7500,50000,300000)",
    )
    p.add_argument(
        "--scenarios",
        type=_scenarios,
        default=SCENARIOS,
        metavar="S,S,…",
        help=f"which plexrate scenarios to run: {', '.join(SCENARIOS)} or all (default all)",
    )
    p.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    p.add_argument(
        "--latency",
        choices=PRESETS,
        default="plex",
        help="the emulator's latency preset for every scenario (default plex)",
    )
    p.add_argument(
        "--bulk-rows",
        type=int,
        default=30_000,
        metavar="N",
        help="track ratings the bulk scenario changes in the exported CSV (default 30000; "
        "all rows on smaller libraries)",
    )
    p.add_argument(
        "--old-sizes",
        type=_ints,
        default=(7_500,),
        metavar="N,…",
        help="sizes (among --sizes) at which to run the old-pattern client (default 7500)",
    )
    p.add_argument(
        "--old-scales",
        type=_floats,
        default=(0.1,),
        metavar="X,…",
        help="latency scales for the old-pattern client; its wall time is scaled back to 1 "
        "from the modeled latency the emulator reports (default 0.1; add 1 to cross-check)",
    )
    p.add_argument(
        "--old-tags",
        type=_old_tags,
        default=(True, False),
        metavar="both|tag|no-tag|none",
        help="old-pattern variants: with the inferred tag, without, both (default) or none",
    )
    p.add_argument(
        "--set",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="settings",
        help="a plexrate setting for every plexrate child, as PLEXRATE_KEY=VALUE (repeatable; "
        "e.g. --set PAGE_SIZE=500 --set WRITE_BATCH_SIZE=500)",
    )
    p.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run every plexrate child under pyinstrument and write text profiles to DIR "
        "(the times are then inflated by the profiler)",
    )
    p.add_argument("--output", type=Path, metavar="FILE", help="write every figure as JSON")
    p.add_argument(
        "--markdown", type=Path, metavar="FILE", help="write the tables to FILE, not stdout"
    )
    p.add_argument(
        "--workdir", type=Path, metavar="DIR", help="keep state files, plans and CSVs here"
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 500 tracks, latency none, old pattern (tag only) at scale 1, 200 bulk "
        "rows (about 20 s); overrides --sizes, --latency, --old-*, --bulk-rows",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.quick:
        args.sizes, args.latency = (500,), "none"
        args.old_sizes, args.old_scales, args.bulk_rows = (500,), (1.0,), 200
        args.old_tags = (True,)
    options = Options(
        latency=args.latency,
        seed=args.seed,
        bulk_rows=args.bulk_rows,
        old_scales=args.old_scales,
        old_tags=args.old_tags,
        old_sizes=args.old_sizes,
        scenarios=args.scenarios,
        profile_dir=args.profile,
        settings=dict(args.settings),
    )
    shown = ["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)]
    document: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "command": shlex.join(shown),
        "machine": machine(),
        "load_before": [round(x, 2) for x in load_average()],
        "latency": asdict(LatencyModel.preset(args.latency)),
        "cooldown": "runs use COOLDOWN_SLEEP=0; +cooldown is what 5 s per 25 write requests adds",
        "settings": dict(args.settings),
    }
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="plexrate-bench-"))
    sizes = []
    try:
        for tracks in args.sizes:
            run = SizeRun(tracks=tracks, workdir=workdir / f"{tracks}", options=options)
            sizes.append(run.run())
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    document["sizes"] = sizes
    document["load_after"] = [round(x, 2) for x in load_average()]
    if args.output:
        args.output.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    tables = markdown(document)
    if args.markdown:
        args.markdown.write_text(tables, encoding="utf-8")
    else:
        sys.stdout.write(tables)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
