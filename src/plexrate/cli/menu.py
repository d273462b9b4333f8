"""``plexrate menu``: the old tool's numbered menu, dispatching to the registered commands.

Every entry names the command it runs (``("admin", "undo")``) and is executed by invoking that
command through the root command group, exactly as if it had been typed: the menu adds prompts and
nothing else, so it cannot behave differently from the subcommands. ``tests/cli/test_menu.py``
checks that every entry names a registered command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.prompt import Prompt
from rich.table import Table

from plexrate.cli.context import AppContext, get_app
from plexrate.cli.options import ConfigOpt, DryRunOpt, LibraryOpt


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: str
    command: tuple[str, ...]
    args: tuple[str, ...] = ()
    start_letter: bool = False
    """Ask where to start (options 0-4 of the old tool); Enter = from the beginning."""
    path_setting: str | None = None
    """Ask for a file name, offering this setting's value as the default (bulk)."""
    pause: bool = False
    """Wait for Enter afterwards, so a report stays on screen before the menu returns."""
    writes: bool = False
    """The command takes --dry-run/--apply (the menu passes its own choice on)."""


MAIN: tuple[MenuEntry, ...] = (
    MenuEntry("0", "Run the whole cycle (1-5)", ("run",), start_letter=True, writes=True),
    MenuEntry(
        "1",
        "Album-Up: rate albums from their tracks",
        ("up-albums",),
        start_letter=True,
        writes=True,
    ),
    MenuEntry(
        "2",
        "Artist-Up: rate artists from their albums",
        ("up-artists",),
        start_letter=True,
        writes=True,
    ),
    MenuEntry(
        "3", "Album-Down: fill albums from their artist", ("down-albums",), start_letter=True
    ),
    MenuEntry(
        "4",
        "Track-Down: fill tracks from their album",
        ("down-tracks",),
        start_letter=True,
        writes=True,
    ),
    MenuEntry("5", "Twins: one rating for every copy of a recording", ("twins",), writes=True),
)

SUBMENUS: dict[str, tuple[str, tuple[MenuEntry, ...]]] = {
    "A": (
        "Admin tools",
        (
            MenuEntry("A1", "Verify state against Plex", ("admin", "verify"), pause=True),
            MenuEntry("A2", "Undo everything plexrate wrote", ("admin", "undo"), writes=True),
            MenuEntry(
                "A3",
                "Reconstruct state from the inferred tag",
                ("admin", "reconstruct"),
                writes=True,
            ),
            MenuEntry("A4", "Synchronize tags with ownership", ("admin", "sync-tags"), writes=True),
            MenuEntry("A5", "List runs", ("admin", "runs"), pause=True),
        ),
    ),
    "B": (
        "Bulk actions",
        (
            MenuEntry(
                "B1",
                "Export artists to CSV",
                ("bulk", "export"),
                ("--type", "artist"),
                path_setting="bulk_artist_filename",
            ),
            MenuEntry(
                "B2",
                "Export albums to CSV",
                ("bulk", "export"),
                ("--type", "album"),
                path_setting="bulk_album_filename",
            ),
            MenuEntry(
                "B3",
                "Export tracks to CSV",
                ("bulk", "export"),
                ("--type", "track"),
                path_setting="bulk_track_filename",
            ),
            MenuEntry(
                "B4",
                "Import artists from CSV",
                ("bulk", "import"),
                ("--type", "artist"),
                path_setting="bulk_artist_filename",
                writes=True,
            ),
            MenuEntry(
                "B5",
                "Import albums from CSV",
                ("bulk", "import"),
                ("--type", "album"),
                path_setting="bulk_album_filename",
                writes=True,
            ),
            MenuEntry(
                "B6",
                "Import tracks from CSV",
                ("bulk", "import"),
                ("--type", "track"),
                path_setting="bulk_track_filename",
                writes=True,
            ),
        ),
    ),
    "R": (
        "Reports",
        (
            MenuEntry("R1", "Coverage", ("report", "coverage"), pause=True),
            MenuEntry("R2", "Rating histogram", ("report", "histogram"), pause=True),
            MenuEntry("R3", "Twins inventory", ("report", "twins"), pause=True),
            MenuEntry("R4", "Dissenters", ("report", "dissenters"), pause=True),
        ),
    ),
}


