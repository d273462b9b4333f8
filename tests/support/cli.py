"""The one way tests run plexrate's real command line against an emulator over real HTTP.

``PlexrateCli`` points plexrate at one emulator through PLEXRATE_* variables and runs commands
in this process through Typer's ``CliRunner`` (``invoke``), as real ``python -m plexrate``
processes (``popen``, ``run``, ``run_all``) or on a pseudo-terminal (``terminal``); every way
sees the same variables. The ``cli_for`` fixture (tests/conftest.py) makes one per emulator, each
with its own state file and working folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from plexrate.cli.app import app
from plexrate.emulator import Emulator
from plexrate.model import OwnedItem
from plexrate.state import JournalEntry, StateStore
from tests.support.terminal import Terminal

Env = Mapping[str, str | None]
"""Variables to add to a command's environment; None removes one."""
PLAIN = {"NO_COLOR": "1", "COLUMNS": "200"}
"""Output without colour, at a width no message wraps in."""
NO_WAITING = {"PLEXRATE_COOLDOWN_SLEEP": "0"}
"""No pause between write batches."""


@dataclass(frozen=True)
class Ran:
    """What one command left: its exit code and what it printed."""

    exit_code: int
    stdout: str
    stderr: str
    output: str
    """stdout and stderr as they interleaved (from a real process: one after the other)."""

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def err(self) -> str:
        """stderr with line wrapping undone, for matching messages."""
        return " ".join(self.stderr.split())


@dataclass
class PlexrateCli:
    """plexrate pointed at ``emulator`` through PLEXRATE_* variables; processes work in
    ``workdir``."""

    emulator: Emulator
    workdir: Path
    env: dict[str, str | None] = field(default_factory=dict)
    raise_errors: bool = False
    """Re-raise what an in-process command raised other than its exit, instead of reporting it
    as exit code 1."""
    children: list[subprocess.Popen[str] | Terminal] = field(default_factory=list)
    """Processes started here; ``close`` ends any a failed test left running."""

    @classmethod
    def at(
        cls,
        emulator: Emulator,
        *,
        workdir: Path,
        state: Path,
        env: Env | None = None,
        raise_errors: bool = False,
    ) -> PlexrateCli:
        """plexrate pointed at ``emulator`` (its URL and token), its state file at ``state``;
        ``env`` adds further variables."""
        return cls(
            emulator=emulator,
            workdir=workdir,
            raise_errors=raise_errors,
            env={
                "PLEXRATE_PLEX_URL": emulator.url,
                "PLEXRATE_PLEX_TOKEN": emulator.token,
                "PLEXRATE_STATE_PATH": str(state),
                **(env or {}),
            },
        )

    @property
    def state_path(self) -> Path:
        path = self.env["PLEXRATE_STATE_PATH"]
        assert path is not None
        return Path(path)

    @property
    def token(self) -> str:
        return self.emulator.token

    def close(self) -> None:
        for child in self.children:
            if isinstance(child, Terminal):
                child.kill()
            elif child.poll() is None:
                child.kill()
                child.communicate()

    # -- in this process

    def invoke(self, *args: str, env: Env | None = None, input: str | None = None) -> Ran:
        """Run in this process; ``env`` adds to this CLI's variables, ``input`` is typed in."""
        result = CliRunner().invoke(app, list(args), input=input, env={**self.env, **(env or {})})
        if self.raise_errors and not isinstance(result.exception, SystemExit | None):
            raise result.exception
        return Ran(result.exit_code, result.stdout, result.stderr, result.output)

    def ok_json(self, *args: str, env: Env | None = None, code: int = 0) -> dict[str, Any]:
        """Run with ``--json``, require exit ``code`` and exactly one JSON document on stdout."""
        result = self.invoke(*args, "--json", env=env)
        assert result.exit_code == code, result.output
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    # -- as real processes

    def process_env(self, extra: Env | None = None) -> dict[str, str]:
        env = dict(os.environ)
        for name, value in {**self.env, **(extra or {})}.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def popen(
        self, *args: str, env: Env | None = None, stdin: int = subprocess.DEVNULL
    ) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "plexrate", *args],
            env=self.process_env(env),
            cwd=self.workdir,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.children.append(process)
        return process

    def run(
        self, *args: str, env: Env | None = None, timeout: float = 120, input: str | None = None
    ) -> Ran:
        """A real ``python -m plexrate`` process, without a terminal, run to its end; ``input``
        is typed in."""
        if input is None:
            return self.run_all((list(args), env), timeout=timeout)[0]
        process = self.popen(*args, env=env, stdin=subprocess.PIPE)
        out, err = process.communicate(input, timeout=timeout)
        return Ran(process.returncode, out, err, out + err)

    def run_all(self, *calls: tuple[list[str], Env | None], timeout: float = 120) -> list[Ran]:
        """Real processes for ``(args, env)`` pairs, started together (startup dominates)."""
        started = [self.popen(*args, env=env) for args, env in calls]
        done = []
        for process in started:
            out, err = process.communicate(timeout=timeout)
            done.append(Ran(process.returncode, out, err, out + err))
        return done

    def terminal(
        self,
        *args: str,
        env: Env | None = None,
        size: tuple[int, int] = (100, 40),
    ) -> Terminal:
        """A real process whose stdin, stdout and stderr are a pseudo-terminal of ``size``
        (columns, lines)."""
        terminal = Terminal(
            [sys.executable, "-m", "plexrate", *args],
            env=self.process_env(
                {
                    "CI": None,
                    "PLEXRATE_NO_PROGRESS": None,
                    # The size comes from the terminal itself, as at a person's screen.
                    "COLUMNS": None,
                    "LINES": None,
                    **(env or {}),
                }
            ),
            cwd=self.workdir,
            size=size,
        )
        self.children.append(terminal)
        return terminal

    # -- the state file, read-only

    def store(self) -> StateStore:
        return StateStore(self.state_path, library_uuid=self.emulator.section_uuid, readonly=True)

    def owned(self) -> dict[int, OwnedItem]:
        with self.store() as store:
            return store.owned()

    def pending(self) -> list[JournalEntry]:
        with self.store() as store:
            return store.pending()

    def state_files(self) -> dict[str, bytes]:
        """Every file beside the state file (SQLite's -wal/-shm, locks, backups) and its bytes."""
        folder = self.state_path.parent
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def plexrate_in(
    folder: Path,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    *,
    env: Env | None = None,
) -> PlexrateCli:
    """plexrate working in ``folder`` (also this process's folder for the test) against
    ``emulator``, its state file ``state.sqlite`` there, and no PLEXRATE_* variable of the
    machine's."""
    monkeypatch.chdir(folder)
    for name in list(os.environ):
        if name.upper().startswith("PLEXRATE_"):
            monkeypatch.delenv(name)
    return PlexrateCli.at(emulator, workdir=folder, state=folder / "state.sqlite", env=env)


CliFactory = Callable[..., PlexrateCli]
"""The signature of the ``cli_for`` fixture in tests/conftest.py."""
