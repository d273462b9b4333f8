"""State on a network filesystem (NFS, SMB): detected from the mount table, said once, and the
file kept in SQLite's rollback journal, which works there (issue 20.5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plexrate.emulator import generate_library
from plexrate.state import netfs
from tests.reliability.reliability_helpers import Target, serve

pytestmark = pytest.mark.integration

MOUNTS = """\
sysfs /sys sysfs rw,nosuid 0 0
/dev/sda1 / ext4 rw,relatime 0 0
nas:/export/music {folder} nfs4 rw,relatime,vers=4.2 0 0
//nas/share {folder}/deeper\\040name cifs rw 0 0
tmpfs {folder}/deeper\\040name/local tmpfs rw 0 0
"""


def test_the_mount_table_names_the_filesystem_holding_a_folder(tmp_path: Path) -> None:
    table = MOUNTS.format(folder=tmp_path)
    assert netfs.filesystem_type(tmp_path, table) == "nfs4"
    assert netfs.filesystem_type(tmp_path / "a" / "b", table) == "nfs4"
    assert netfs.filesystem_type(tmp_path / "deeper name" / "x", table) == "cifs"
    assert netfs.network_filesystem(tmp_path / "deeper name" / "local", table) is None
    assert netfs.network_filesystem(Path("/usr"), table) is None
    assert netfs.network_filesystem(tmp_path, "") is None


def _header_mode(state: Path) -> str:
    versions = state.read_bytes()[18:20]
    return {b"\x02\x02": "wal", b"\x01\x01": "delete"}[versions]


def _run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, mounted: str | None, **settings: str
) -> tuple[str, Target]:
    if mounted is not None:
        table = tmp_path / "mounts"
        table.write_text(f"/dev/sda1 / ext4 rw 0 0\nnas:/x {tmp_path / 'work'} {mounted} rw 0 0\n")
        monkeypatch.setattr(netfs, "MOUNTS", table)
    folder = tmp_path / "work"
    folder.mkdir()
    emu = serve(generate_library(tracks=200, seed=3))
    target = Target(emu, folder, settings)
    try:
        result = target.invoke("run", "--apply", "--yes")
        assert result.exit_code == 0, result.stderr
        assert target.invoke("run", "--apply", "--yes").exit_code == 0
    finally:
        emu.stop()
    return result.stderr, target


def test_on_nfs_the_rollback_journal_is_used_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr, target = _run(tmp_path, monkeypatch, mounted="nfs4")
    said = " ".join(stderr.split())
    assert (
        f"state file {target.state} is on a network filesystem (nfs4): using SQLite's rollback "
        "journal, since WAL does not work there" in said
    )
    assert _header_mode(target.state) == "delete"
    assert not target.state.with_name(target.state.name + "-wal").exists()


def test_locally_the_file_stays_in_wal_without_a_word(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr, target = _run(tmp_path, monkeypatch, mounted="ext4")
    assert "network filesystem" not in stderr
    assert _header_mode(target.state) == "wal"


def test_the_setting_chooses_delete_anywhere_and_wal_is_warned_about_on_smb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr, target = _run(tmp_path, monkeypatch, mounted=None, STATE_JOURNAL_MODE="delete")
    assert "network filesystem" not in stderr
    assert _header_mode(target.state) == "delete"

    other = tmp_path / "smb"
    other.mkdir()
    stderr, target = _run(other, monkeypatch, mounted="cifs", STATE_JOURNAL_MODE="wal")
    said = " ".join(stderr.split())
    assert "is on a network filesystem (cifs), and STATE_JOURNAL_MODE is wal" in said
    assert _header_mode(target.state) == "wal"
