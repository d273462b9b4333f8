"""Coming from the old tool: its config and plex_state.json as it really leaves them, end to end.

The library is generated; the old tool's work is then laid down on the (strict) emulator as it
would have left it (original-tool.md §1): full-precision values stored by Plex at one decimal and
tagged, a twin cluster with a manual anchor written as ``t: 2`` for every member (only the changed
member tagged), and a value the person re-rated afterwards. plexrate then runs with the old
tool's own config.json, reruns, and undoes; the library must end as it was before the old tool
ran, with every rating the person set intact.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from plexrate.emulator import Emulator
from plexrate.model import plex_rating
from tests.e2e.e2e_support import TAG, moods, ratings
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration]

LEGACY_DATA = Path(__file__).resolve().parents[1] / "data" / "legacy"


@dataclass
class OldToolHistory:
    """What the old tool did to the library, and what the person did after it."""

    before: dict[int, float | None]
    """Every item's rating before the old tool ran."""
    moods_before: dict[int, tuple[str, ...]]
    inferred: dict[int, float]
    """Items the old tool rated, with the full-precision value its state file records."""
    anchor: int
    """A track the person rated, in a twin cluster the old tool filled (``t: 2``)."""
    member: int
    """The unrated copy the old tool gave the anchor's value (``t: 2``, tagged)."""
    rerated: int
    """One of the old tool's items the person rated by hand afterwards."""
    rerated_to: float

    def person(self) -> dict[int, float]:
        """Every rating the person set: before the old tool, and the one re-rated since."""
        mine = {k: v for k, v in self.before.items() if v is not None}
        mine[self.rerated] = self.rerated_to
        return mine


def lay_down_old_tool(emulator: Emulator) -> OldToolHistory:
    library = emulator.library
    dump = emulator.dump()
    before = ratings(dump)
    moods_before = moods(dump)
    unrated = {
        kind: sorted(k for k in library.keys(kind) if before[k] is None)
        for kind in ("artist", "album", "track")
    }
    rated_tracks = sorted(k for k in library.keys("track") if before[k] is not None)
    chosen = unrated["track"][:24] + unrated["album"][:6] + unrated["artist"][:3]
    inferred = {key: 4.0 + (i % 11) * 0.5123456789 for i, key in enumerate(chosen)}
    anchor, member = rated_tracks[0], unrated["track"][30]
    anchor_value = before[anchor]
    assert anchor_value is not None
    inferred[member] = anchor_value
    for key, value in inferred.items():
        item = library.get(key)
        assert item is not None
        item.user_rating = plex_rating(value)
        item.moods = (*item.moods, TAG)
    rerated = chosen[0]
    person_value = 9.0 if plex_rating(inferred[rerated]) != 9.0 else 8.0
    library.get(rerated).user_rating = person_value  # type: ignore[union-attr]
    return OldToolHistory(
        before=before,
        moods_before=moods_before,
        inferred=inferred,
        anchor=anchor,
        member=member,
        rerated=rerated,
        rerated_to=person_value,
    )


def person_rates(emulator: Emulator, key: int, value: float) -> None:
    """A rating set in a Plex app: one /:/rate request."""
    query: dict[str, str | int | float] = {
        "key": key,
        "identifier": "com.plexapp.plugins.library",
        "rating": value,
    }
    response = requests.put(
        f"{emulator.url}/:/rate",
        params=query,
        headers={"X-Plex-Token": emulator.token},
        timeout=10,
    )
    response.raise_for_status()


def state_file(history: OldToolHistory, uuid: str, *, version: str) -> dict[str, Any]:
    """plex_state.json as that release writes it (original-tool.md §1, "What real files hold")."""
    entries: dict[str, Any] = {}
    anchor_value = history.before[history.anchor]
    assert anchor_value is not None
    for key, value in history.inferred.items():
        if version == "1.4":
            entries[str(key)] = {"r": value, "t": 2 if key == history.member else 0}
        else:
            twin = 1 if key == history.member else 0
            entries[str(key)] = {"r": round(value, 1), "t": twin, "m": False}
    if version == "1.4":
        entries[str(history.anchor)] = {"r": anchor_value, "t": 2}
    else:
        entries[str(history.anchor)] = {"r": anchor_value, "t": 1, "m": True}
    entries["987654321"] = {"r": 6.5, "t": 0}  # an item deleted since
    return {"version": version, "library_uuid": uuid, "ratings": entries}


def set_up(cli: PlexrateCli, version: str) -> tuple[OldToolHistory, Path]:
    history = lay_down_old_tool(cli.emulator)
    config = cli.workdir / "config.json"
    shutil.copy(LEGACY_DATA / f"config-v{version}.json", config)
    (cli.workdir / "plex_state.json").write_text(
        json.dumps(state_file(history, cli.emulator.section_uuid, version=version), indent=2)
    )
    # The old config's pauses (5 s every 25 writes) would only slow the test down.
    cli.env.update(PLEXRATE_COOLDOWN_SLEEP="0", PLEXRATE_COOLDOWN_SLEEP_SINGLE="0")
    cli.env.pop("PLEXRATE_LEGACY_STATE_PATH", None)
    return history, config


