"""Output discipline at a real terminal: live progress never writes over a plan or a summary.

Issue 19: at 80x24 the plan table's title was glued onto a progress line, its last rows and its
bottom border vanished, and the bars were drawn again after the summary. Piped output was clean,
which is why only a pseudo-terminal played on a terminal emulator shows it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.screen import screen_lines
from tests.support.terminal import Terminal

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRACKS, SEED = 600, 6
SIZES = [(80, 24), (120, 40)]


def _screen(terminal: Terminal) -> list[str]:
    try:
        code = terminal.finish()
    finally:
        terminal.kill()
    lines = screen_lines(terminal.output, terminal.size[0])
    assert code == 0, "\n".join(lines[-60:])
    return lines


def _tables(lines: list[str]) -> list[list[str]]:
    """Every box-drawn table on screen, from its top border to its bottom border."""
    tables: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        text = line.strip()
        if text.startswith("┏"):
            current = [text]
        elif current is not None:
            current.append(text)
            if text.startswith("└"):
                tables.append(current)
                current = None
    assert current is None, f"a table without its bottom border:\n{chr(10).join(current)}"
    return tables


def _assert_intact(table: list[str], width: int) -> None:
    shown = "\n".join(table)
    assert len({len(row) for row in table}) == 1, f"rows of different widths:\n{shown}"
    assert len(table[0]) <= width
    for row in table[1:-1]:
        assert row[0] in "┃│┡├", f"a row that does not start at the border:\n{shown}"
        assert row[-1] in "┃│┩┤", f"a row that does not end at the border:\n{shown}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_dry_run_plan_is_intact_and_nothing_is_drawn_after_the_summary(
    cli_for: Any, size: tuple[int, int]
) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    lines = _screen(cli.terminal("run", "--dry-run", size=size))
    shown = "\n".join(lines)

    tables = _tables(lines)
    assert len(tables) == 2, shown  # what the dry run covers, and the sample of changes
    for table in tables:
        _assert_intact(table, size[0])
    covers = next(i for i, line in enumerate(lines) if "What this dry run covers" in line)
    assert lines[covers].strip().startswith("What this dry run covers"), shown
    assert lines[covers + 1].strip().startswith("┏"), shown
    for phase in ("Album up", "Artist up", "Album down", "Track down", "Twins"):
        assert any(row.startswith((f"┃ {phase}", f"│ {phase}")) for row in tables[0]), shown
    summary = max(i for i, line in enumerate(lines) if "Dry run: would" in line)
    assert not any("Reading" in line or "━" in line for line in lines[summary:]), shown
    # The reading bars finished before the plan, each on a line of its own.
    first_table = min(i for i, line in enumerate(lines) if line.strip().startswith("┏"))
    assert any("Reading tracks" in line for line in lines[:first_table]), shown


def _is_bar(line: str) -> bool:
    text = line.strip()
    return "━" in text and not text.startswith(("┏", "┡", "┗", "┃")) and "%" in text


def _output_after_the_bars(lines: list[str], first_output: str) -> None:
    """Every bar is drawn before the first line of the command's own output, none after."""
    shown = "\n".join(lines)
    start = next((i for i, line in enumerate(lines) if first_output in line), None)
    assert start is not None, f"{first_output!r} not on screen:\n{shown}"
    assert not any(_is_bar(line) for line in lines[start:]), shown


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_command_with_bars_prints_its_result_after_them(
    cli_for: Any, size: tuple[int, int]
) -> None:
    cli = cli_for(tracks=TRACKS, seed=SEED)
    commands: list[tuple[tuple[str, ...], str]] = [
        (("run", "--apply", "--yes"), "Wrote "),
        (("admin", "verify"), "Consistent"),
        (("admin", "undo", "--dry-run"), "What this dry run covers"),
        (("report", "coverage"), "Rating coverage"),
        (("bulk", "export", "--type", "album", "albums.csv"), "Exported"),
        (("bulk", "import", "--type", "album", "albums.csv", "--dry-run"), "Dry run"),
    ]
    for args, first_output in commands:
        lines = _screen(cli.terminal(*args, size=size))
        for table in _tables(lines):
            _assert_intact(table, size[0])
        _output_after_the_bars(lines, first_output)


def test_a_report_longer_than_the_screen_goes_through_the_pager(cli_for: Any) -> None:
    cli = cli_for(tracks=2000, seed=SEED)
    paged = cli.workdir / "paged.txt"
    # PAGER is run by the shell, as git and man run it: here it keeps what it was given.
    env = {"PAGER": f"cat > {paged}", "PLEXRATE_NO_PAGER": None}
    lines = _screen(cli.terminal("report", "twins", "--quiet", env=env, size=(80, 24)))
    text = paged.read_text("utf-8")
    assert text.count("\n") > 24
    assert "copies" in text or "Twins" in text
    assert not any("copies" in line for line in lines)  # not printed past the pager

    short = cli.workdir / "short.txt"
    env = {"PAGER": f"cat > {short}"}
    _screen(cli.terminal("report", "coverage", "--quiet", env=env, size=(80, 40)))
    assert not short.exists()  # fits the screen: printed, no pager

    env = {"PAGER": f"cat > {short}", "PLEXRATE_NO_PAGER": "1"}
    lines = _screen(cli.terminal("report", "twins", "--quiet", env=env, size=(80, 24)))
    assert not short.exists()
    assert len(lines) > 24
