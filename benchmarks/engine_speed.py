"""How fast the inference engine is on a large synthetic library (no server involved).

    .venv/bin/python benchmarks/engine_speed.py                      # 300k tracks + 50k evaluate
    .venv/bin/python benchmarks/engine_speed.py --tracks 50000 --artists 2000 --albums 4500
    .venv/bin/python benchmarks/engine_speed.py --memory --plays --model hierarchical

Builds a seeded snapshot in memory (a few rated tracks per album, some rated albums and artists,
an ownership record for part of the rest as after an earlier run, a share of duplicate recordings),
then times each engine step: building the index, ``infer``, ``build_plan``, a second ``infer``
reusing the index, and ``infer`` with hidden ratings (what ``plexrate evaluate`` repeats).
``--memory`` also reports the peak of Python allocations during ``infer`` + ``build_plan``
(tracemalloc slows everything down, so it runs separately from the timings).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from types import MappingProxyType
from typing import TypeVar

from plexrate.engine import EngineConfig, InferenceModel, LibraryIndex, build_plan, infer
from plexrate.model import Album, Artist, ItemType, LibrarySnapshot, OwnedItem, Track

T = TypeVar("T")

WORDS = (
    "love",
    "night",
    "blue",
    "fire",
    "river",
    "heart",
    "road",
    "dream",
    "light",
    "rain",
    "city",
    "gold",
    "ghost",
    "summer",
    "wild",
    "home",
    "stone",
    "song",
    "world",
    "time",
    "star",
    "dance",
    "shadow",
    "sea",
    "sky",
    "moon",
    "girl",
    "boy",
    "train",
    "storm",
)
FILLER_TITLES = ("Intro", "Outro", "Interlude (Skit)", "Applause")


def build_library(
    *, artists: int, albums: int, tracks: int, seed: int, plays: bool = False
) -> tuple[LibrarySnapshot, dict[int, OwnedItem]]:
    rng = random.Random(seed)
    artist_map: dict[int, Artist] = {}
    album_map: dict[int, Album] = {}
    track_map: dict[int, Track] = {}
    owned: dict[int, OwnedItem] = {}
    inferred_tagged: set[int] = set()
    next_key = 1

    def title(n: int) -> str:
        return " ".join(rng.choice(WORDS).capitalize() for _ in range(n))

    for _ in range(artists):
        name = title(rng.randint(1, 3))
        if rng.random() < 0.1:
            name = "The " + name
        artist_map[next_key] = Artist(
            key=next_key,
            title=name,
            sort_title=name.removeprefix("The "),
            rating=rng.choice((None,) * 9 + (8.0,)),
        )
        next_key += 1
    artist_keys = list(artist_map)
    for _ in range(albums):
        artist = artist_map[rng.choice(artist_keys)]
        name = title(rng.randint(1, 4))
        album_map[next_key] = Album(
            key=next_key,
            title=name,
            sort_title=name,
            artist_key=artist.key,
            artist_title=artist.title,
            rating=rng.choice((None,) * 19 + (7.0,)),
            critic_rating=rng.choice((None, None, 6.5, 8.0)),
            live=rng.random() < 0.05,
        )
        next_key += 1
    album_keys = list(album_map)
    per_album = tracks / albums
    repertoire: dict[int, list[str]] = {}
    for count in range(tracks):
        album = album_map[album_keys[min(int(count / per_album), len(album_keys) - 1)]]
        songs = repertoire.setdefault(album.artist_key, [])
        roll = rng.random()
        if songs and roll < 0.08:
            name = rng.choice(songs)  # the same recording on another album: a twin
        elif roll < 0.1:
            name = rng.choice(FILLER_TITLES)
        else:
            name = title(rng.randint(1, 4))
            songs.append(name)
        rating = rng.choice((2.0, 4.0, 6.0, 7.0, 8.0, 10.0)) if rng.random() < 0.2 else None
        track_map[next_key] = Track(
            key=next_key,
            title=name,
            album_key=album.key,
            artist_key=album.artist_key,
            album_title=album.title,
            album_artist=album.artist_title,
            duration_ms=rng.choice((None, 30_000)) if roll < 0.002 else 200_000 + len(name) * 997,
            rating=rating,
            index=count % 12 + 1,
        )
        if plays:
            # Listening counts as Plex serves them: every track's values then differ.
            track_map[next_key] = dataclasses.replace(
                track_map[next_key],
                plays=int(rng.expovariate(0.2)),
                skips=int(rng.expovariate(1.0)),
                popularity=int(rng.expovariate(1 / 2000)) + 1,
            )
        if rating is None and rng.random() < 0.3:
            value = rng.choice((5.5, 6.0, 6.5))
            track_map[next_key] = dataclasses.replace(track_map[next_key], rating=value)
            owned[next_key] = OwnedItem(key=next_key, item_type=ItemType.TRACK, value=value)
            inferred_tagged.add(next_key)
        next_key += 1

    snapshot = LibrarySnapshot(
        library_uuid="bench",
        section_id=1,
        section_title="Music",
        artists=MappingProxyType(artist_map),
        albums=MappingProxyType(album_map),
        tracks=MappingProxyType(track_map),
        tagged=MappingProxyType({"Rating_Inferred": frozenset(inferred_tagged)}),
    )
    return snapshot, owned


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[T, float]:
    """Best wall time of ``repeat`` runs, with the garbage collector as in normal use."""
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return result, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=300_000)
    parser.add_argument("--albums", type=int, default=27_000)
    parser.add_argument("--artists", type=int, default=12_000)
    parser.add_argument("--eval-tracks", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory", action="store_true", help="also measure peak allocations")
    parser.add_argument(
        "--plays", action="store_true", help="give tracks plays, skips and popularity"
    )
    parser.add_argument(
        "--model", choices=[m.value for m in InferenceModel], default=None, help="default: theirs"
    )
    args = parser.parse_args(argv)
    config = EngineConfig()
    if args.model is not None:
        config = dataclasses.replace(config, inference_model=InferenceModel(args.model))

    started = time.perf_counter()
    snapshot, owned = build_library(
        artists=args.artists,
        albums=args.albums,
        tracks=args.tracks,
        seed=args.seed,
        plays=args.plays,
    )
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"library: {len(snapshot.artists):,} artists, {len(snapshot.albums):,} albums, "
        f"{len(snapshot.tracks):,} tracks, {len(owned):,} owned "
        f"(built in {time.perf_counter() - started:.1f}s)"
    )

    index, t_index = timed(lambda: LibraryIndex.build(snapshot, config))
    inference, t_infer = timed(
        lambda: infer(snapshot, owned=owned, config=config, index=index), repeat=3
    )
    plan, t_plan = timed(
        lambda: build_plan(snapshot, owned=owned, config=config, inference=inference), repeat=3
    )
    _, t_cold = timed(lambda: build_plan(snapshot, owned=owned, config=config))
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"  LibraryIndex.build         {t_index:7.3f} s")
    print(f"  infer (index reused)       {t_infer:7.3f} s")
    print(f"  build_plan                 {t_plan:7.3f} s   ({len(plan):,} changes)")
    print(f"  build_plan from scratch    {t_cold:7.3f} s   (index + infer + plan)")
    print(f"  peak RSS growth            {(rss_after - rss_before) / 1024:7.0f} MiB")

    if args.memory:
        gc.collect()
        tracemalloc.start()
        build_plan(snapshot, owned=owned, config=config)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  peak allocations (index + infer + plan, tracemalloc) {peak / 2**20:.0f} MiB")

    if args.eval_tracks:
        scale = args.eval_tracks / args.tracks
        small, small_owned = build_library(
            artists=max(1, int(args.artists * scale)),
            albums=max(1, int(args.albums * scale)),
            tracks=args.eval_tracks,
            seed=args.seed,
        )
        small_index = LibraryIndex.build(small, config)
        manual = sorted(k for k, t in small.tracks.items() if t.rating and k not in small_owned)
        rng = random.Random(args.seed)
        times = []
        for _ in range(10):
            hidden = frozenset(rng.sample(manual, max(1, len(manual) // 10)))
            _, t = timed(
                lambda h=hidden: infer(  # type: ignore[misc]
                    small, owned=small_owned, config=config, hidden=h, index=small_index
                )
            )
            times.append(t)
        print(
            f"evaluate-style infer on {len(small.tracks):,} tracks, 10% of "
            f"{len(manual):,} manual ratings hidden, index reused: "
            f"median {statistics.median(times):.3f} s, max {max(times):.3f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
