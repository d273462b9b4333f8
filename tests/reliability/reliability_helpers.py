"""Shared by the reliability tests: one library served by an emulator, and plexrate run against it
as a person runs it (tests/support/cli.py), in-process or as a real ``python -m plexrate``.

Every comparison is between whole end states: the emulator's ``dump()`` (ratings, moods, locks,
dates; the emulator's clock is pinned so timestamps compare too) and the ownership record in the
StateStore.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plexrate.emulator import Emulator, EmulatorLibrary
from plexrate.state import StateStore
from tests.support.cli import PlexrateCli, Ran

# Distinctive, so a leak anywhere (stdout, stderr, a file) is unmistakable.
TOKEN = "rel-T0ken-Quokka-Zebra-7315"
# Plex stamps lastRatedAt/updatedAt from the emulator's clock. Pinned, two runs that write the
# same values leave byte-identical libraries. By default it stands a day ahead of this session so
# that, as with a real server, whatever Plex stores is newer than any file a test saves: bulk
# import compares a CSV's modification time with lastRatedAt to leave alone rows changed in Plex
# since the file was saved. ``PAST`` serves libraries prepared before such a file is saved (and,
# in one kill test, a Plex whose clock runs behind this machine's).
FUTURE = float(int(time.time()) + 86_400)
PAST = 1_750_000_000.0
STATE_NAME = "plexrate_state.sqlite"
PROCESS_ENV = {"PYTHONIOENCODING": "utf-8"}

Owned = dict[int, tuple[str, float, str, bool]]


def serve(
    library: EmulatorLibrary | Mapping[str, Any], *, at: float = FUTURE, **kwargs: Any
) -> Emulator:
    """A running emulator over a fresh copy of ``library``, its clock pinned ``at`` (the caller
    stops it)."""
    data = library.to_dict() if isinstance(library, EmulatorLibrary) else dict(library)
    return Emulator(
        EmulatorLibrary.from_dict(json.loads(json.dumps(data))),
        token=TOKEN,
        clock=lambda: at,
        **kwargs,
    ).start()


@dataclass
class Target:
    """One emulated library and the folder plexrate works in (its state file lives there)."""

    emu: Emulator
    folder: Path
    settings: Mapping[str, str]
    """Further ``PLEXRATE_*`` settings (without the prefix), e.g. ``{"TIMEOUT": "0.25"}``."""

    @property
    def state(self) -> Path:
        return self.folder / STATE_NAME

    def environment(self) -> dict[str, str]:
        """The PLEXRATE_* variables that point plexrate at this target."""
        values = {
            "PLEX_URL": self.emu.url,
            "PLEX_TOKEN": self.emu.token,
            "STATE_PATH": str(self.state),
            "LEGACY_STATE_PATH": str(self.folder / "plex_state.json"),
            "COOLDOWN_SLEEP": "0",
            **self.settings,
        }
        env = {f"PLEXRATE_{key}": value for key, value in values.items()}
        return {**env, "NO_COLOR": "1", "COLUMNS": "200"}

    @property
    def cli(self) -> PlexrateCli:
        """plexrate pointed at this target, with none of the machine's PLEXRATE_* variables."""
        env: dict[str, str | None] = {
            name: None for name in os.environ if name.upper().startswith("PLEXRATE_")
        }
        env.update(self.environment())
        return PlexrateCli(emulator=self.emu, workdir=self.folder, env=env)

    def invoke(self, *args: str) -> Ran:
        """``plexrate ARGS`` in this process, in the target's folder, with a clean environment."""
        cwd = Path.cwd()
        os.chdir(self.folder)  # no stray config.json is read
        try:
            return self.cli.invoke(*args)
        finally:
            os.chdir(cwd)

    def invoke_json(self, *args: str, code: int = 0) -> dict[str, Any]:
        result = self.invoke(*args, "--json")
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        assert TOKEN not in result.stdout + result.stderr
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """``python -m plexrate ARGS`` as a real process (the caller waits for or kills it)."""
        return self.cli.popen(*args, env=PROCESS_ENV)

    def run_process(self, *args: str, timeout: float = 120) -> Ran:
        return self.cli.run(*args, env=PROCESS_ENV, timeout=timeout)

    def store(self) -> StateStore:
        # Also after the emulator stopped: the store needs the library's UUID, not its URL.
        return StateStore(self.state, library_uuid=self.emu.section_uuid, readonly=True)

    def owned(self) -> Owned:
        with self.store() as store:
            return owned_of(store)

    def pending(self) -> list[int]:
        with self.store() as store:
            return sorted(e.key for e in store.pending())

    def outcome(self) -> Outcome:
        return Outcome(library=self.emu.dump(), owned=self.owned())

    def assert_no_token_in_files(self) -> None:
        """Invariant 8 for what a command leaves behind: state file, its sidecars, locks, CSVs."""
        for path in self.folder.rglob("*"):
            if path.is_file():
                assert TOKEN.encode() not in path.read_bytes(), path


def owned_of(store: StateStore) -> Owned:
    """Ownership as it must survive anything: item type, value, phase and twin flag per key."""
    return {k: (o.item_type.value, o.value, o.phase, o.twin) for k, o in store.owned().items()}


@dataclass(frozen=True)
class Outcome:
    library: dict[str, Any]
    owned: Owned


def diff_libraries(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Items whose stored state differs between two dumps (for a readable failure message)."""
    out: list[str] = []
    for want, got in zip(expected["sections"], actual["sections"], strict=True):
        for kind in ("artists", "albums", "tracks"):
            theirs = {item["ratingKey"]: item for item in got.get(kind, [])}
            for item in want.get(kind, []):
                other = theirs.get(item["ratingKey"])
                if other != item:
                    out.append(f"{kind[:-1]} {item['ratingKey']}: {item} != {other}")
    return out[:10]


def diff_owned(expected: Owned, actual: Owned) -> list[str]:
    keys = sorted(set(expected) | set(actual))
    return [
        f"{k}: {expected.get(k)} != {actual.get(k)}"
        for k in keys
        if expected.get(k) != actual.get(k)
    ][:10]


def assert_same_outcome(expected: Outcome, actual: Outcome) -> None:
    # This module is not rewritten by pytest, so the messages say what differs.
    differences = diff_libraries(expected.library, actual.library)
    assert not differences, "library differs:\n" + "\n".join(differences)
    assert actual.library == expected.library, "library differs outside the items"
    differences = diff_owned(expected.owned, actual.owned)
    assert not differences, "ownership differs:\n" + "\n".join(differences)


def assert_one_line_error(stderr: str, *, contains: str) -> str:
    """The CLI said exactly one ``Error:`` line (soft-wrapped lines joined), and no traceback."""
    assert "Traceback" not in stderr
    assert TOKEN not in stderr
    text = " ".join(stderr.split())
    assert text.count("Error:") == 1, stderr
    error = text[text.index("Error:") :]
    assert contains in error, stderr
    return error


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], *, limit: float) -> bool:
    """Poll until ``condition`` holds (True) or the process has ended (False).

    A process still running after ``limit`` seconds without the condition is killed, and the test
    fails.
    """
    deadline = time.monotonic() + limit
    while not condition():
        if proc.poll() is not None:
            return False
        if time.monotonic() > deadline:
            proc.kill()
            proc.communicate()
            raise AssertionError(f"still waiting after {limit} s")
        time.sleep(0.0005)
    return True


def kill(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGKILL ``proc`` and return what it had printed."""
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, err)
    return out, err
