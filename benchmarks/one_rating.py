"""How far one new rating moves the hierarchical model and the values it gives.

    .venv/bin/python -m benchmarks.one_rating --tracks 3000 --seed 5 --values 1,3.5

A person who rates one more track should see that track's album, artist and unrated neighbours
move, and little else. This benchmark infers a generated library (no server: the records the HTTP
snapshot reads, ``plexrate.emulator.offline``), then, for each value in ``--values`` (stars),
rates one unrated track at it (``--key``; by default the unrated track in the middle of the
library's order) and infers again from scratch. It reports every fitted parameter that moved and
how many values moved by at least the rewrite threshold (what a run would rewrite), split into
the rated track's own album and artist and everything else.

Found with it (docs/benchmarks.md, "One rating"): on the 3,000-track library of seed 5, track
2542 rated 1★ moves 1,886 of 3,379 values, 1,851 of them outside its album and artist, through
the critic calibration (``critic_scale`` 1.01 → 0.89, ``critic_offset`` 0.15 → 0.96), which every
album with a critic rating leans on; rated 3.5★, 400. The default track moves about 210 either
way.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.harness import report
from plexrate.emulator import generate_library
from plexrate.emulator.offline import snapshot_of
from plexrate.engine import EngineConfig, Inference, infer
from plexrate.engine.precision import rewrite_threshold
from plexrate.model import LibrarySnapshot

AT = 1_800_000_000  # when the person rates (no date is compared here)


def _moved(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, old in before.items():
        new = after.get(name)
        if isinstance(old, int | float) and isinstance(new, int | float):
            if abs(float(old) - float(new)) > 1e-6:
                out[name] = [round(float(old), 4), round(float(new), 4)]
        elif old != new:
            out[name] = [old, new]
    return out


def _parameters(inference: Inference) -> dict[str, Any]:
    if inference.model is None:
        raise SystemExit("this benchmark measures the hierarchical model (the default)")
    return asdict(inference.model.parameters)


def _neighbours(snapshot: LibrarySnapshot, key: int) -> set[int]:
    """The rated track's album and artist, and every track of either."""
    track = snapshot.tracks[key]
    keys = {track.album_key, track.artist_key}
    keys.update(
        k
        for k, t in snapshot.tracks.items()
        if t.album_key == track.album_key or t.artist_key == track.artist_key
    )
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--key", type=int, help="the track to rate (default: a middle unrated one)")
    parser.add_argument("--values", default="1,3.5", help="stars to rate it at, comma-separated")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    library = generate_library(tracks=args.tracks, seed=args.seed)
    config = EngineConfig()
    snapshot = snapshot_of(library)
    unrated = [k for k, t in snapshot.tracks.items() if t.rating is None]
    key = args.key if args.key is not None else unrated[len(unrated) // 2]
    if key not in snapshot.tracks or snapshot.tracks[key].rating is not None:
        raise SystemExit(f"track {key} is not an unrated track of this library")
    base = infer(snapshot, owned={}, config=config)
    threshold = rewrite_threshold(
        snapshot.size, dynamic=config.dynamic_precision, step=config.rating_step
    )
    near = _neighbours(snapshot, key)
    results: dict[str, Any] = {
        "tracks": args.tracks,
        "seed": args.seed,
        "key": key,
        "rewrite_threshold": threshold,
        "ratings": {},
    }
    for stars in (float(v) for v in args.values.split(",")):
        library.person_rate(key, stars * 2, at=AT)
        again = infer(snapshot_of(library), owned={}, config=config)
        library.person_rate(key, None, at=AT)
        moved = [
            k
            for k, value in base.values.items()
            if k != key
            and value is not None
            and again.values.get(k) is not None
            and abs(again.values[k] - value) >= threshold
        ]
        results["ratings"][f"{stars:g}"] = {
            "values": len(base.values),
            "moved": len(moved),
            "moved_near": sum(1 for k in moved if k in near),
            "moved_elsewhere": sum(1 for k in moved if k not in near),
            "parameters_moved": _moved(_parameters(base), _parameters(again)),
        }
    report(results, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
