"""Run a command as a scheduler would: no input (cron, systemd and the Task Scheduler give none),
output captured, a time limit, the exit code left to the test."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def run_unattended(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float = 120,
    text: bool = True,
) -> subprocess.CompletedProcess[Any]:
    return subprocess.run(
        list(argv),
        stdin=subprocess.DEVNULL,
        env=None if env is None else dict(env),
        cwd=cwd,
        capture_output=True,
        text=text,
        timeout=timeout,
        check=False,
    )
