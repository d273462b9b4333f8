"""docs/bulk.md keeps up with the commands: every flag, every stats key, the index entry."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from plexrate.bulk import COLUMNS, plan_import, read_bulk_csv
from plexrate.cli.app import app
from plexrate.model import ItemType
from tests.bulk.bulk_helpers import TRACK_HEADER, bulk_lib, csv_text

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = (DOCS / "bulk.md").read_text(encoding="utf-8")
# Words inside `code` spans: `--delimiter CHAR`, `--dry-run/--apply`, `--type`, `-t`.
PROSE = re.sub(r"```.*?```", "", PAGE, flags=re.DOTALL)
FLAGS = {word for span in re.findall(r"`([^`]+)`", PROSE) for word in re.split(r"[\s/,]+", span)}


def test_every_flag_of_both_commands_is_documented() -> None:
    group = typer.main.get_command(app).commands["bulk"]  # type: ignore[attr-defined]
    for name in ("export", "import"):
        command = group.commands[name]
        assert command.help and "Example: plexrate bulk" in command.help
        for param in command.params:
            for option in (*param.opts, *param.secondary_opts):
                if option.startswith("-") and option not in ("-h", "--help"):
                    assert option in FLAGS, f"{name} {option}"


def test_every_stats_key_and_column_is_documented() -> None:
    lib = bulk_lib()
    lib.artist(1)
    lib.album(2, 1)
    lib.track(3, 2)
    parsed = read_bulk_csv(csv_text(TRACK_HEADER).encode(), item_type=ItemType.TRACK)
    stats = plan_import(parsed, lib.snapshot(), owned={}).plan.stats
    for key in stats:
        assert f"`{key}`" in PAGE, key
    for item_type, columns in COLUMNS.items():
        row = next(line for line in PAGE.splitlines() if line.startswith(f"| `{item_type}` |"))
        assert row == f"| `{item_type}` | " + ", ".join(f"`{c}`" for c in columns) + " |"


def test_the_index_links_the_page() -> None:
    assert "(bulk.md)" in (DOCS / "index.md").read_text(encoding="utf-8")
