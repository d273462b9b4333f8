"""Full paged listing of every track through plexapi against a generated library.

Starts ``plexrate emulator serve`` in its own process (so server and client memory are measured
separately), lists all tracks with unmodified plexapi at the given page size, then lists them
again reading the XML directly (what a client that bypasses plexapi objects would do), and prints
one JSON object with the figures recorded in ``docs/benchmarks.md``.

    python -m benchmarks.emulator_listing --tracks 300000 --page-size 1000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import requests

from plexrate.emulator.remote import RemoteEmulator


def _peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _raw_listing(url: str, token: str, section: int, page: int) -> tuple[int, float]:
    started = time.perf_counter()
    session = requests.Session()
    seen = 0
    start = 0
    while True:
        response = session.get(
            f"{url}/library/sections/{section}/all",
            params={"type": 10, "includeGuids": 1},
            headers={
                "X-Plex-Token": token,
                "X-Plex-Container-Start": str(start),
                "X-Plex-Container-Size": str(page),
            },
            timeout=120,
        )
        response.raise_for_status()
        root = ET.fromstring(response.content)
        rows = [(e.get("ratingKey"), e.get("userRating")) for e in root.iter("Track")]
        seen += len(rows)
        start += page
        if start >= int(root.get("totalSize") or 0):
            break
    return seen, time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args(argv)

    env = {**os.environ, "PLEXAPI_PLEXAPI_AUTORELOAD": "false"}
    os.environ["PLEXAPI_PLEXAPI_AUTORELOAD"] = "false"
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "plexrate", "emulator", "serve", "--port", "0"),
            *("--tracks", str(args.tracks), "--seed", str(args.seed)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        startup = time.perf_counter() - started
        remote = RemoteEmulator(info["url"], info["token"])

        from plexapi.server import PlexServer  # after the env var: read at object creation

        plex = PlexServer(info["url"], info["token"], timeout=300)
        music = plex.library.section(info["library"])
        remote.reset_stats()
        t0 = time.perf_counter()
        tracks = music.searchTracks(container_size=args.page_size)
        plexapi_seconds = time.perf_counter() - t0
        keys = {t.ratingKey for t in tracks}
        stats = remote.stats()
        client_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        del tracks
        raw_count, raw_seconds = _raw_listing(info["url"], info["token"], music.key, args.page_size)
        result = {
            "tracks": info["tracks"],
            "albums": info["albums"],
            "artists": info["artists"],
            "page_size": args.page_size,
            "server_startup_s": round(startup, 1),
            "plexapi_listing_s": round(plexapi_seconds, 1),
            "plexapi_unique_tracks": len(keys),
            "listing_requests": stats.requests,
            "items_returned": stats.items_returned,
            "raw_xml_listing_s": round(raw_seconds, 1),
            "raw_xml_tracks": raw_count,
            "server_peak_rss_mib": round(_peak_rss_mb(server.pid)),
            "client_peak_rss_mib": round(client_peak),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
        }
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
