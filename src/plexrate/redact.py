"""Keep secrets out of everything plexrate prints, logs or stores (invariant 8).

Settings register the token here as soon as it is loaded; every message that leaves the process
through the CLI error path or the log handler passes through ``redact``. This is a second line of
defence: code should not put the token into messages in the first place.
"""

from __future__ import annotations

import logging
import threading

REDACTED = "***"
_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    # Very short values would redact ordinary words; real Plex tokens are ~20 characters.
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
