"""Fixtures shared by every test area: emulated Plex servers and the libraries they serve.

``emulator_factory`` starts ``Emulator`` instances (from a library, or from generator arguments)
and stops them after the test; ``small_library`` is the hand-written example library of
``docs/emulator.md`` (a fresh copy per test, so tests may write to it); ``plex_for`` connects
unmodified plexapi to a running emulator. ``cli_env`` and ``state_root`` set up the tests that
run plexrate's CLI against an emulator, and ``cli_for`` gives them plexrate pointed at one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary, generate_library
from plexrate.state.store import forget_checks
from tests.support.cli import CliFactory, Env, PlexrateCli

DATA = Path(__file__).parent / "data"
SMALL_LIBRARY_PATH = DATA / "small_library.json"
TEST_TOKEN = "emulator-test-token-0123456789"


@pytest.fixture(autouse=True, scope="session")
def _platform_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """plexrate's platform folders (config, data, log: ``platformdirs`` reads ``XDG_*`` on
    Linux) in a temporary folder, so no test reads a real user's config or writes their log.
    Subprocesses inherit them."""
    root = tmp_path_factory.mktemp("platform")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            patch.setenv(name, str(root / name.lower()))
        yield root


@pytest.fixture(autouse=True)
def _no_trusted_state_checks() -> None:
    """Each test starts with no state file trusted from an earlier test's check (a writer of
    one process skips the check of a file it closed untouched: ``StateStore``)."""
    forget_checks()


@pytest.fixture
def small_library_dict() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SMALL_LIBRARY_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def small_library(small_library_dict: dict[str, Any]) -> EmulatorLibrary:
    return EmulatorLibrary.from_dict(small_library_dict)


EmulatorFactory = Callable[..., Emulator]


@pytest.fixture
def emulator_factory() -> Iterator[EmulatorFactory]:
    """``make(library=None, *, tracks=None, seed=1, token=TEST_TOKEN, **emulator_kwargs)``.

    Give a library, or ``tracks`` (and ``seed``) to generate one. Extra keyword arguments go to
    ``Emulator`` (``latency``, ``latency_scale``, ``faults``, ``clock``, ...).
    """
    started: list[Emulator] = []

    def make(
        library: EmulatorLibrary | None = None,
        *,
        tracks: int | None = None,
        seed: int = 1,
        token: str = TEST_TOKEN,
        **kwargs: Any,
    ) -> Emulator:
        if library is None:
            if tracks is None:
                raise ValueError("give a library or a number of tracks")
            library = generate_library(tracks=tracks, seed=seed)
        emulator = Emulator(library, token=token, **kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory, small_library: EmulatorLibrary) -> Emulator:
    """A running emulator serving the small example library."""
    return emulator_factory(small_library)


@pytest.fixture
def no_autoreload(monkeypatch: pytest.MonkeyPatch) -> None:
    """plexapi objects built during the test never reload themselves behind the client's back."""
    monkeypatch.setenv("PLEXAPI_PLEXAPI_AUTORELOAD", "false")


@pytest.fixture
def plex_for() -> Callable[..., Any]:
    """``plex_for(emulator, timeout=10)``: an unmodified ``plexapi.server.PlexServer``."""
    from plexapi.server import PlexServer

    def connect(emulator: Emulator, *, timeout: float = 10) -> Any:
        return PlexServer(emulator.url, emulator.token, timeout=timeout)

    return connect


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No stray config.json, PLEXRATE_* variable or CI flag from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith(("PLEXRATE_", "PLEXAPI_")) or name == "CI":
            monkeypatch.delenv(name)
    # plexapi objects built by the tests' own reads must not reload themselves item by item.
    monkeypatch.setenv("PLEXAPI_PLEXAPI_AUTORELOAD", "false")
    monkeypatch.setenv("PLEXRATE_COOLDOWN_SLEEP", "0")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def state_root(tmp_path: Path) -> Iterator[Path]:
    """Where the state files go: in memory when the machine has /dev/shm.

    The StateStore commits each write batch's intents with a full fsync (docs/state.md); on a
    disk that is a large part of a run's time, and tests do not need the data to survive a
    power cut.
    """
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="plexrate-test-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def cli_for(
    emulator_factory: EmulatorFactory, tmp_path: Path, state_root: Path
) -> Iterator[CliFactory]:
    """``cli_for(library=None, *, env=None, tracks=None, seed=1, **emulator_kwargs)``: a running
    emulator and plexrate pointed at it, with its own state file in its own folder; ``env`` adds
    PLEXRATE_* (or other) variables."""
    made: list[PlexrateCli] = []

    def make(
        library: EmulatorLibrary | None = None, *, env: Env | None = None, **kwargs: Any
    ) -> PlexrateCli:
        number = len(made) + 1
        emulator = emulator_factory(library, **kwargs)
        workdir = tmp_path / f"plexrate{number}"
        workdir.mkdir()
        state = state_root / f"state{number}"
        state.mkdir()
        cli = PlexrateCli.at(
            emulator, workdir=workdir, state=state / "plexrate_state.sqlite", env=env
        )
        made.append(cli)
        return cli

    yield make
    for cli in made:
        cli.close()