# The old tool's numbers above 5 (original-tool.md §1): its v1.5 command line took 6 = Verify,
# 7 = Cleanup/Undo, 9 = Reconstruct and refused 8, while its guide says "Option 6 for Cleanup"
# and "Option 8: Recovery". The two disagree, so plexrate runs neither and names the new place.
OLD_NUMBERS: dict[str, str] = {
    "6": "The old tool's command line ran Verify as 6: now A1 (`plexrate menu A1`, or "
    "`plexrate admin verify`). Its guide calls Cleanup/Undo option 6: now A2 (`plexrate menu "
    "A2`, or `plexrate admin undo`).",
    "7": "The old tool's command line ran Cleanup/Undo as 7: now A2 (`plexrate menu A2`, or "
    "`plexrate admin undo`).",
    "8": "The old tool's command line refused 8; its guide's \"Option 8: Recovery\" rebuilds the "
    "state from the inferred tag: now A3 (`plexrate menu A3`, or `plexrate admin reconstruct`).",
    "9": "The old tool's command line ran Reconstruct as 9: now A3 (`plexrate menu A3`, or "
    "`plexrate admin reconstruct`).",
}


def all_entries() -> tuple[MenuEntry, ...]:
    entries = list(MAIN)
    for _, sub in SUBMENUS.values():
        entries.extend(sub)
    return tuple(entries)


def find_entry(option: str) -> MenuEntry | None:
    wanted = option.strip().upper()
    return next((e for e in all_entries() if e.key == wanted), None)


class _Back(Exception):
    """Ctrl-C at a prompt: go back one menu level."""


class _EndOfInput(Exception):
    """stdin closed: leave the menu."""


