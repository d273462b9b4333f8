"""The person always wins: ratings set in Plex while plexrate writes are never overwritten.

A simulated person rates, clears and re-rates random items through the emulator's HTTP API
(``/:/rate``, as Plex Web does) while ``run``, ``admin undo``, ``bulk import`` and ``admin
sync-tags`` write, with the latency model on. The person acts right after one of plexrate's writes
has been applied and before plexrate has its answer (``Emulator.before_answer``), so every change
lands between two of plexrate's requests, after the snapshot: exactly what the check before each
write must catch. (A change landing between the check and its write, inside one request, cannot be
caught by any client; docs/real-servers.md says so.)

Checked: every value the person set is still in Plex when the command ends; a rerun ends in the
library a full run on the final ratings gives (a fresh library holding the person's values).
"""

from __future__ import annotations

import copy
import csv
import json
import random
import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest
import requests

from plexrate.emulator import Emulator, EmulatorLibrary
from plexrate.model import normalise_rating, same_rating
from plexrate.state import EntryStatus
from tests.e2e.e2e_support import TAG, music_section
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration]

SEEDS = (3, 11, 29)
TRACKS = 600
LATENCY = {"latency": "plex", "latency_scale": 0.5}


class Person:
    """Rates, clears and re-rates random items over HTTP every ``every``-th write of plexrate."""

    def __init__(self, emulator: Emulator, keys: Iterable[int], *, seed: int, every: int = 2):
        self.emulator = emulator
        self.keys = sorted(keys)
        self.rng = random.Random(seed)
        self.every = every
        self.set: dict[int, float | None] = {}
        """The person's last value per item (None: cleared)."""
        self.first_at: dict[int, float] = {}
        """When the person first touched each item (wall clock)."""
        self.acts = 0
        self._busy = threading.Lock()
        self._http = requests.Session()
        self._http.headers["X-Plex-Token"] = emulator.token

    def __call__(self, writes: int) -> None:
        # The person's own /:/rate requests are writes too and call the hook again.
        if writes % self.every or not self._busy.acquire(blocking=False):
            return
        try:
            for _ in range(self.rng.randint(1, 3)):
                self._act()
        finally:
            self._busy.release()

    def _act(self) -> None:
        if self.set and self.rng.random() < 0.3:
            key = self.rng.choice(sorted(self.set))  # re-rate (or clear) an item rated before
        else:
            key = self.rng.choice(self.keys)
        item = self.emulator.library.get(key)
        assert item is not None
        current = normalise_rating(item.user_rating)
        choices: list[float | None] = [float(v) for v in range(1, 11)]
        choices.append(None)
        # A person who touches a rating changes it (re-rating to the value Plex holds would be
        # indistinguishable from plexrate's own value to any tool).
        value = self.rng.choice([v for v in choices if not same_rating(v, current)])
        answer = self._http.put(
            f"{self.emulator.url}/:/rate",
            params={
                "key": key,
                "identifier": "com.plexapp.plugins.library",
                "rating": -1 if value is None else value,
            },
            timeout=30,
        )
        answer.raise_for_status()
        self.first_at.setdefault(key, time.time())
        self.set[key] = value
        self.acts += 1

    def overwritten(self) -> dict[int, tuple[float | None, float | None]]:
        """Items whose value is no longer the person's: key → (person's, Plex's now)."""
        out: dict[int, tuple[float | None, float | None]] = {}
        for key, value in self.set.items():
            item = self.emulator.library.get(key)
            now = None if item is None else normalise_rating(item.user_rating)
            if not same_rating(now, value):
                out[key] = (value, now)
        return out


def all_keys(dump: dict[str, Any]) -> list[int]:
    section = music_section(dump)
    return [raw["ratingKey"] for kind in ("artists", "albums", "tracks") for raw in section[kind]]


