"""Hijacks through the real CLI: a rating plexrate wrote, changed by the person in Plex.

The next run of any phase command gives the item back to the person: it drops ownership and
the inferred tag, counts the hijack, keeps the person's value and never writes the item again
(defect 4: the old tool's twins option skipped this and overwrote the person's edit).
"""

from __future__ import annotations

from typing import Any

import pytest

from plexrate.engine import infer
from plexrate.model import ItemType
from plexrate.plex import connect, read_snapshot
from plexrate.settings import Settings
from tests.e2e.e2e_support import TAG
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration]


def rate_in_plex(cli: PlexrateCli, key: int, value: float) -> None:
    """What the person does in a Plex app: a ``/:/rate`` call through unmodified plexapi."""
    from plexapi.server import PlexServer

    PlexServer(cli.emulator.url, cli.token).fetchItem(key).rate(value)


def written_keys(cli: PlexrateCli) -> set[int]:
    keys: set[int] = set()
    for record in cli.emulator.requests():
        if record.method == "PUT" or record.path == "/:/rate":
            ids = record.param("id") or record.param("key") or ""
            keys.update(int(k) for k in ids.split(",") if k)
    return keys


def owned_of(cli: PlexrateCli, item_type: ItemType, *, twin: bool = False) -> list[int]:
    return sorted(
        key
        for key, item in cli.owned().items()
        if item.item_type is item_type and item.twin is twin
    )


def new_value(current: float | None) -> float:
    """A value clearly different from ``current`` (beyond the hijack tolerance)."""
    return 2.0 if current is None or current > 5 else 9.0


def test_a_changed_inferred_rating_becomes_the_persons(cli: PlexrateCli) -> None:
    cli.ok_json("run", "--apply")
    track = owned_of(cli, ItemType.TRACK)[0]
    album = owned_of(cli, ItemType.ALBUM)[0]
    library = cli.emulator.library
    values = {key: new_value(library.rating(key)) for key in (track, album)}
    for key, value in values.items():
        rate_in_plex(cli, key, value)

    preview = cli.ok_json("run")  # a dry run shows the hijacks and changes nothing
    hijacks = [c for c in preview["changes"] if c["phase"] == "hijack"]
    assert sorted(c["key"] for c in hijacks) == sorted(values)
    for change in hijacks:
        assert change["set_rating"] is False
        assert change["own"] is False
        assert change["remove_tags"] == [TAG]
        assert change["after"] == change["before"] == values[change["key"]]
    assert {track, album} <= set(cli.owned())

    cli.emulator.reset_stats()
    result = cli.invoke("run", "--apply")

    assert result.exit_code == 0, result.output
    assert "2 ratings plexrate had set were changed by you in Plex" in " ".join(
        result.stderr.split()
    )
    for key, value in values.items():
        assert library.rating(key) == value
        assert TAG not in library.item_tags(key, "mood")
    assert {track, album}.isdisjoint(cli.owned())
    # The hijack only took the tag off: no rating was sent for either item.
    hijack_writes = [
        r
        for r in cli.emulator.requests()
        if r.method == "PUT"
        and r.param("mood[].tag.tag-")
        and str(track) in (r.param("id") or "").split(",")
    ]
    assert len(hijack_writes) == 1
    assert hijack_writes[0].param("userRating.value") is None

    # From now on the items are the person's: later runs, even ones with work to do, leave them.
    cli.emulator.reset_stats()
    other = owned_of(cli, ItemType.TRACK)[-1]
    rate_in_plex(cli, other, new_value(library.rating(other)))
    later = cli.ok_json("run", "--apply")
    assert later["stats"]["hijacks"] == 1
    assert later["written"] > 1
    again = cli.ok_json("run", "--apply")
    assert again["stats"]["hijacks"] == 0
    assert {track, album}.isdisjoint(written_keys(cli))
    for key, value in values.items():
        assert library.rating(key) == value


@pytest.mark.parametrize("command", ["twins", "up-albums", "down-tracks"])
def test_any_single_phase_command_resolves_hijacks(cli: PlexrateCli, command: str) -> None:
    cli.ok_json("run", "--apply")
    track = owned_of(cli, ItemType.TRACK)[0]
    value = new_value(cli.emulator.library.rating(track))
    rate_in_plex(cli, track, value)

    document = cli.ok_json(command, "--apply")

    assert document["stats"]["hijacks"] == 1
    assert document["by_phase"]["hijack"] == 1
    assert cli.emulator.library.rating(track) == value
    assert TAG not in cli.emulator.library.item_tags(track, "mood")
    assert track not in cli.owned()


def test_twins_alone_keeps_a_twin_the_person_rerated_and_shares_its_value(
    cli: PlexrateCli,
) -> None:
    """Defect 4: a twin copy re-rated by the person is a manual anchor, not overwritten."""
    cli.ok_json("run", "--apply")
    settings = Settings()
    client = connect(url=cli.emulator.url, token=cli.token, library="Music")
    snapshot = read_snapshot(client, tags=[TAG])
    inference = infer(snapshot, owned=cli.owned(), config=settings.engine_config())
    owned = cli.owned()
    group = next(
        g
        for g in inference.twin_groups
        if not g.anchors and len(g.members) >= 2 and all(m in owned for m in g.members)
    )
    chosen, *others = group.members
    value = new_value(cli.emulator.library.rating(chosen))
    rate_in_plex(cli, chosen, value)

    document = cli.ok_json("twins", "--apply")

    library = cli.emulator.library
    assert document["stats"]["hijacks"] == 1
    assert library.rating(chosen) == value
    assert chosen not in cli.owned()
    assert TAG not in library.item_tags(chosen, "mood")
    for member in others:
        assert library.rating(member) == value
        assert cli.owned()[member].value == value
        assert cli.owned()[member].twin is True
    changes: dict[str, Any] = dict.fromkeys(("hijack", "twins"), 0)
    changes.update(document["by_phase"])
    assert changes == {"hijack": 1, "twins": len(others)}
