"""Time the migration from the old tool's plex_state.json on a generated library, in process.

The old tool's work is laid down on the snapshot (every unrated item rated at full precision and
tagged, as v1.4 leaves it), its state file written and parsed back, then the migration decided
and summarised (``migration.summarise_migration``: the one rule for every entry, and the
whole-word/substring filler comparison over every track). No server: this is the cost a first
run adds to its snapshot read.

    python -m benchmarks.migration_speed --tracks 50000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from types import MappingProxyType
from typing import Any

from plexrate.emulator import generate_library
from plexrate.emulator.offline import snapshot_of
from plexrate.engine.config import EngineConfig
from plexrate.migration import summarise_migration
from plexrate.model import plex_rating
from plexrate.state import UuidCheck, parse_legacy

TAG = "Rating_Inferred"


def measure(tracks: int, seed: int) -> dict[str, Any]:
    snapshot = snapshot_of(generate_library(tracks=tracks, seed=seed))
    entries: dict[str, Any] = {}
    tagged: set[int] = set()
    replaced: dict[str, dict[int, Any]] = {"artists": {}, "albums": {}, "tracks": {}}
    for kind, rated in replaced.items():
        for key, item in getattr(snapshot, kind).items():
            if item.rating is None:
                value = 3.0 + (key % 97) * 0.0612345678
                entries[str(key)] = {"r": value, "t": 0}
                rated[key] = dataclasses.replace(item, rating=plex_rating(value))
                tagged.add(key)
    laid_down = dataclasses.replace(
        snapshot,
        artists=MappingProxyType({**snapshot.artists, **replaced["artists"]}),
        albums=MappingProxyType({**snapshot.albums, **replaced["albums"]}),
        tracks=MappingProxyType({**snapshot.tracks, **replaced["tracks"]}),
        tagged=MappingProxyType({TAG: frozenset(tagged)}),
    )
    raw = json.dumps({"version": "1.4", "library_uuid": snapshot.library_uuid, "ratings": entries})

    started = time.perf_counter()
    legacy = parse_legacy(raw.encode())
    parsed = time.perf_counter()
    summary = summarise_migration(
        legacy,
        laid_down,
        inferred_tag=TAG,
        filler=EngineConfig().filler,
        uuid_check=UuidCheck.MATCH,
    )
    decided = time.perf_counter()
    return {
        "tracks": tracks,
        "items": laid_down.size,
        "entries": len(entries),
        "file_bytes": len(raw),
        "parse_seconds": round(parsed - started, 3),
        "decide_and_summarise_seconds": round(decided - parsed, 3),
        "outcomes": summary.migration.counts(),
        "filler_titles_differ": summary.filler_differs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(measure(args.tracks, args.seed)))


if __name__ == "__main__":
    main()