def library_state(dump: dict[str, Any]) -> dict[int, tuple[float | None, bool]]:
    """Each item's rating (one decimal) and whether it carries plexrate's tag."""
    section = music_section(dump)
    out: dict[int, tuple[float | None, bool]] = {}
    for kind in ("artists", "albums", "tracks"):
        for raw in section[kind]:
            rating = normalise_rating(raw.get("userRating"))
            tagged = any(m.casefold() == TAG.casefold() for m in raw.get("moods", ()))
            out[raw["ratingKey"]] = (None if rating is None else round(rating, 1), tagged)
    return out


def _inferred_a_step_apart(a: tuple[float | None, bool], b: tuple[float | None, bool]) -> bool:
    """Both inferred (tagged) and one rating step apart at most."""
    (x, x_tagged), (y, y_tagged) = a, b
    return x_tagged and y_tagged and x is not None and y is not None and abs(x - y) < 0.1 + 1e-9


def with_values(dump: dict[str, Any], values: dict[int, float | None]) -> EmulatorLibrary:
    """The library as dumped, holding ``values`` as ratings the person set by hand."""
    data = copy.deepcopy(dump)
    section = music_section(data)
    for kind in ("artists", "albums", "tracks"):
        for raw in section[kind]:
            if raw["ratingKey"] in values:
                value = values[raw["ratingKey"]]
                if value is None:
                    raw.pop("userRating", None)
                else:
                    raw["userRating"] = value
                raw["lastRatedAt"] = 1_800_000_000
    return EmulatorLibrary.from_dict(data)


def run_ok(cli: PlexrateCli, *args: str) -> str:
    result = cli.invoke(*args, "--apply", "--yes")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("seed", SEEDS)
def test_run_never_overwrites_the_person_and_a_rerun_ends_where_a_full_run_ends(
    cli_for: Any, seed: int
) -> None:
    # The person also clears, and the rerun's comparison needs a clear to be stamped: a
    # behaviour a real server is not known to have (docs/real-servers.md, "Rating
    # timestamps"), so the test names it.
    cli: PlexrateCli = cli_for(
        tracks=TRACKS,
        seed=seed,
        lenient={"clear-sets-last-rated"},
        **LATENCY,
    )
    initial = cli.emulator.dump()
    person = Person(cli.emulator, all_keys(initial), seed=seed)
    cli.emulator.before_answer(person)
    document = cli.ok_json("run", "--apply", "--yes")
    cli.emulator.before_answer(None)

    assert person.acts >= 10, "the person must have acted during the run"
    assert person.overwritten() == {}
    assert document["changed_in_plex"] > 0
    with cli.store() as store:
        written = {e.key for e in store.journal(status=EntryStatus.CONFIRMED)}
    # The summary counts the tracks the person rated that plexrate did not write (a real
    # server filters lastRatedAt on tracks only).
    tracks = {raw["ratingKey"] for raw in music_section(initial)["tracks"]}
    assert document["rated_in_plex_during_run"] == len((set(person.set) & tracks) - written)
    # admin verify explains each item the run left alone, with what Plex held at the check.
    checked = cli.invoke("admin", "verify", "--json")
    left = json.loads(checked.stdout)["left_to_you"]
    assert len(left) == document["changed_in_plex"]
    assert {entry["key"] for entry in left} <= set(person.set)
    assert all("Plex held" in e["note"] or "rated in Plex again" in e["note"] for e in left)

    run_ok(cli, "run")
    final = library_state(cli.emulator.dump())
    # What the person rated is theirs; what they cleared is unrated, which inference may fill.
    rated = {k: v for k, v in person.set.items() if v is not None}
    assert {k: final[k][0] for k in rated} == {k: round(v, 1) for k, v in rated.items()}

    reference: PlexrateCli = cli_for(with_values(initial, person.set))
    run_ok(reference, "run")
    expected = library_state(reference.emulator.dump())
    # A value plexrate holds is rewritten only when its inference moved by the rewrite threshold
    # (at least six tenths of a step, docs/inference.md): one written while the person's ratings
    # were still arriving may stay one step from what a fresh run writes. Everything else is
    # equal: the person's values, what is rated, what carries the tag.
    differ = {
        k: (final[k], expected[k])
        for k in final
        if final[k] != expected[k] and not _inferred_a_step_apart(final[k], expected[k])
    }
    assert differ == {}
    # And the library it ends in is settled: another run writes nothing.
    assert cli.ok_json("run", "--apply", "--yes")["written"] == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_undo_never_overwrites_the_person(cli_for: Any, seed: int) -> None:
    cli: PlexrateCli = cli_for(tracks=TRACKS, seed=seed, **LATENCY)
    initial = cli.emulator.dump()
    run_ok(cli, "run")
    person = Person(cli.emulator, all_keys(initial), seed=seed, every=1)
    cli.emulator.before_answer(person)
    run_ok(cli, "admin", "undo")
    cli.emulator.before_answer(None)

    assert person.acts >= 5
    assert person.overwritten() == {}
    # A second undo finishes nothing new for the person's items and restores every other one.
    run_ok(cli, "admin", "undo")
    assert person.overwritten() == {}
    before = {key: value[0] for key, value in library_state(initial).items()}
    after = library_state(cli.emulator.dump())
    for key, (rating, _) in after.items():
        want = person.set[key] if key in person.set else before[key]
        assert same_rating(rating, want), (key, rating, want)


