"""The error hierarchy and the exit codes the CLI turns them into.

Core code raises these; only the CLI boundary (``plexrate.cli.app.main``) prints them, as one line
on stderr, and exits with ``exit_code``. Messages must be safe to show: never put the Plex token in
one (invariant 8).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    CONFIG = 3
    PLEX = 4
    INTERRUPTED = 130


class PlexrateError(Exception):
    """Base class: a problem a person can act on. ``hint`` says how to fix it."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(PlexrateError):
    exit_code = ExitCode.USAGE


class ConfigError(PlexrateError):
    """Bad or missing configuration, including a library name the server does not have."""

    exit_code = ExitCode.CONFIG


class LibraryNotFound(ConfigError):
    pass


class PlexError(PlexrateError):
    """The Plex server could not be reached, refused us, or answered something unusable."""

    exit_code = ExitCode.PLEX


class PlexUnreachable(PlexError):
    pass


class PlexAuthError(PlexError):
    pass


class EditNotAllowed(PlexAuthError):
    """Plex answers reads with the token but refuses edits: not the owner's token (a shared or a
    managed user). Ratings may still be written one by one with ``/:/rate``."""


class TlsError(ConfigError):
    """The server's certificate or TLS setup does not let plexrate connect safely."""


class StateError(PlexrateError):
    """The StateStore is unreadable, locked by another process, or belongs to another library."""


class StateLocked(StateError):
    pass


class LibraryMismatch(StateError):
    pass


class InputFileError(PlexrateError):
    """A file the person gave us (CSV, legacy state) is malformed or too large; the message names
    the row, the field or the limit."""

    exit_code = ExitCode.CONFIG


class Interrupted(PlexrateError):
    """The person asked to stop (Ctrl-C then Quit, or SIGTERM); work so far is recorded."""

    exit_code = ExitCode.INTERRUPTED
