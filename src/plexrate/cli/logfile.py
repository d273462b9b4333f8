"""The log file: the warnings and errors of every command, for runs nobody watches.

cron, a systemd timer or the Windows Task Scheduler keep a command's output only when told to;
the log keeps what went wrong anyway. It receives what plexrate's loggers report at WARNING and
above, and every "Warning: …" and "Error: …" line the command prints on stderr, one line each:
time, level, the command's words (never its options, so never a token given as one) and the
message, redacted once more before it is written (invariant 8).

The file rotates at ``MAX_BYTES`` and keeps ``BACKUPS`` old files, so years of nightly runs stay
small. Writing it is best effort: a full disk, a read-only folder or a file another process is
rotating never fails a command nor clutters its output.
"""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from plexrate.commandline import current_command
from plexrate.redact import redact

MAX_BYTES = 1024 * 1024
BACKUPS = 3
LOGGER = "plexrate"
_FORMAT = "%(asctime)s %(levelname)s %(plexrate_command)s: %(message)s"

_log = logging.getLogger("plexrate.cli")


class _Redacting(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.plexrate_command = current_command()
        return redact(super().format(record))


class _LogFile(RotatingFileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        # Best effort, as the module says: logging's default prints a traceback on stderr.
        return


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """What logging's last resort did before the file existed: records of plexrate's own
    loggers, message only, on stderr (the stream of the moment, as tests swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setLevel(logging.WARNING)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        record.msg, record.args = redact(record.getMessage()), None
        super().emit(record)


class RunLog:
    """The log file of one command; ``close`` detaches it (tests run many commands in one
    process)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors = 0
        """How many error lines this command logged."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # delay: the file appears with the first warning, not with every command.
        self._file = _LogFile(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
        self._file.setLevel(logging.WARNING)
        self._file.setFormatter(_Redacting(_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
        logger = logging.getLogger(LOGGER)
        self._handlers: list[logging.Handler] = [self._file]
        if not logging.getLogger().handlers and not logger.handlers:
            # Without a handler of its own, a plexrate warning went to logging's last resort
            # (stderr); with the file attached it would go only to the file.
            self._handlers.append(_Stderr())
        for handler in self._handlers:
            logger.addHandler(handler)

    def line(self, text: str) -> None:
        """Record a line the command printed for people, if it is a warning or an error."""
        head, _, rest = text.partition(":")
        level = {"Warning": logging.WARNING, "Error": logging.ERROR}.get(head.strip())
        if level is None or not rest.strip():
            return
        self.errors += level >= logging.ERROR
        record = _log.makeRecord(_log.name, level, __file__, 0, rest.strip(), (), None)
        # Straight to the file: stderr already has it.
        if self._file.filter(record):
            self._file.handle(record)

    def close(self) -> None:
        logger = logging.getLogger(LOGGER)
        for handler in self._handlers:
            logger.removeHandler(handler)
            handler.close()
        self._handlers = []


def open_log(path: Path | None) -> tuple[RunLog | None, str | None]:
    """The log at ``path``, or why there is none (None, None when the log is switched off)."""
    if path is None or _is_null_device(path):
        return None, None
    try:
        return RunLog(path), None
    except OSError as exc:
        return None, f"cannot write the log file {path}: {exc.strerror or exc}"


def _is_null_device(path: Path) -> bool:
    # Windows spells it NUL, and a resolved path may come back as \\.\nul.
    return str(path) == os.devnull or (os.name == "nt" and path.name.lower() == "nul")
