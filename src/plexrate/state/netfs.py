"""Is the state file on a network filesystem? SQLite's WAL mode needs shared memory that every
process sees, which NFS and SMB shares do not provide: there it fails ("disk I/O error",
"database is locked") or, worse, two machines corrupt the file (https://sqlite.org/wal.html,
"all processes using a database must be on the same host computer"). plexrate then uses the
rollback journal instead (``STATE_JOURNAL_MODE``, docs/reliability.md).

Detection is Linux's mount table and Windows' UNC paths; elsewhere (macOS) nothing is detected
and ``STATE_JOURNAL_MODE=delete`` is the person's choice.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

MOUNTS = Path("/proc/self/mounts")
"""Linux's table of mounted filesystems (tests point it at a file of their own)."""

NETWORK_TYPES = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "ncpfs",
        "afpfs",
        "davfs",
        "beegfs",
        "fuse.sshfs",
        "fuse.rclone",
        "fuse.glusterfs",
        "fuse.s3fs",
        "fuse.cephfs",
        "fuse.davfs2",
    }
)

_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    # The mount table writes space, tab, newline and backslash in paths as octal escapes.
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def filesystem_type(folder: Path, mounts: str | None = None) -> str | None:
    """The type of the filesystem holding ``folder`` per the mount table (``mounts``: its text;
    default: read ``MOUNTS``), or None when there is no table (not Linux) or no match."""
    if mounts is None:
        try:
            mounts = MOUNTS.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    try:
        target = folder.resolve()
    except OSError:
        target = folder.absolute()
    best: tuple[int, str] | None = None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = Path(_unescape(fields[1]))
        if target != point and point not in target.parents:
            continue
        depth = len(point.parts)
        if best is None or depth >= best[0]:
            best = (depth, fields[2])
    return None if best is None else best[1]


def network_filesystem(folder: Path, mounts: str | None = None) -> str | None:
    """A name for the network filesystem holding ``folder`` (``nfs4``, ``cifs``, ``SMB share``),
    or None when it is local or cannot be told."""
    text = str(folder)
    if os.name == "nt" and text.startswith(("\\\\", "//")):
        return "SMB share"
    kind = filesystem_type(folder, mounts)
    if kind is None:
        return None
    if kind in NETWORK_TYPES or kind.startswith(("nfs", "smb", "fuse.sshfs")):
        return kind
    return None
