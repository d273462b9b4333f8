"""What ``plexrate doctor`` learned about a server, kept in the state file for later runs.

Stored in the library's ``meta`` table as JSON under ``PROFILE_KEY``, with the server's
machineIdentifier: a profile is used only against the server it was learned on. Later runs take
from it the page size the server accepts and, in ``auto`` write mode, the rating write form that
works there (docs/real-servers.md, "What doctor checks").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

PROFILE_KEY = "server-profile"
PROBE_KEY = "doctor-probe"
"""Set while doctor's write probe has a track rated: the key to clear if it was interrupted."""


class MetaStore(Protocol):
    def meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ServerProfile:
    machine_id: str
    url: str
    checked_at: float
    owner_token: bool | None = None
    """The token is the server owner's (admin) token; None: the server did not say."""
    page_size: int | None = None
    """The largest page (≤ 1000) a section listing accepted."""
    idle_ms: float | None = None
    may_edit: bool | None = None
    """None until a write probe ran (``doctor --probe-writes``)."""
    edit_stores: bool | None = None
    rate_stores: bool | None = None
    stored_probe: float | None = None
    """What the server held after 6.58 was written: 6.6 for one decimal."""

    def write_mode(self) -> str | None:
        """The write form ``auto`` should start with here: ``rate`` when edits are refused or
        do not store ratings, else None (keep ``auto``, which checks as it goes)."""
        if self.owner_token is False or self.may_edit is False:
            return "rate"
        if self.edit_stores is False and self.rate_stores:
            return "rate"
        return None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ServerProfile | None:
        try:
            data: Any = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError:
            return None


def load_profile(store: MetaStore, machine_id: str) -> ServerProfile | None:
    """The profile learned on the server ``machine_id``, if doctor checked it."""
    raw = store.meta(PROFILE_KEY)
    profile = None if raw is None else ServerProfile.from_json(raw)
    if profile is None or profile.machine_id != machine_id:
        return None
    return profile


def save_profile(store: MetaStore, profile: ServerProfile) -> None:
    store.set_meta(PROFILE_KEY, profile.to_json())