@pytest.mark.parametrize("seed", SEEDS)
def test_bulk_import_never_overwrites_the_person(cli_for: Any, seed: int) -> None:
    cli: PlexrateCli = cli_for(tracks=TRACKS, seed=seed, **LATENCY)
    initial = cli.emulator.dump()
    path = cli.workdir / "tracks.csv"
    result = cli.invoke("bulk", "export", "--type", "track", str(path), "--yes")
    assert result.exit_code == 0, result.output
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(seed)
    for row in rng.sample(rows, len(rows) // 2):
        row["userRating"] = str(rng.choice([0.5, 1.5, 2.5, 3.5, 4.5]))
        row["ratingType"] = "manual"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    person = Person(cli.emulator, all_keys(initial), seed=seed, every=1)
    cli.emulator.before_answer(person)
    run_ok(cli, "bulk", "import", "--type", "track", str(path))
    cli.emulator.before_answer(None)
    assert person.acts >= 5
    assert person.overwritten() == {}


@pytest.mark.parametrize("seed", SEEDS)
def test_sync_tags_never_tags_what_the_person_rated(cli_for: Any, seed: int) -> None:
    cli: PlexrateCli = cli_for(tracks=TRACKS, seed=seed, **LATENCY)
    run_ok(cli, "run")
    owned = set(cli.owned())
    # Take plexrate's tag off every item it owns, so that sync-tags has much to put back.
    library = cli.emulator.library
    with library.lock:
        for key in owned:
            item = library.get(key)
            assert item is not None
            item.set_tags("mood", tuple(t for t in item.get_tags("mood") if t != TAG))
        library.bump()
    person = Person(cli.emulator, sorted(owned), seed=seed, every=1)
    cli.emulator.before_answer(person)
    run_ok(cli, "admin", "sync-tags")
    cli.emulator.before_answer(None)
    assert person.acts >= 5
    assert person.overwritten() == {}
    state = library_state(cli.emulator.dump())
    # An item the person re-rated is theirs now: plexrate's tag must not go back on it, unless
    # sync-tags had tagged it before the person touched it (the next run sees the hijack).
    with cli.store() as store:
        run_id = max(r.id for r in store.runs())
        tagged_at = {
            e.key: e.recorded_at
            for e in store.journal(run_id=run_id, status=EntryStatus.CONFIRMED)
            if e.add_tags
        }
    late = [k for k in person.set if state[k][1] and not tagged_at[k] < person.first_at[k]]
    assert late == []
    assert any(state[k][1] is False for k in person.set)