@pytest.mark.parametrize("version", ["1.4", "1.5"])
def test_old_tool_state_run_rerun_undo(cli_for: Any, version: str) -> None:
    cli: PlexrateCli = cli_for(tracks=300, seed=5)
    emulator = cli.emulator
    history, config = set_up(cli, version)
    person = history.person()

    # A dry run tells what the migration would do, and writes nothing anywhere.
    emulator.reset_stats()
    dry = cli.ok_json("run", "--config", str(config), "--dry-run")
    outcomes = dry["migration"]["outcomes"]
    old_tool_items = len(history.inferred)
    assert dry["migration"]["changed_tagged"] == 1
    assert outcomes == {
        "owned": old_tool_items - 1,  # all but the one the person re-rated
        "anchor": 1,
        "changed": 1,
        "unrated": 0,
        "not-in-library": 1,
        "already-owned": 0,
    }
    assert dry["migration"]["undo_would"] == {
        "restore_unrated": old_tool_items - 1,
        "leave_alone": 2,
    }
    assert emulator.stats().writes == 0
    assert not cli.state_path.exists()

    # The real run: migrate, infer, write.
    applied = cli.ok_json("run", "--config", str(config), "--apply", "--yes")
    assert applied["migration"]["outcomes"]["owned"] == old_tool_items - 1
    now = ratings(emulator.dump())
    assert {k: now[k] for k in person} == person  # every rating of the person's intact
    owned = cli.owned()
    assert history.anchor not in owned
    assert history.rerated not in owned
    assert history.member in owned
    assert set(history.inferred) - {history.rerated} <= set(owned)
    assert all(abs(owned[k].value - (now[k] or 0)) < 0.005 for k in owned)

    # A rerun writes nothing.
    emulator.reset_stats()
    again = cli.ok_json("run", "--config", str(config), "--apply", "--yes")
    assert emulator.stats().writes == 0, again

    # Undo everything: back to before the old tool ran; the person's ratings stay.
    result = cli.invoke("admin", "undo", "--config", str(config), "--apply", "--yes")
    assert result.exit_code == 0, result.output
    after = ratings(emulator.dump())
    expected = dict(history.before)
    expected[history.rerated] = history.rerated_to
    assert after == expected
    assert cli.owned() == {}
    after_moods = moods(emulator.dump())
    leftover = {k for k, m in after_moods.items() if m != history.moods_before[k]}
    # The item the person re-rated still carries the old tool's tag: it was never plexrate's.
    assert leftover <= {history.rerated}


def test_v1_5_hijack_integer_only_after_the_migration(cli_for: Any) -> None:
    cli: PlexrateCli = cli_for(tracks=300, seed=5)
    emulator = cli.emulator
    history, config = set_up(cli, "1.5")  # HIJACK_INTEGER_ONLY: true
    cli.ok_json("run", "--config", str(config), "--apply", "--yes")
    owned = sorted(k for k in cli.owned() if k in history.inferred)
    clicked, drifted = owned[0], owned[1]
    # The person rates one in a Plex app (a half-star step, stamped by Plex) ...
    person_rates(emulator, clicked, 3.0 if cli.owned()[clicked].value != 3.0 else 4.0)
    # ... and another tool leaves a fraction on the other, with no rating stamp since the import.
    item = emulator.library.get(drifted)
    assert item is not None
    item.user_rating = plex_rating(cli.owned()[drifted].value + 0.3)

    plan = cli.ok_json("run", "--config", str(config), "--dry-run")
    hijacks = {c["key"]: c["reason"] for c in plan["changes"] if c["phase"] == "hijack"}
    assert list(hijacks) == [clicked]
    assert "HIJACK_INTEGER_ONLY: a whole-number value" in hijacks[clicked]
    assert plan["stats"]["hijacks.whole-number"] == 1
    assert plan["stats"]["drifted"] == 1
    verify = cli.invoke("admin", "verify", "--config", str(config), "--json")
    rules = {o["key"]: o["rule"] for o in json.loads(verify.stdout)["overrides"]}
    assert rules == {clicked: "whole-number", drifted: "drift"}

    # Without the setting (plexrate's default) both are the person's.
    cli.env["PLEXRATE_HIJACK_INTEGER_ONLY"] = "false"
    plain = cli.ok_json("run", "--config", str(config), "--dry-run")
    assert {c["key"] for c in plain["changes"] if c["phase"] == "hijack"} == {clicked, drifted}

    # With it, the run's summary says which rule decided.
    del cli.env["PLEXRATE_HIJACK_INTEGER_ONLY"]
    applied = cli.invoke("run", "--config", str(config), "--apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert (
        "HIJACK_INTEGER_ONLY: hijacks by 1 whole-number; 1 fractional drift kept plexrate's."
        in " ".join(applied.stderr.split())
    )
    assert clicked not in cli.owned()
    assert drifted in cli.owned()
