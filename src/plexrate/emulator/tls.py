"""HTTPS for the emulator, with a certificate like a real Plex server's.

A Plex Media Server's certificate is issued for ``*.<hash>.plex.direct`` (each server has its own
hash), and ``https://<ip-with-dashes>.<hash>.plex.direct:32400`` resolves to that IP; addressed as
``https://<LAN IP>:32400`` the certificate does not match (docs/real-servers.md, "TLS and
plex.direct"). ``TlsFiles.issued`` makes such a certificate signed by a throw-away authority (its
PEM is ``ca_pem``, which a client can trust as ``CA_BUNDLE``), ``self_signed=True`` one signed by
itself, which no client trusts.

Certificates are made with the ``cryptography`` package (in plexrate's ``test`` extra), imported
only when a certificate is made.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLEX_DIRECT_HASH = "0123456789abcdef0123456789abcdef"
"""The emulator's stand-in for a server's plex.direct hash."""


def plex_direct_name(ip: str = "127.0.0.1", *, server_hash: str = PLEX_DIRECT_HASH) -> str:
    """The plex.direct name of ``ip``: ``127-0-0-1.<hash>.plex.direct``."""
    return f"{ip.replace('.', '-')}.{server_hash}.plex.direct"


@dataclass(frozen=True)
class TlsFiles:
    """A certificate and its key (PEM), and the authority that signed it (``ca_pem``; the
    certificate itself when self-signed)."""

    cert_pem: bytes
    key_pem: bytes
    ca_pem: bytes
    names: tuple[str, ...]

    @classmethod
    def issued(
        cls,
        names: Sequence[str] = (f"*.{PLEX_DIRECT_HASH}.plex.direct",),
        *,
        self_signed: bool = False,
        ips: Sequence[str] = (),
    ) -> TlsFiles:
        """A certificate for ``names`` (DNS, wildcards allowed) and ``ips``."""
        try:
            from cryptography import x509  # noqa: PLC0415
            from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
            from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
            from cryptography.x509.oid import NameOID  # noqa: PLC0415
        except ImportError as exc:  # pragma: no cover - the test extra installs it
            raise RuntimeError(
                "the emulator's TLS mode needs the cryptography package: "
                "pip install 'plexrate[test]'"
            ) from exc

        now = datetime.datetime.now(datetime.UTC)
        encoding = serialization.Encoding.PEM

        def name(common: str) -> Any:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

        key = ec.generate_private_key(ec.SECP256R1())
        alt: list[Any] = [x509.DNSName(n) for n in names]
        alt += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        subject = name(names[0] if names else "plexrate-emulator")
        if self_signed:
            issuer_name, issuer_key = subject, key
        else:
            issuer_key = ec.generate_private_key(ec.SECP256R1())
            issuer_name = name("plexrate emulator test authority")

        def base(subject_name: Any, public_key: Any) -> Any:
            return (
                x509.CertificateBuilder()
                .subject_name(subject_name)
                .issuer_name(issuer_name)
                .public_key(public_key)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
            )

        cert = (
            base(subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=self_signed, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256())
        )
        cert_pem = cert.public_bytes(encoding)
        if self_signed:
            ca_pem = cert_pem
        else:
            authority = (
                base(issuer_name, issuer_key.public_key())
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .sign(issuer_key, hashes.SHA256())
            )
            ca_pem = authority.public_bytes(encoding)
        key_pem = key.private_bytes(
            encoding,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(cert_pem=cert_pem, key_pem=key_pem, ca_pem=ca_pem, names=tuple(names))

    def context(self) -> ssl.SSLContext:
        """A server-side TLS context holding this certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory(prefix="plexrate-tls-") as folder:
            cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
            cert.write_bytes(self.cert_pem)
            descriptor = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(self.key_pem)
            context.load_cert_chain(cert, key)
        return context

    def write_ca(self, path: Path) -> Path:
        """Save the authority's certificate (for ``CA_BUNDLE``)."""
        path.write_bytes(self.ca_pem)
        return path