class Menu:
    def __init__(
        self,
        app: AppContext,
        *,
        config: Path | None,
        library: str | None,
        dry_run: bool | None = None,
    ) -> None:
        self.app = app
        self.dry_run = dry_run
        self.console: Console = app.err
        self.common: list[str] = []
        if config is not None:
            self.common += ["--config", str(config)]
        if library is not None:
            self.common += ["--library", library]
        self.config = config
        self.library = library

    # ----------------------------------------------------------------------------- dispatch

    def run_entry(self, entry: MenuEntry, *, interactive: bool) -> int:
        args = [*entry.command, *entry.args, *self.common]
        if entry.writes and self.dry_run is not None:
            args.append("--dry-run" if self.dry_run else "--apply")
        if entry.start_letter and interactive:
            letter = self.ask(
                "Start letter (Enter = from the beginning; e.g. P resumes at the P's)",
                default="",
            ).strip()
            if letter:
                args += ["--start-letter", letter]
        if entry.path_setting is not None:
            default = str(self._setting_path(entry.path_setting))
            path = self.ask("File", default=default) if interactive else default
            args.append(path)
        code = invoke(args, debug=self.app.debug)
        if entry.pause and interactive:
            self.ask("Press Enter to continue", default="", show_default=False)
        return code

    def _setting_path(self, name: str) -> Path:
        settings = self.app.load_settings(self.config, {"library_name": self.library})
        value = getattr(settings, name)
        return Path(value)

    # ----------------------------------------------------------------------------- prompts

    def ask(self, prompt: str, *, default: str, show_default: bool = True) -> str:
        try:
            return Prompt.ask(
                prompt, console=self.console, default=default, show_default=show_default
            )
        except KeyboardInterrupt:
            self.console.print()
            raise _Back from None
        except EOFError:
            raise _EndOfInput from None

    def show(
        self, title: str, entries: Sequence[MenuEntry], extra: Sequence[tuple[str, str]]
    ) -> None:
        table = Table(title=title, show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold cyan", justify="right")
        table.add_column()
        for entry in entries:
            table.add_row(entry.key[-1], escape(entry.label))
        for key, label in extra:
            table.add_row(key, label)
        self.console.print()
        self.console.print(table)

    def loop(self) -> int:
        main_extra = [(k, f"{title} ...") for k, (title, _) in SUBMENUS.items()]
        main_extra.append(("X", "Exit"))
        while True:
            self.show("plexrate", MAIN, main_extra)
            try:
                choice = self.ask("Choose", default="0").strip().upper()
            except _Back:
                return 0
            except _EndOfInput:
                self.console.print("End of input; leaving the menu.")
                return 0
            if choice == "X":
                return 0
            try:
                if choice in SUBMENUS:
                    self.submenu(choice)
                    continue
                # Submenu options also work from the main menu ("A2"), as on the command line.
                entry = find_entry(choice)
                if entry is None:
                    moved = OLD_NUMBERS.get(choice)
                    self.console.print(
                        f"[yellow]Option {escape(choice)} has moved. {escape(moved)}[/]"
                        if moved
                        else f"[yellow]No option {escape(choice)}.[/]"
                    )
                    continue
                self.run_entry(entry, interactive=True)
            except (_Back, KeyboardInterrupt):
                # Ctrl-C anywhere below the main menu (a prompt, a submenu being drawn) goes back.
                self.console.print()
                continue
            except _EndOfInput:
                self.console.print("End of input; leaving the menu.")
                return 0

    def submenu(self, letter: str) -> None:
        title, entries = SUBMENUS[letter]
        while True:
            self.show(title, entries, [("X", "Back")])
            choice = self.ask("Choose", default="X").strip().upper()
            if choice == "X":
                return
            entry = find_entry(letter + choice)
            if entry is None:
                self.console.print(f"[yellow]No option {escape(choice)}.[/]")
                continue
            try:
                self.run_entry(entry, interactive=True)
            except _Back:
                continue


def invoke(args: Sequence[str], *, debug: bool) -> int:
    """Run ``plexrate <args>`` in this process, as the shell would; returns its exit code."""
    from plexrate.cli.app import app as root

    command = typer.main.get_command(root)
    try:
        result = command.main(
            args=list(args),
            prog_name="plexrate",
            standalone_mode=False,
            obj=AppContext(debug=debug),
        )
    except typer.TyperException as exc:
        # A usage error: show it as the shell would and carry on with the menu.
        exc_show = getattr(exc, "show", None)
        if callable(exc_show):
            exc_show()
        return int(getattr(exc, "exit_code", 2))
    except typer.Abort:
        return 1
    return result if isinstance(result, int) else 0


MENU_HELP = (
    "The old tool's numbered menu, on top of the same commands.\n\n"
    "Main menu: 0 run everything, 1 up-albums, 2 up-artists, 3 down-albums, 4 down-tracks, "
    "5 twins, A admin, B bulk, R reports, X exit (Enter = 0). Options 0-4 ask where to start. "
    "Ctrl-C during a run pauses it (Resume or Quit); at a prompt it goes back one level. "
    "--apply or --dry-run applies to every option that writes; without either, DRY_RUN "
    "decides, as in the old tool.\n\n"
    "Example: plexrate menu 4 (track-down from the start), plexrate menu A2 (undo)"
)


def menu(
    ctx: typer.Context,
    option: Annotated[
        str | None,
        typer.Argument(
            metavar="[OPTION]",
            show_default=False,
            help="Run one option and leave, as if chosen with every default: 0-5, A1-A5, "
            "B1-B6, R1-R4.",
        ),
    ] = None,
    config: ConfigOpt = None,
    library: LibraryOpt = None,
    dry_run: DryRunOpt = None,
) -> None:
    """The old tool's numbered menu (help text: ``MENU_HELP``)."""
    app = get_app(ctx)
    runner = Menu(app, config=config, library=library, dry_run=dry_run)
    if option is None:
        raise typer.Exit(runner.loop())
    entry = find_entry(option)
    if entry is None and option.strip() in OLD_NUMBERS:
        from plexrate.errors import UsageError

        raise UsageError(f"menu option {option.strip()} has moved. {OLD_NUMBERS[option.strip()]}")
    if entry is None:
        raise typer.BadParameter(
            f"no menu option {option!r}; choose one of " + ", ".join(e.key for e in all_entries()),
            param_hint="OPTION",
        )
    raise typer.Exit(runner.run_entry(entry, interactive=False))
