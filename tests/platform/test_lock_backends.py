"""The state lock when the system's lock is missing or refused (state/lock.py).

No ``flock`` (ENOSYS: a POSIX Python without ``fcntl``) falls back to ``os.lockf``, which must
behave as ``flock`` does for plexrate: a second writer refused, in this process too, and the
lock gone with its holder. A filesystem that refuses locks (ENOLCK: NFS without its lock daemon,
some SMB mounts) is a clear error, not an unexpected one.
"""

from __future__ import annotations

import errno
import gc
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from plexrate.errors import ExitCode, StateError, StateLocked
from plexrate.state import StateStore
from plexrate.state import lock as lock_module

UUID = "5f1c0e5e-7a1b-4c33-9e55-00000000cafe"


def _refusing(code: int) -> Callable[[], tuple[Callable[..., bool], Callable[[int], None]]]:
    def lock_descriptor(fd: int, *, blocking: bool = True) -> bool:
        raise OSError(code, os.strerror(code))

    def unlock_descriptor(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    return lambda: (lock_descriptor, unlock_descriptor)


def _open(path: Path) -> StateStore:
    return StateStore(path, library_uuid=UUID, library_title="Music", command="plexrate run")


@pytest.fixture
def without_flock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lock_module, "_descriptor_locks", _refusing(errno.ENOSYS))
    monkeypatch.setattr(lock_module, "_fallback", lock_module._RecordLocks())


@pytest.mark.skipif(not hasattr(os, "lockf"), reason="os.lockf is POSIX")
def test_without_flock_the_record_lock_refuses_a_second_writer(
    tmp_path: Path, without_flock: None
) -> None:
    state = tmp_path / "state.sqlite"
    with _open(state) as store:
        assert lock_module._fallback.active
        with pytest.raises(StateLocked, match=rf"pid {os.getpid()} 'plexrate run'"):
            _open(state)
        # The refusal opened nothing, so the holder's record lock is still in force.
        store.set_meta("still", "held")
        with pytest.raises(StateLocked):
            _open(state)
    with _open(state) as again:
        assert again.meta("still") == "held"


@pytest.mark.skipif(not hasattr(os, "lockf"), reason="os.lockf is POSIX")
def test_without_flock_a_dropped_store_frees_the_lock(tmp_path: Path, without_flock: None) -> None:
    state = tmp_path / "state.sqlite"
    store = _open(state)
    store.set_meta("k", "v")
    del store
    gc.collect()
    with _open(state) as again:
        assert again.meta("k") == "v"


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        (errno.ENOLCK, "does not support file locks"),
        (errno.EOPNOTSUPP, "does not support file locks"),
        (errno.EIO, "check the folder's permissions"),
    ],
)
def test_a_filesystem_that_refuses_locks_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, hint: str
) -> None:
    monkeypatch.setattr(lock_module, "_descriptor_locks", _refusing(code))
    monkeypatch.setattr(lock_module, "_fallback", lock_module._RecordLocks())
    state = tmp_path / "state.sqlite"
    with pytest.raises(StateError) as refused:
        _open(state)
    assert not isinstance(refused.value, StateLocked)
    assert refused.value.exit_code == ExitCode.ERROR
    assert f"cannot lock the state of library 'Music' ({UUID}) in {tmp_path}" in str(refused.value)
    assert hint in str(refused.value)
    # Refused before anything was written: no state file.
    assert not state.exists()
