"""The CLI's side of ``session.Dialog``: messages on stderr, questions at a prompt or by flag."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from plexrate.cli.context import warn_on


class CliDialog:
    """Prompts when a person is at a terminal; otherwise answers from ``--yes`` and ``--force``.

    Without a terminal and without ``--yes`` a question cannot be answered, which is an error
    rather than a silent default: an unattended run must say what it agrees to.
    """

    def __init__(
        self, console: Console, *, interactive: bool, yes: bool, force: bool, quiet: bool = False
    ) -> None:
        self.console = console
        self.interactive = interactive and not yes
        self.yes = yes
        self.force = force
        self.quiet = quiet

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(escape(message))

    def warn(self, message: str) -> None:
        warn_on(self.console, message)

    def confirm(self, message: str, *, risky: bool) -> bool:
        if self.force:
            return True
        if self.interactive:
            self.console.print(f"[bold yellow]{escape(message)}[/]")
            return typer.confirm("Continue?", default=False, err=True)
        if self.yes and not risky:
            return True
        # Non-interactive and not agreed to: the caller raises an error naming --force.
        self.console.print(f"[bold yellow]{escape(message)}[/]")
        return False
