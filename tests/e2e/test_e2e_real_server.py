"""The whole cycle with default settings against an emulator as strict as a real Plex server.

Default settings (no PAGE_SIZE, no write mode chosen), the strict emulator (ratings kept to one
decimal, pages refused above 1000 or without a size): ``run --apply`` succeeds, a rerun writes
nothing and keeps every ownership record, ``admin verify`` agrees, ``admin undo`` restores the
library. The same with an album deleted in Plex while the run writes.
"""

from __future__ import annotations

from typing import Any

import pytest

from plexrate.emulator.strictness import STRICT
from tests.e2e.e2e_support import moods, ratings
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def one_decimal(value: float | None) -> bool:
    return value is None or round(value, 1) == value


def library_view(dump: dict[str, Any]) -> tuple[dict[int, float | None], dict[int, Any]]:
    return ratings(dump), moods(dump)


def full_cycle(
    cli: PlexrateCli, initial: dict[str, Any], *, gone: set[int], settle: bool = False
) -> None:
    """After a first run: rerun, verify and undo behave as on a quiet library.

    ``settle``: the library lost items during the first run, so the model fitted to what is left
    differs a little from the one the first run used; one rerun rewrites the values that moved by
    ε or more, and from then on the library is quiet.
    """
    emulator = cli.emulator
    stored = ratings(emulator.dump())
    assert all(one_decimal(v) for v in stored.values())
    owned = cli.owned()
    assert owned, "the run owns what it wrote"
    # The owned value is exactly what Plex holds, so the next run sees no hijack.
    assert {k: o.value for k, o in owned.items()} == {k: stored[k] for k in owned}
    assert cli.pending() == []

    if settle:
        settled = cli.ok_json("run", "--apply")
        assert settled["failed"] == 0
        assert settled["written"] < len(owned) // 10
        owned = cli.owned()
    emulator.reset_stats()
    again = cli.ok_json("run", "--apply")
    assert (again["planned"], again["written"], emulator.stats().writes) == (0, 0, 0)
    assert set(cli.owned()) == set(owned)

    verdict = cli.invoke("admin", "verify", "--json")
    assert verdict.exit_code == 0, verdict.output

    undone = cli.ok_json("admin", "undo", "--apply", "--yes")
    assert undone["failed"] == 0
    before_ratings, before_moods = library_view(initial)
    after_ratings, after_moods = library_view(emulator.dump())
    assert after_ratings == {k: v for k, v in before_ratings.items() if k not in gone}
    assert after_moods == {k: v for k, v in before_moods.items() if k not in gone}


def test_default_settings_on_a_strict_server(cli_for: Any) -> None:
    cli = cli_for(tracks=3000, seed=13)
    assert cli.emulator.strictness == STRICT
    initial = cli.emulator.dump()
    first = cli.ok_json("run", "--apply")
    assert first["failed"] == 0 and first["vanished"] == 0 and first["written"] > 0
    assert first["write_mode"] == "auto"
    full_cycle(cli, initial, gone=set())


def test_an_album_deleted_while_run_writes(cli_for: Any) -> None:
    cli = cli_for(tracks=2000, seed=17)
    emulator = cli.emulator
    unrated = [a for a in emulator.library.keys("album") if emulator.library.rating(a) is None]
    album = unrated[len(unrated) // 2]
    gone = {album, *emulator.library.children_of(album)}
    initial = emulator.dump()
    emulator.after_write(lambda n: emulator.delete([album]) if n == 3 else None)
    first = cli.ok_json("run", "--apply")
    emulator.after_write(None)
    assert first["failed"] == 0
    assert first["vanished"] >= 1, "some of the album's writes came after it was deleted"
    assert all(emulator.library.item(k) is None for k in gone)
    full_cycle(cli, initial, gone=gone, settle=True)
