"""``--dry-run`` and ``--apply`` win over DRY_RUN in both directions, typed or through the menu.

Issue 19: with DRY_RUN false, ``plexrate menu 3 --dry-run`` wrote 21 albums, because the entry
did not say that its command writes. Each case below first builds a library in which the command
has something to write, then checks that the dry run changes nothing (Plex or plexrate's record)
while DRY_RUN says write, and that ``--apply`` writes while DRY_RUN says dry run. The ``--apply``
half is what keeps the ``--dry-run`` half from passing on a command with nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import typer

from plexrate.cli.app import app
from plexrate.cli.menu import all_entries, command_writes
from tests.support.cli import PlexrateCli

TRACKS, SEED = 400, 5
TAG = "Rating_Inferred"

Fingerprint = tuple[dict[int, tuple[object, tuple[str, ...]]], object]


def _fingerprint(cli: PlexrateCli) -> Fingerprint:
    library: dict[int, tuple[object, tuple[str, ...]]] = {}
    for section in cli.emulator.dump()["sections"]:
        for kind in ("artists", "albums", "tracks"):
            for item in section.get(kind, []):
                library[item["ratingKey"]] = (item.get("userRating"), tuple(item.get("moods", ())))
    record = cli.owned() if cli.state_path.exists() else None
    return library, record


def _applied_run(cli: PlexrateCli) -> None:
    done = cli.invoke("run", "--apply", "--yes")
    assert done.exit_code == 0, done.output


def _lose_state(cli: PlexrateCli) -> None:
    for path in cli.state_path.parent.glob(cli.state_path.name + "*"):
        path.unlink()


def _nothing(cli: PlexrateCli) -> list[str]:
    return []


def _after_a_run(cli: PlexrateCli) -> list[str]:
    _applied_run(cli)
    return []


def _tag_removed_by_hand(cli: PlexrateCli) -> list[str]:
    _applied_run(cli)
    album = min(k for k, item in cli.owned().items() if item.item_type == "album")
    params: dict[str, str | int] = {
        "id": album,
        "type": 9,
        "mood[].tag.tag-": TAG,
        "mood.locked": 1,
    }
    response = requests.put(
        f"{cli.emulator.url}/library/sections/{cli.emulator.section_key}/all",
        params=params,
        headers={"X-Plex-Token": cli.emulator.token},
        timeout=10,
    )
    response.raise_for_status()
    return []


def _state_lost(cli: PlexrateCli) -> list[str]:
    _applied_run(cli)
    _lose_state(cli)
    return []


def _state_exported_then_lost(cli: PlexrateCli) -> list[str]:
    _applied_run(cli)
    saved = cli.workdir / "saved.json"
    done = cli.invoke("admin", "state", "export", str(saved))
    assert done.exit_code == 0, done.output
    _lose_state(cli)
    return [str(saved)]


def _csv_with_a_new_rating(kind: str) -> Callable[[PlexrateCli], list[str]]:
    def prepare(cli: PlexrateCli) -> list[str]:
        path = cli.workdir / f"{kind}_ratings.csv"
        done = cli.invoke("bulk", "export", "--type", kind, str(path))
        assert done.exit_code == 0, done.output
        header, *rows = path.read_text("utf-8").splitlines()
        columns = header.split(",")
        rating = columns.index("userRating")
        for number, row in enumerate(rows):
            cells = row.split(",")
            if len(cells) == len(columns) and cells[rating] == "":
                cells[rating] = "4"
                rows[number] = ",".join(cells)
                break
        else:
            raise AssertionError(f"no unrated {kind} in a plain CSV row")
        path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
        return [str(path)]

    return prepare


# What each writing command needs to have something to write. A new writing command fails
# test_every_writing_command_is_covered until it gets a line here.
CASES: dict[tuple[str, ...], tuple[tuple[str, ...], Callable[[PlexrateCli], list[str]]]] = {
    ("run",): ((), _nothing),
    ("up-albums",): ((), _nothing),
    ("up-artists",): ((), _nothing),
    ("down-albums",): ((), _nothing),
    ("down-tracks",): ((), _nothing),
    ("twins",): ((), _nothing),
    ("admin", "undo"): ((), _after_a_run),
    ("admin", "reconstruct"): ((), _state_lost),
    ("admin", "sync-tags"): ((), _tag_removed_by_hand),
    ("admin", "state", "import"): ((), _state_exported_then_lost),
    ("bulk", "import", "artist"): (("--type", "artist"), _csv_with_a_new_rating("artist")),
    ("bulk", "import", "album"): (("--type", "album"), _csv_with_a_new_rating("album")),
    ("bulk", "import", "track"): (("--type", "track"), _csv_with_a_new_rating("track")),
}
# Commands whose --dry-run/--apply is not about writing: the menu passes it on, and
# ``config show`` only displays the value it would take.
NOT_WRITING = {("menu",), ("config", "show")}


def _writing_commands() -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()

    def walk(command: Any, path: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, (*path, name))
        elif command_writes(path):
            found.add(path)

    walk(typer.main.get_command(app), ())
    return found - NOT_WRITING


def _command(case: tuple[str, ...]) -> tuple[str, ...]:
    return case[:2] if case[0] == "bulk" else case


def test_every_writing_command_is_covered() -> None:
    assert {_command(case) for case in CASES} == _writing_commands()


def test_every_menu_entry_that_runs_a_writing_command_passes_the_choice_on() -> None:
    writing = _writing_commands()
    for entry in all_entries():
        assert entry.writes == (entry.command in writing), entry.key


def _menu_key(case: tuple[str, ...], args: tuple[str, ...]) -> str | None:
    for entry in all_entries():
        if entry.command == _command(case) and entry.args == args:
            return entry.key
    return None


@pytest.mark.parametrize("case", list(CASES), ids="-".join)
def test_dry_run_writes_nothing_when_dry_run_is_off_and_apply_writes_when_it_is_on(
    cli_for: Any, case: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli: PlexrateCli = cli_for(tracks=TRACKS, seed=SEED)
    monkeypatch.chdir(cli.workdir)
    extra, prepare = CASES[case]
    arguments = prepare(cli)
    key = _menu_key(case, extra)
    before = _fingerprint(cli)
    writes = cli.emulator.stats().writes

    off = {"PLEXRATE_DRY_RUN": "false"}
    typed = cli.invoke(*_command(case), *extra, "--dry-run", "--yes", *arguments, env=off)
    assert typed.exit_code == 0, typed.output
    if key is not None:
        # The menu asks for the file itself, offering the configured one: point that at ours.
        through_menu = cli.invoke("menu", key, "--dry-run", env={**off, **_file_env(arguments)})
        assert through_menu.exit_code == 0, through_menu.output
    assert cli.emulator.stats().writes == writes
    assert _fingerprint(cli) == before

    on = {"PLEXRATE_DRY_RUN": "true"}
    if key is not None:
        applied = cli.invoke("menu", key, "--apply", env={**on, **_file_env(arguments)})
    else:
        applied = cli.invoke(*_command(case), *extra, "--apply", "--yes", *arguments, env=on)
    assert applied.exit_code == 0, applied.output
    assert _fingerprint(cli) != before


def _file_env(arguments: list[str]) -> dict[str, str]:
    if not arguments:
        return {}
    name = Path(arguments[0]).name
    setting = {
        "artist_ratings.csv": "PLEXRATE_BULK_ARTIST_FILENAME",
        "album_ratings.csv": "PLEXRATE_BULK_ALBUM_FILENAME",
        "track_ratings.csv": "PLEXRATE_BULK_TRACK_FILENAME",
    }.get(name)
    return {setting: arguments[0]} if setting else {}
