"""``plexrate menu``: every entry reaches the command it names, driven as a person would drive it.

The static test resolves each entry's command in the registered command tree. The dispatch test
runs every entry as ``plexrate menu KEY`` and as the command itself, and requires the same exit
code and the same output. The interactive tests drive a real process through its stdin, and
through a pseudo-terminal for Ctrl-C at a prompt and inside a running phase.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

import pytest
import typer

from plexrate.cli.app import app
from plexrate.cli.menu import MAIN, SUBMENUS, MenuEntry, all_entries
from plexrate.emulator import LatencyModel
from tests.e2e.e2e_support import one_line
from tests.support.cli import PlexrateCli, Ran

TRACKS, SEED = 400, 5


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def _command(path: tuple[str, ...]) -> Any:
    command: Any = typer.main.get_command(app)
    for name in path:
        subcommands = getattr(command, "commands", None)
        assert subcommands is not None and name in subcommands, f"no command {' '.join(path)}"
        command = subcommands[name]
    return command


def _options(command: Any) -> set[str]:
    return {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}


@pytest.mark.parametrize("entry", all_entries(), ids=lambda e: e.key)
def test_every_entry_names_a_registered_command_that_takes_what_the_menu_passes(
    entry: MenuEntry,
) -> None:
    command = _command(entry.command)
    assert getattr(command, "commands", None) is None, "an entry must name a command, not a group"
    options = _options(command)
    assert {"--config", "--library"} <= options
    for arg in entry.args:
        if arg.startswith("--"):
            assert arg in options
    if entry.writes:
        assert {"--dry-run", "--apply"} <= options
    if entry.start_letter:
        assert "--start-letter" in options
    if entry.path_setting is not None:
        assert any(p.param_type_name == "argument" for p in command.params)


def test_the_numbering_is_the_documented_one() -> None:
    assert [e.key for e in MAIN] == ["0", "1", "2", "3", "4", "5"]
    assert {k: [e.key for e in sub] for k, (_, sub) in SUBMENUS.items()} == {
        "A": ["A1", "A2", "A3", "A4", "A5"],
        "B": ["B1", "B2", "B3", "B4", "B5", "B6"],
        "R": ["R1", "R2", "R3", "R4"],
    }
    usage = (Path(__file__).resolve().parents[2] / "docs" / "usage.md").read_text("utf-8")
    for entry in all_entries():
        assert f"plexrate {' '.join(entry.command)}" in usage


def _direct_args(entry: MenuEntry, workdir: Path) -> list[str]:
    args = [*entry.command, *entry.args]
    if entry.writes:
        args.append("--dry-run")
    if entry.path_setting is not None:
        default = {
            "bulk_artist_filename": "artist_ratings.csv",
            "bulk_album_filename": "album_ratings.csv",
            "bulk_track_filename": "track_ratings.csv",
        }[entry.path_setting]
        args.append(str(workdir / default))
    return args


@pytest.mark.parametrize("entry", all_entries(), ids=lambda e: e.key)
def test_menu_key_runs_exactly_what_typing_the_command_runs(
    cli_for: Any, entry: MenuEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli: PlexrateCli = cli_for(tracks=TRACKS, seed=SEED)
    monkeypatch.chdir(cli.workdir)
    # One run first, so undo, verify, runs and sync-tags have something to show.
    assert cli.invoke("run", "--apply", "--yes").exit_code == 0
    exports = list(cli.workdir.glob("*.csv"))
    assert exports == []

    through_menu = cli.invoke("menu", entry.key, "--dry-run")
    for produced in cli.workdir.glob("*.csv"):
        produced.unlink()  # an export refuses to replace its own file on the second go
    direct = cli.invoke(*_direct_args(entry, cli.workdir))

    assert through_menu.exit_code == direct.exit_code, through_menu.output
    assert through_menu.stdout == direct.stdout
    if entry.path_setting is not None and entry.command[-1] == "export":
        assert direct.exit_code == 0
        assert list(cli.workdir.glob("*.csv"))


def _menu(cli: PlexrateCli, keys: str, *extra: str) -> Ran:
    return cli.run("menu", *extra, input=keys)


def test_enter_alone_runs_the_whole_cycle_and_x_leaves(cli_for: Any) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    done = _menu(cli, "\n\nX\n")
    assert done.exit_code == 0, done.stderr
    assert "Dry run: would rate" in one_line(done.stderr)
    assert "Album up" in done.stdout and "Twins" in done.stdout
    assert cli.emulator.stats().writes == 0


def test_option_4_asks_where_to_start_and_passes_it_on(cli_for: Any) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    done = _menu(cli, "4\nm\nX\n")
    assert done.exit_code == 0, done.stderr
    assert "Start letter" in done.stderr
    assert "start letter M: left out" in one_line(done.stderr)


def test_apply_from_the_menu_writes_and_reports_wait_for_enter(cli_for: Any) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    done = _menu(cli, "0\n\nR\n1\n\nX\nX\n", "--apply")
    assert done.exit_code == 0, done.stderr
    assert cli.emulator.stats().writes > 0
    assert "Press Enter to continue" in done.stderr
    assert "Rating coverage" in done.stdout


def test_bulk_export_asks_for_the_file_offering_the_configured_one(cli_for: Any) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    done = _menu(cli, "B\n3\nmine.csv\nX\nX\n")
    assert done.exit_code == 0, done.stderr
    assert "track_ratings.csv" in done.stderr  # the default on offer
    assert (cli.workdir / "mine.csv").read_text(encoding="utf-8").startswith("ratingKey,")


def test_unknown_choices_are_refused_and_end_of_input_leaves_cleanly(cli_for: Any) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    done = _menu(cli, "Q\n9\nA\n7\n")
    assert done.exit_code == 0
    assert "No option Q." in done.stderr
    # the old tool's numbers above 5 name their new place (original-tool.md §1)
    assert "Option 9 has moved" in one_line(done.stderr)
    assert "No option 7." in done.stderr  # within the admin submenu, 7 is simply not an option
    assert "End of input; leaving the menu." in done.stderr
    assert cli.emulator.stats().writes == 0


@pytest.mark.parametrize(
    ("number", "places"),
    [
        ("6", ["A1", "admin verify", "A2", "admin undo"]),
        ("7", ["A2", "admin undo"]),
        ("8", ["refused 8", "Recovery", "A3", "admin reconstruct"]),
        ("9", ["A3", "admin reconstruct"]),
    ],
)
def test_the_old_tools_numbers_above_5_name_their_new_place(
    cli_for: Any, number: str, places: list[str]
) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    result = cli.invoke("menu", number)
    assert result.exit_code == 2
    message = one_line(result.stderr)
    assert f"menu option {number} has moved" in message
    assert all(place in message for place in places), message
    assert cli.emulator.stats().writes == 0


def test_a_menu_key_on_the_command_line_keeps_the_commands_exit_code(cli_for: Any) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    unreachable = cli.invoke("menu", "R1", env={"PLEXRATE_PLEX_URL": "http://127.0.0.1:9"})
    assert unreachable.exit_code == 4
    assert cli.invoke("menu", "Z9").exit_code == 2


def test_ctrl_c_at_a_prompt_goes_back_one_level(cli_for: Any) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    terminal = cli.terminal("menu")
    try:
        terminal.wait_for(lambda: "Choose" in terminal.output)
        terminal.send("A\n")
        terminal.wait_for(lambda: "Choose (X)" in one_line(strip_ansi(terminal.output)))
        terminal.wait_for_read()
        terminal.signal(signal.SIGINT)  # in the admin menu: back to the main menu
        terminal.wait_for(lambda: strip_ansi(terminal.output).count("Choose (0)") >= 2)
        terminal.wait_for_read()
        terminal.signal(signal.SIGINT)  # at the main menu: out
        code = terminal.finish()
    finally:
        terminal.kill()
    assert code == 0, terminal.output[-2000:]
    assert cli.emulator.stats().writes == 0


def test_ctrl_c_inside_a_phase_started_from_the_menu_pauses_and_quit_returns_to_it(
    cli_for: Any,
) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED, latency=LatencyModel(per_request=0.01))
    terminal = cli.terminal("menu", "--apply", env={"PLEXRATE_WRITE_BATCH_SIZE": "5"})
    try:
        terminal.wait_for(lambda: "Choose" in terminal.output)
        terminal.send("0\n")
        terminal.wait_for(lambda: "Start letter" in terminal.output)
        terminal.send("\n")
        terminal.wait_for(lambda: cli.emulator.stats().writes >= 5)
        terminal.signal(signal.SIGINT)
        terminal.wait_for(lambda: "[R]esume or [Q]uit?" in terminal.output)
        terminal.send("q\n")
        terminal.wait_for(lambda: strip_ansi(terminal.output).count("Choose (0)") >= 2)
        written = cli.emulator.stats().writes
        terminal.send("X\n")
        code = terminal.finish()
    finally:
        terminal.kill()
    assert code == 0, terminal.output[-2000:]
    assert "Stopped." in one_line(terminal.output)
    assert cli.emulator.stats().writes == written
    assert cli.pending() == []


def test_the_header_says_whether_options_write(cli_for: Any) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    dry = _menu(cli, "X\n")
    assert "dry run: nothing is written to Plex" in one_line(dry.stderr)
    writes = _menu(cli, "A\nX\nX\n", "--apply")
    assert "plexrate — writes to Plex" in one_line(writes.stderr)
    assert "Admin tools — writes to Plex" in one_line(writes.stderr)
    configured = cli.run("menu", input="X\n", env={"PLEXRATE_DRY_RUN": "false"})
    assert "plexrate — writes to Plex" in one_line(configured.stderr)
