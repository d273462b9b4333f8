"""plexrate's command line pointed at one emulator, for the phase-command tests.

Commands run in this process through Typer's ``CliRunner`` (``invoke``) or as a real
``python -m plexrate`` process (``run``); both see the same PLEXRATE_* variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from plexrate.cli.app import app
from plexrate.emulator import Emulator
from plexrate.model import OwnedItem
from plexrate.state import StateStore

TAG = "Rating_Inferred"


@dataclass
class PhasesCli:
    emulator: Emulator
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def state_path(self) -> Path:
        return Path(self.env["PLEXRATE_STATE_PATH"])

    @property
    def token(self) -> str:
        return self.emulator.token

    def invoke(self, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
        """Run in this process; ``env`` adds to this CLI's variables (None removes one)."""
        return CliRunner().invoke(app, list(args), env={**self.env, **(env or {})})

    def ok_json(self, *args: str, env: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        result = self.invoke(*args, "--json", env=env)
        assert result.exit_code == 0, result.output
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def run(
        self, *args: str, env: Mapping[str, str | None] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A real ``python -m plexrate`` process, without a terminal."""
        return self.run_all((list(args), env))[0]

    def run_all(
        self, *calls: tuple[list[str], Mapping[str, str | None] | None]
    ) -> list[subprocess.CompletedProcess[str]]:
        """Real processes for ``(args, env)`` pairs, started together (startup dominates)."""
        started = [
            (
                args,
                subprocess.Popen(
                    [sys.executable, "-m", "plexrate", *args],
                    env=self._process_env(env),
                    cwd=self.workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
            for args, env in calls
        ]
        done = []
        for args, process in started:
            out, err = process.communicate(timeout=60)
            done.append(subprocess.CompletedProcess(args, process.returncode, out, err))
        return done

    def _process_env(self, extra: Mapping[str, str | None] | None) -> dict[str, str]:
        env = dict(os.environ)
        for name, value in {**self.env, **(extra or {})}.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def owned(self) -> dict[int, OwnedItem]:
        with StateStore(
            self.state_path, library_uuid=self.emulator.section_uuid, readonly=True
        ) as store:
            return store.owned()

    def state_files(self) -> dict[str, bytes]:
        """Every file beside the state file (SQLite's -wal/-shm, locks, backups) and its bytes."""
        folder = self.state_path.parent
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
