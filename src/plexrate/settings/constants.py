"""Names and limits every part of the settings shares: files, the environment prefix, the docs."""

from __future__ import annotations

from typing import Literal

CONFIG_VERSION = "plexrate-1"
"""Written as ``version`` by ``config init``; a file with another version gets a warning."""
CONFIG_FILENAME = "config.json"
ENV_PREFIX = "PLEXRATE_"
CONFIG_ENV = "PLEXRATE_CONFIG"
PLACEHOLDER_URL = "http://127.0.0.1:32400"
PLACEHOLDER_TOKEN = "YOUR-PLEX-TOKEN"
MAX_PAGE_SIZE = 1000
"""Real Plex servers refuse section listings above 1000 items per page (docs/real-servers.md)."""
MAX_TAG_LENGTH = 255
"""Longest INFERRED_TAG / TWIN_TAG: every write sends the tag in its URL, and a mood name is a
word or two; a very long one would make every edit request too long for the server."""
MAX_SLEEP = 3600
"""Longest COOLDOWN_SLEEP and TIMEOUT, in seconds: an hour is far beyond any useful pause."""
DOCS = "docs/settings.md"

Source = Literal["default", "file", "env", "flag"]
"""The layer a setting's value came from (``LoadedSettings.sources``)."""
