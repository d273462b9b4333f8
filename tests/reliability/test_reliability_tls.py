"""TLS against the emulator's HTTPS mode (issue 14 item 5), through the real CLI.

A Plex server's certificate names ``*.<hash>.plex.direct``; addressed by its LAN IP it fails
verification. plexrate says so as a configuration error (exit 3) naming the plex.direct address
to use, instead of "cannot reach a Plex server" after a minute of retries. The certificates are
made in the test (``TlsFiles``, with the ``cryptography`` package from the test extra).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import Emulator, TlsFiles, generate_library
from plexrate.emulator.tls import PLEX_DIRECT_HASH, plex_direct_name
from tests.reliability.reliability_helpers import TOKEN, Target, assert_one_line_error, serve

pytestmark = pytest.mark.integration

PLEX_DIRECT = f"*.{PLEX_DIRECT_HASH}.plex.direct"


@pytest.fixture(scope="module")
def library() -> dict[str, Any]:
    return generate_library(tracks=40, seed=23).to_dict()


@pytest.fixture(scope="module")
def plex_like() -> TlsFiles:
    """A certificate like Plex's, signed by an authority the test can choose to trust."""
    return TlsFiles.issued((PLEX_DIRECT,))


def _serve(library: dict[str, Any], tls: TlsFiles | None) -> Emulator:
    return serve(library, tls=tls)


@pytest.fixture
def resolve_plex_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    """``<ip-with-dashes>.<hash>.plex.direct`` resolves to that IP, as Plex's DNS does."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".plex.direct"):
            host = host.split(".", 1)[0].replace("-", ".")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def tls_emu(library: dict[str, Any], plex_like: TlsFiles) -> Iterator[Emulator]:
    emu = _serve(library, plex_like)
    try:
        yield emu
    finally:
        emu.stop()


def test_the_lan_ip_of_a_plex_certificate_names_the_plex_direct_address(
    tls_emu: Emulator, plex_like: TlsFiles, tmp_path: Path
) -> None:
    ca = plex_like.write_ca(tmp_path / "ca.pem")
    target = Target(tls_emu, tmp_path, {"CA_BUNDLE": str(ca)})
    result = target.invoke("config", "check")
    assert result.exit_code == 3, result.stderr
    direct = f"https://{plex_direct_name()}:{tls_emu.port}"
    error = assert_one_line_error(result.stderr, contains=f"the certificate of {tls_emu.url}")
    assert f"is issued for {PLEX_DIRECT}, not for 127.0.0.1" in error
    assert f"set PLEX_URL to {direct}" in error
    assert tls_emu.stats().requests == 0  # refused before any request, so no token was sent


@pytest.mark.usefixtures("resolve_plex_direct")
def test_the_plex_direct_address_works_and_runs(
    tls_emu: Emulator, plex_like: TlsFiles, tmp_path: Path
) -> None:
    ca = plex_like.write_ca(tmp_path / "ca.pem")
    direct = f"https://{plex_direct_name()}:{tls_emu.port}"
    target = Target(tls_emu, tmp_path, {"CA_BUNDLE": str(ca), "PLEX_URL": direct})
    summary = target.invoke_json("run", "--apply", "--yes")
    assert summary["status"] == "completed" and summary["written"] > 0


def test_an_untrusted_certificate_is_a_configuration_error(
    tls_emu: Emulator, tmp_path: Path
) -> None:
    result = Target(tls_emu, tmp_path, {}).invoke("run", "--dry-run")
    assert result.exit_code == 3, result.stderr
    error = assert_one_line_error(result.stderr, contains="is not trusted")
    assert "set CA_BUNDLE to the file of the authority that signed it, or VERIFY_TLS=false" in error
    assert "cannot reach" not in error


def test_verify_tls_false_connects_without_checking(tls_emu: Emulator, tmp_path: Path) -> None:
    result = Target(tls_emu, tmp_path, {"VERIFY_TLS": "false"}).invoke("config", "check")
    assert result.exit_code == 0, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert "Warning" not in result.stderr  # urllib3's per-request warning is not repeated


def test_a_self_signed_certificate_is_not_trusted(library: dict[str, Any], tmp_path: Path) -> None:
    emu = _serve(library, TlsFiles.issued((PLEX_DIRECT,), self_signed=True))
    try:
        result = Target(emu, tmp_path, {}).invoke("config", "check")
        assert result.exit_code == 3, result.stderr
        assert_one_line_error(result.stderr, contains="self-signed certificate")
    finally:
        emu.stop()


def test_https_to_a_plain_http_server_says_so(library: dict[str, Any], tmp_path: Path) -> None:
    emu = _serve(library, None)
    try:
        url = emu.url.replace("http://", "https://")
        result = Target(emu, tmp_path, {"PLEX_URL": url}).invoke("config", "check")
        assert result.exit_code == 3, result.stderr
        error = assert_one_line_error(result.stderr, contains="does not speak TLS on that port")
        assert f"use http://127.0.0.1:{emu.port}" in error
    finally:
        emu.stop()


def test_a_missing_ca_bundle_is_named(tls_emu: Emulator, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    result = Target(tls_emu, tmp_path, {"CA_BUNDLE": str(missing)}).invoke("config", "check")
    assert result.exit_code == 3
    assert_one_line_error(result.stderr, contains=f"CA_BUNDLE {missing} is not a file")
