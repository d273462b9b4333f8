"""How many requests ``read_snapshot`` sends, and how long it takes, against generated libraries.

Starts an emulator in this process (latency ``none``) over a generated library, reads the
snapshot once as a first run sees it (no item carries plexrate's tag) and once as a later run
sees it (every item that had no rating of its own carries the tag), and prints one JSON line
per size with the requests the emulator counted, the figure the formula in
``plexrate.plex.snapshot`` gives, and the time taken. Figures are in ``docs/benchmarks.md``.

    python -m benchmarks.snapshot_requests --tracks 2000 30000 300000 --page-size 1000
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

from plexrate.emulator import Emulator, generate_library
from plexrate.emulator.library import EmulatorLibrary
from plexrate.plex import connect, read_snapshot

TAG = "Rating_Inferred"


def _pages(n: int, size: int) -> int:
    return max(1, math.ceil(n / size))


def formula(library: EmulatorLibrary, *, page_size: int) -> int:
    """The docstring's count: per type the tag lookup, then a count and the two halves split by
    the tag (or the plain listing when no item carries it); the Live lookup and pages."""
    section = library.default_section
    live = sum(1 for a in section.albums if any(s.casefold() == "live" for s in a.subformats))
    total = 1 + math.ceil(live / page_size)
    for kind in ("artist", "album", "track"):
        items = len(section.items(kind))
        carriers = len(library.tagged(TAG, kind=kind))
        total += 1
        if carriers:
            total += 1 + _pages(carriers, page_size) + _pages(items - carriers, page_size)
        else:
            total += _pages(items, page_size)
    return total


def tag_unrated(library: EmulatorLibrary) -> None:
    """What a full run leaves: plexrate's tag on every item without a rating of its own."""
    with library.lock:
        for kind in ("artist", "album", "track"):
            for item in library.default_section.items(kind):
                if item.user_rating is None:
                    item.moods = (*item.moods, TAG)
        library.bump()


def measure(tracks: int, seed: int, page_size: int) -> dict[str, Any]:
    started = time.perf_counter()
    library = generate_library(tracks=tracks, seed=seed)
    generated = time.perf_counter() - started
    out: dict[str, Any] = {
        "tracks": tracks,
        "seed": seed,
        "page_size": page_size,
        **{k: v for k, v in library.counts().items() if k != "tracks"},
        "generate_s": round(generated, 1),
    }
    with Emulator(library, token="benchmark-token") as emu:
        client = connect(url=emu.url, token=emu.token, library=emu.section_title)
        for label in ("first_run", "tagged"):
            if label == "tagged":
                tag_unrated(library)
            emu.reset_stats()
            started = time.perf_counter()
            snapshot = read_snapshot(client, tags=[TAG], page_size=page_size)
            seconds = time.perf_counter() - started
            stats = emu.stats()
            out[label] = {
                "requests": stats.requests,
                "items_listed": stats.items_returned,
                "formula": formula(library, page_size=page_size),
                "tagged_items": len(snapshot.tagged[TAG]),
                "seconds": round(seconds, 1),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, nargs="+", default=[2000, 30000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    for tracks in args.tracks:
        print(json.dumps(measure(tracks, args.seed, args.page_size)), flush=True)


if __name__ == "__main__":
    main()
