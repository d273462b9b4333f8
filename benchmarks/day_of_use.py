"""A simulated day of use: a person rating every few seconds, plexrate keeping up (issue 23).

    .venv/bin/python -m benchmarks.day_of_use --tracks 3000 --hours 24

The emulator runs on a simulated clock. Over ``--hours`` of it, a person rates tracks, albums and
artists in half stars (one action every ``--every`` seconds on average, some of them clears),
plays and skips tracks, and Plex adds an album now and then, deletes one and re-matches one. Every
``--cycle`` simulated seconds plexrate runs as ``plexrate watch`` does between two polls: a
``run --apply`` that reads only what changed (in this process, over real HTTP, to save a
process start per cycle).

It checks, after every cycle, that every rating the person set is still theirs, and at the end:

- that a whole read (``WHOLE_READ_HOURS=0``) plans nothing: the day ended in the library a full
  run gives;
- how the library compares with a fresh full run on it (plexrate's values and tags taken off):
  equal, or one step apart where the rewrite threshold keeps a value (docs/inference.md).

It reports the cycles, how each was read (change reads, whole reads and why), requests, writes
and the wall time a cycle took.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from benchmarks.harness import report
from plexrate.cli.app import app
from plexrate.emulator import Emulator, EmulatorLibrary, generate_library
from plexrate.emulator.library import AlbumItem, ArtistItem, ItemKind, TrackItem

TOKEN = "bench-token"
TAG = "Rating_Inferred"


class Clock:
    """The simulated time, in epoch seconds."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def _env(emu: Emulator, state: Path, **extra: str) -> dict[str, str]:
    # Config, logs and caches in the run's own folder, not the user's.
    home = {
        name: str(state.parent / name.lower())
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")
    }
    return {
        **home,
        "PLEXRATE_PLEX_URL": emu.url,
        "PLEXRATE_PLEX_TOKEN": TOKEN,
        "PLEXRATE_STATE_PATH": str(state),
        "PLEXRATE_NO_PAGER": "1",
        "PLEXRATE_COOLDOWN_SLEEP": "0",
        "PLEXAPI_PLEXAPI_AUTORELOAD": "false",
        **extra,
    }


def _run(emu: Emulator, state: Path, **extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["run", "--apply", "--yes", "--json", "--quiet"], env=_env(emu, state, **extra)
    )
    if result.exit_code != 0:
        raise SystemExit(f"run failed ({result.exit_code}): {result.output[-3000:]}")
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _values(emu: Emulator) -> dict[int, tuple[float | None, bool]]:
    out: dict[int, tuple[float | None, bool]] = {}
    for section in emu.dump()["sections"]:
        for kind in ("artists", "albums", "tracks"):
            for raw in section.get(kind, ()):
                rating = raw.get("userRating")
                tagged = any(m.casefold() == TAG.casefold() for m in raw.get("moods", ()))
                out[raw["ratingKey"]] = (None if rating is None else round(rating, 1), tagged)
    return out


def _without_plexrate(dump: dict[str, Any]) -> EmulatorLibrary:
    """The library with plexrate's ratings and tag taken off (items carrying the tag)."""
    for section in dump["sections"]:
        for kind in ("artists", "albums", "tracks"):
            for raw in section.get(kind, ()):
                moods = raw.get("moods", [])
                if any(m.casefold() == TAG.casefold() for m in moods):
                    raw.pop("userRating", None)
                    raw["moods"] = [m for m in moods if m.casefold() != TAG.casefold()]
    return EmulatorLibrary.from_dict(dump)


def _journal_of(state: Path, keys: list[int]) -> list[dict[str, Any]]:
    """What plexrate journaled for ``keys`` (to see how a person's rating was overwritten)."""
    import sqlite3

    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        columns = [r[1] for r in db.execute("PRAGMA table_info(journal)")]
        marks = ",".join("?" * len(keys))
        rows = db.execute(f"SELECT * FROM journal WHERE key IN ({marks})", keys).fetchall()
    return [{c: row[c] for c in columns} for row in rows]


