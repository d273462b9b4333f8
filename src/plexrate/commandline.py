"""Which plexrate command this process runs, as the lock file and the log name it."""

from __future__ import annotations

import sys
from pathlib import Path

from plexrate.redact import redact


def current_command() -> str:
    """The program and its subcommand words, without any option or option value.

    Options are left out on purpose: a token passed on the command line must never reach the
    lock file (invariant 8).
    """
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    # `python -m plexrate` runs plexrate/__main__.py; the person typed plexrate all the same.
    words = ["plexrate" if program == "__main__.py" else program]
    for word in sys.argv[1:]:
        if word.startswith("-"):
            break
        words.append(word)
    return redact(" ".join(words))
