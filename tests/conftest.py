"""Fixtures shared by every test area: emulated Plex servers and the libraries they serve.

``emulator_factory`` starts ``Emulator`` instances (from a library, or from generator arguments)
and stops them after the test; ``small_library`` is the hand-written example library of
``docs/emulator.md`` (a fresh copy per test, so tests may write to it); ``plex_for`` connects
unmodified plexapi to a running emulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary, generate_library

DATA = Path(__file__).parent / "data"
SMALL_LIBRARY_PATH = DATA / "small_library.json"
TEST_TOKEN = "emulator-test-token-0123456789"


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
