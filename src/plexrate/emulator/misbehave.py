"""Named ways a server at ``PLEX_URL`` can misbehave that are not faults of a busy Plex.

A ``FaultPlan`` makes a seeded share of requests fail the way a loaded Plex server does (and a
client retries). A ``Misbehaviour`` is something else: a proxy that redirects, Plex Web or a login
page answering instead of the server, a program that is not Plex at all. It answers every request
it applies to (``endpoints``; empty means all) the same way until it is cleared, so a test can
name the behaviour and check the one clear error plexrate gives for it. Bad attribute values in
otherwise sound answers are set per item with ``Emulator.corrupt``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

MISBEHAVIOURS: dict[str, str] = {
    "redirect": "answer 302 with the same path and query at another address (`target`)",
    "redirect-loop": "answer 302 with the very address asked for",
    "web-page": "answer 200 with an HTML sign-in page (Plex Web, or a proxy's login)",
    "json": "answer 200 with a JSON document instead of XML",
    "empty": "answer 200 with an empty body",
    "malformed-xml": "answer 200 with XML that breaks off in the middle",
    "wrong-root": "answer 200 with well-formed XML whose root is not a MediaContainer",
    "not-plex": "answer 404 to every request, like a web server that is not Plex",
    "forbidden": "answer 403 (a proxy's or the server's refusal)",
}

_LOGIN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>"
    b"<form method='post' action='/login'><input name='user'><input name='password' "
    b"type='password'><button>Sign in</button></form></body></html>\n"
)


@dataclass(frozen=True)
class Misbehaviour:
    """One named misbehaviour; ``endpoints`` limits it to routes such as ``GET /`` or
    ``PUT /library/sections/{id}/all`` (the endpoint names of the request log)."""

    name: str
    endpoints: frozenset[str] = field(default_factory=frozenset)
    target: str | None = None
    """Where ``redirect`` sends the client: ``http://host:port``."""
    after_writes: int = 0
    """Start only once the server has answered this many write requests: with ``endpoints``
    limited to ``GET /library/metadata/{ids}``, reads back that fail after writes landed."""

    def __post_init__(self) -> None:
        if self.name not in MISBEHAVIOURS:
            known = ", ".join(sorted(MISBEHAVIOURS))
            raise ValueError(f"unknown misbehaviour {self.name!r} (known: {known})")
        if self.name == "redirect" and not self.target:
            raise ValueError("the redirect misbehaviour needs a target address")
        if self.after_writes < 0:
            raise ValueError("after_writes must not be negative")

    @classmethod
    def of(
        cls,
        name: str,
        *,
        endpoints: Iterable[str] = (),
        target: str | None = None,
        after_writes: int = 0,
    ) -> Misbehaviour:
        return cls(name, frozenset(endpoints), target, after_writes)

    def applies(self, endpoint: str, *, writes: int = 0) -> bool:
        """Whether the answer to ``endpoint`` misbehaves, ``writes`` write requests in."""
        if writes < self.after_writes:
            return False
        return not self.endpoints or endpoint in self.endpoints

    def reply(self, *, host: str, path: str, query: str) -> tuple[int, bytes, str, dict[str, str]]:
        """Status, body, content type and extra headers of the answer."""
        here = path + (f"?{query}" if query else "")
        if self.name == "redirect":
            assert self.target is not None
            return 302, b"", "text/html", {"Location": self.target.rstrip("/") + here}
        if self.name == "redirect-loop":
            return 302, b"", "text/html", {"Location": f"http://{host}{here}"}
        if self.name == "web-page":
            return 200, _LOGIN_PAGE, "text/html; charset=utf-8", {}
        if self.name == "json":
            body = json.dumps({"MediaContainer": {"size": 0, "Metadata": []}}).encode()
            return 200, body, "application/json", {}
        if self.name == "empty":
            return 200, b"", "text/xml;charset=utf-8", {}
        if self.name == "malformed-xml":
            body = b'<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="3"><Track rating'
            return 200, body, "text/xml;charset=utf-8", {}
        if self.name == "forbidden":
            return 403, b"<html><body>403 Forbidden</body></html>", "text/html", {}
        if self.name == "wrong-root":
            return 200, b"<?xml version='1.0'?><status ok='1'/>", "text/xml;charset=utf-8", {}
        return 404, b"<html><body>404 Not Found</body></html>", "text/html", {}
