"""What a person sees: a pseudo-terminal's output played on a terminal emulator (pyte).

The screen is as wide as the pseudo-terminal and tall enough to keep everything that scrolled
by, so a live display that redraws over earlier lines shows here exactly as it would there.
"""

from __future__ import annotations

import pyte


def screen_lines(output: str, columns: int) -> list[str]:
    """The lines on screen after ``output``, trailing blanks removed."""
    screen = pyte.Screen(columns, max(200, output.count("\n") + 50))
    stream = pyte.Stream(screen)
    stream.feed(output)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return lines