class Person:
    """What the person does in Plex, on the simulated clock."""

    def __init__(self, emu: Emulator, rng: random.Random) -> None:
        self.emu = emu
        self.rng = rng
        self.set: dict[int, float] = {}
        self.actions: collections.Counter[str] = collections.Counter()

    def _pick(self, kind: ItemKind) -> int | None:
        keys = self.emu.library.keys(kind)
        return self.rng.choice(keys) if keys else None

    def _truth(self, key: int) -> float:
        item = self.emu.library.get(key)
        if isinstance(item, TrackItem):
            return item.true_rating if item.true_rating is not None else 6.0
        if isinstance(item, (AlbumItem, ArtistItem)) and item.latent:
            return float(item.latent.get("quality", 6.0))
        return 6.0

    def act(self) -> None:
        roll = self.rng.random()
        if roll < 0.35:
            key = self._pick("track")
            if key is not None:
                (self.emu.play if self.rng.random() < 0.7 else self.emu.skip)(key)
                self.actions["play or skip"] += 1
            return
        kind: ItemKind = "track" if roll < 0.85 else ("album" if roll < 0.96 else "artist")
        key = self._pick(kind)
        if key is None:
            return
        if self.rng.random() < 0.1:
            self.emu.person_rate(key, None)
            self.set.pop(key, None)
            self.actions["clear"] += 1
        else:
            # As the person rates: near the item's latent quality, in half stars (whole
            # numbers on Plex's 0-10 scale), not at random, which would drag the prior.
            centre = self._truth(key)
            value = float(min(10, max(1, round(self.rng.gauss(centre, 1.0)))))
            self.emu.person_rate(key, value)
            self.set[key] = value
            self.actions[f"rate {kind}"] += 1

    def add_album(self) -> None:
        artist = self._pick("artist") if self.rng.random() < 0.7 else None
        self.emu.add_album(artist, tracks=self.rng.randint(4, 14), seed=self.rng.randrange(1 << 30))
        self.actions["album added"] += 1

    def delete_album(self) -> None:
        key = self._pick("album")
        if key is not None:
            for gone in self.emu.delete([key]):
                self.set.pop(gone, None)
            self.actions["album deleted"] += 1

    def rematch_album(self) -> None:
        key = self._pick("album")
        if key is not None:
            moved = self.emu.rematch_album(key, seed=self.rng.randrange(1 << 30))
            for old, new in moved.items():
                if old in self.set:
                    self.set[new] = self.set.pop(old)
            self.actions["album re-matched"] += 1

    def overwritten(self) -> dict[int, tuple[float, float | None]]:
        """The person's ratings that no longer hold their value."""
        out: dict[int, tuple[float, float | None]] = {}
        for key, value in self.set.items():
            item = self.emu.library.get(key)
            held = None if item is None else item.user_rating
            if held is None or abs(held - value) > 1e-6:
                out[key] = (value, held)
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=3000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--every", type=float, default=5.0, help="mean seconds between actions")
    parser.add_argument("--cycle", type=float, default=60.0, help="seconds between two runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path)
    parser.add_argument(
        "--lenient",
        action="append",
        default=[],
        metavar="NAME",
        help="serve with this emulator leniency (repeatable): album-artist-rated-filters and "
        "album-artist-updated-filters let artists and albums be read by their changes",
    )
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    clock = Clock(time.time())
    library = generate_library(tracks=args.tracks, seed=args.seed)
    reads: collections.Counter[str] = collections.Counter()
    cycle_seconds: list[float] = []
    requests = writes = 0
    broken: list[dict[str, Any]] = []
    by_phase: collections.Counter[str] = collections.Counter()
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as folder,
        Emulator(library, token=TOKEN, clock=clock, lenient=set(args.lenient)) as emu,
    ):
        state = Path(folder) / "plexrate_state.sqlite"
        person = Person(emu, rng)
        first = _run(emu, state)
        end = clock.now + args.hours * 3600
        next_action = clock.now + rng.expovariate(1 / args.every)
        next_add = clock.now + rng.expovariate(1 / 2700)
        next_delete = clock.now + rng.expovariate(1 / 7200)
        next_rematch = clock.now + rng.expovariate(1 / 21600)
        cycles = 0
        while clock.now < end:
            cycle_end = clock.now + args.cycle
            while next_action < cycle_end:
                clock.now = next_action
                person.act()
                next_action += rng.expovariate(1 / args.every)
            for due, action, mean in (
                (next_add, person.add_album, 2700),
                (next_delete, person.delete_album, 7200),
                (next_rematch, person.rematch_album, 21600),
            ):
                if due < cycle_end:
                    clock.now = due
                    action()
                    if action == person.add_album:
                        next_add = due + rng.expovariate(1 / mean)
                    elif action == person.delete_album:
                        next_delete = due + rng.expovariate(1 / mean)
                    else:
                        next_rematch = due + rng.expovariate(1 / mean)
            clock.now = cycle_end
            before = emu.stats().requests
            tick = time.monotonic()
            document = _run(emu, state)
            cycle_seconds.append(time.monotonic() - tick)
            requests += emu.stats().requests - before
            writes += document.get("written") or 0
            by_phase.update(document.get("by_phase") or {})
            read = document["read"]
            reads["changes" if not read["whole"] else f"whole: {read['why']}"] += 1
            cycles += 1
            lost = person.overwritten()
            if lost:
                broken.append(
                    {
                        "cycle": cycles,
                        "overwritten": len(lost),
                        "examples": [
                            {"key": k, "person": v, "held": h}
                            for k, (v, h) in list(lost.items())[:5]
                        ],
                        "journal": _journal_of(state, list(lost)[:5]),
                    }
                )
                # Counted once: the person's value is theirs again from here on.
                for key in lost:
                    person.set.pop(key, None)
        final_check = _run(emu, state, PLEXRATE_WHOLE_READ_HOURS="0")
        final = _values(emu)
        dump = emu.dump()
        person_set = dict(person.set)
        actions = dict(person.actions)
    with (
        Emulator(_without_plexrate(dump), token=TOKEN) as fresh,
        tempfile.TemporaryDirectory() as f,
    ):
        _run(fresh, Path(f) / "plexrate_state.sqlite")
        reference = _values(fresh)
    compared: collections.Counter[str] = collections.Counter()
    for key, (value, tagged) in final.items():
        other = reference.get(key)
        if other == (value, tagged):
            compared["equal"] += 1
        elif (
            other is not None
            and tagged
            and other[1]
            and value is not None
            and other[0] is not None
            and abs(value - other[0]) < 0.1 + 1e-9
        ):
            compared["one step apart, both inferred"] += 1
        else:
            compared["different"] += 1
    results = {
        "tracks": args.tracks,
        "lenient": sorted(args.lenient),
        "simulated_hours": args.hours,
        "seconds_between_actions": args.every,
        "seconds_between_cycles": args.cycle,
        "first_run_written": first.get("written"),
        "cycles": cycles,
        "reads": dict(reads),
        "requests": requests,
        "requests_per_cycle": round(requests / max(cycles, 1), 1),
        "written": writes,
        "written_per_cycle": round(writes / max(cycles, 1), 2),
        "written_by_phase": dict(by_phase),
        "cycle_wall_seconds": {
            "median": round(statistics.median(cycle_seconds), 3) if cycle_seconds else None,
            "max": round(max(cycle_seconds), 3) if cycle_seconds else None,
        },
        "person": actions,
        "person_ratings_held_at_the_end": len(person_set),
        "cycles_with_a_person_rating_overwritten": broken,
        "whole_read_at_the_end_written": final_check.get("written"),
        "whole_read_at_the_end_planned": final_check.get("planned"),
        "against_a_fresh_full_run": dict(compared),
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    report(results, args.output)
    return 0 if not broken and final_check.get("written") == 0 else 1


if __name__ == "__main__":
    os.environ.setdefault("PLEXRATE_NO_PAGER", "1")
    raise SystemExit(main())
