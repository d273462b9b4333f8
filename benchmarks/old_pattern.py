"""A reference client that writes plexrate's result with the old tool's access pattern.

    python -m benchmarks.old_pattern --url URL --token TOKEN --plan plan.json [--library Music]

``plan.json`` is plexrate's dry-run plan (``plexrate run --dry-run --json``) for the same
library: the client writes exactly those values and tags, so its result can be compared with
plexrate's, but it reaches them the way the old tool did (plex-api.md §1.2 and §6,
original-tool.md), with **unmodified plexapi, auto-reload on and the default page size of 100**:

- Album-Up: list the albums; per album ``tracks()``; reading ``userRating`` of an unrated album
  reloads it (plexapi's auto-reload); ``rate()`` each unrated album.
- Artist-Up: list the artists; per artist ``albums()``; the same reload and ``rate()``.
- Album-Down: per album ``artist()``; ``rate()`` every album that was unrated again.
- Track-Down: per album ``tracks()``; each unrated track reloads and is rated.
- Twins: list every track; per twin candidate (same album artist and title, case-folded)
  ``album()``; ``rate()`` the unrated candidates.
- With a tag: after every ``rate()``, a reload to read the moods and ``addMood()`` (which resends
  the item's moods with the new one).

``plexrate.emulator.latency.old_tool_workload`` predicts the request counts of this pattern; the
benchmark compares the emulator's counts with it. The client prints its own counts as JSON.

This module is the one place outside ``plexrate.plex`` that imports plexapi (the benchmark
measures plexapi's own behaviour), and it must not import ``plexrate.plex``, which switches
auto-reload off.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any


def plan_targets(plan: Mapping[str, Any]) -> tuple[dict[int, float], dict[int, list[str]]]:
    """The final value and the tags to add per item key, from plexrate's plan JSON."""
    values: dict[int, float] = {}
    tags: dict[int, list[str]] = {}
    for change in plan["changes"]:
        key = int(change["key"])
        if change["set_rating"] and change["after"] is not None:
            values[key] = float(change["after"])
        if change["add_tags"]:
            tags[key] = list(change["add_tags"])
    return values, tags


class OldPatternClient:
    """Runs the five phases over one music section (a plexapi ``MusicSection``)."""

    def __init__(
        self, music: Any, *, values: Mapping[int, float], tags: Mapping[int, Sequence[str]]
    ) -> None:
        self.music = music
        self.values = values
        self.tags = tags
        self.calls: Counter[str] = Counter()
        self.unplanned: set[int] = set()
        """Items the old tool would have rated but plexrate's plan leaves alone (skipped)."""

    def _write(self, item: Any) -> None:
        key = int(item.ratingKey)
        value = self.values.get(key)
        if value is None:
            self.unplanned.add(key)
            return
        item.rate(value)
        self.calls["rate"] += 1
        tags = self.tags.get(key)
        if tags:
            item.reload()
            self.calls["moods_reload"] += 1
            item.addMood(list(tags))
            self.calls["add_mood"] += 1

    def run(self) -> None:
        albums = self.music.albums()
        self.calls["album_listing"] += 1
        unrated_albums = self.album_up(albums)
        self.artist_up()
        self.album_down(albums, unrated_albums)
        unrated_tracks = self.track_down(albums)
        self.twins(unrated_tracks)

    def album_up(self, albums: Iterable[Any]) -> set[int]:
        unrated: set[int] = set()
        for album in albums:
            album.tracks()
            self.calls["album_tracks"] += 1
            # An unrated partial object reloads itself here (auto-reload): one GET per album.
            if album.userRating is None:
                unrated.add(int(album.ratingKey))
                self._write(album)
        return unrated

    def artist_up(self) -> None:
        artists = self.music.all()
        self.calls["artist_listing"] += 1
        for artist in artists:
            artist.albums()
            self.calls["artist_albums"] += 1
            if artist.userRating is None:
                self._write(artist)

    def album_down(self, albums: Iterable[Any], unrated: set[int]) -> None:
        for album in albums:
            album.artist()
            self.calls["album_artist"] += 1
            # The old tool rewrites every album that is not manual (defect 2), again.
            if int(album.ratingKey) in unrated:
                self._write(album)

    def track_down(self, albums: Iterable[Any]) -> set[int]:
        unrated: set[int] = set()
        for album in albums:
            tracks = album.tracks()
            self.calls["album_tracks"] += 1
            for track in tracks:
                if track.userRating is None:
                    unrated.add(int(track.ratingKey))
                    self._write(track)
        return unrated

    def twins(self, unrated: set[int]) -> None:
        tracks = self.music.searchTracks()
        self.calls["track_listing"] += 1
        groups: dict[tuple[int, str], list[Any]] = {}
        for track in tracks:
            groups.setdefault((int(track.grandparentRatingKey), track.title.casefold()), []).append(
                track
            )
        for members in groups.values():
            if len(members) < 2:
                continue
            for track in members:
                track.album()
                self.calls["twin_album"] += 1
                if int(track.ratingKey) in unrated:
                    self._write(track)


def run(
    *, url: str, token: str, library: str, plan: Mapping[str, Any], timeout: float = 60.0
) -> dict[str, Any]:
    from plexapi.server import PlexServer

    values, tags = plan_targets(plan)
    began = time.perf_counter()
    plex = PlexServer(url, token, timeout=timeout)
    music = plex.library.section(library)
    client = OldPatternClient(music, values=values, tags=tags)
    client.run()
    return {
        "seconds": round(time.perf_counter() - began, 3),
        "calls": dict(sorted(client.calls.items())),
        "unplanned": len(client.unplanned),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.old_pattern",
        description="Write plexrate's plan with the old tool's per-item access pattern.",
    )
    parser.add_argument("--url", required=True, help="the (emulated) Plex server's URL")
    parser.add_argument("--token", required=True, help="its token")
    parser.add_argument("--library", default="Music", help="music section name (default Music)")
    parser.add_argument(
        "--plan", type=Path, required=True, help="plexrate's dry-run plan JSON for this library"
    )
    args = parser.parse_args(argv)
    plan = json.loads(args.plan.read_text(encoding="utf-8"))
    report = run(url=args.url, token=args.token, library=args.library, plan=plan)
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
