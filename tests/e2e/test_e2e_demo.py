"""``plexrate demo``: the README's first command, run as a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def _totals(output: str) -> list[str]:
    """The Total row of every coverage table, in order."""
    return [
        re.sub(r"\s+", " ", m.group(1)).strip() for m in re.finditer(r"│ Total\s*│(.*?)\n", output)
    ]


def test_the_demo_does_the_whole_job_and_undoes_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLEXRATE_", "PLEXAPI_"))}
    # A person's own settings must not leak into the demo: this server does not exist, and this
    # token must never be printed.
    env.update(
        PLEXRATE_PLEX_URL="http://127.0.0.1:9",
        PLEXRATE_PLEX_TOKEN="person-s-real-token-0123",
        NO_COLOR="1",
        COLUMNS="120",
    )
    (tmp_path / "config.json").write_text('{"LIBRARY_NAME": "Nope"}', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "plexrate", "demo", "--tracks", "600", "--seed", "4"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "person-s-real-token-0123" not in output

    before, after, undone = _totals(output)
    assert before == undone, "the undo must bring the library back to where it started"
    assert before != after
    assert "Dry run: would rate" in re.sub(r"\s+", " ", output)
    assert "Nothing to write: Plex already holds every value" in re.sub(r"\s+", " ", output)
    assert "plexrate config init" in output
    # Nothing of the demo is left where it was started.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]
