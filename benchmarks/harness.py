"""Processes under measurement: an emulator in its own process, and plexrate (or the old-pattern
client) as a child whose wall time and peak memory are taken from the kernel.

Each side gets its own interpreter, so the client and the server never share a GIL and the
client's peak RSS is its own (``os.wait4`` returns the child's resource usage).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from plexrate.emulator.remote import RemoteEmulator

PYTHON = sys.executable
# Variables of the person running the benchmark must not leak into the measured runs.
_SCRUB_PREFIXES = ("PLEXRATE_", "PLEXAPI_")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB_PREFIXES)}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "PYTHONHASHSEED": "0"})
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class ChildResult:
    """One finished child process, measured."""

    argv: tuple[str, ...]
    returncode: int
    wall: float
    peak_rss_mib: float
    user: float
    system: float
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The child's stdout as JSON (plexrate's ``--json`` document)."""
        return json.loads(self.stdout)

    def check(self) -> ChildResult:
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"{' '.join(self.argv)} exited {self.returncode}:\n{tail}")
        return self


# A small process between the harness and the measured child. A child's peak RSS as the kernel
# reports it includes what its parent held when it was forked (exec folds the old address space's
# high-water mark into the figure), and the harness holds whole library dumps; forked from this
# launcher, the child's figure is its own. The launcher also times the child without its own
# start-up.
_LAUNCHER = """
import json, os, subprocess, sys, time
report, argv = sys.argv[1], sys.argv[2:]
began = time.perf_counter()
child = subprocess.Popen(argv)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - began
child.returncode = code = os.waitstatus_to_exitcode(status)
with open(report, "w") as fh:
    json.dump({"code": code, "wall": wall, "maxrss_kib": usage.ru_maxrss,
               "user": usage.ru_utime, "system": usage.ru_stime}, fh)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_child(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> ChildResult:
    """Run ``argv`` to completion; wall time, peak RSS and CPU times come from ``wait4``."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as scratch,
    ):
        report = Path(scratch) / "rusage.json"
        proc = subprocess.Popen(
            [PYTHON, "-S", "-c", _LAUNCHER, str(report), *argv],
            stdout=out,
            stderr=err,
            env=dict(env),
            cwd=cwd,
        )
        try:
            proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
        try:
            usage = json.loads(report.read_text())
        except (OSError, ValueError):
            raise RuntimeError(f"the launcher of {argv[0]} failed:\n{stderr[-2000:]}") from None
        return ChildResult(
            argv=tuple(argv),
            returncode=int(usage["code"]),
            wall=float(usage["wall"]),
            peak_rss_mib=int(usage["maxrss_kib"]) / 1024,  # KiB on Linux
            user=float(usage["user"]),
            system=float(usage["system"]),
            stdout=stdout,
            stderr=stderr,
        )


@dataclass
class EmulatorProcess:
    """``plexrate emulator serve`` in its own process, driven through its hooks."""

    tracks: int
    seed: int = 1
    latency: str = "plex"
    latency_scale: float = 1.0
    workdir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    url: str = ""
    token: str = ""
    library: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    start_seconds: float = 0.0
    _proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self) -> EmulatorProcess:
        argv = [
            PYTHON,
            "-m",
            "plexrate",
            "emulator",
            "serve",
            "--tracks",
            str(self.tracks),
            "--seed",
            str(self.seed),
            "--latency",
            self.latency,
            "--latency-scale",
            repr(self.latency_scale),
            "--port",
            "0",
        ]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = (self.workdir / "emulator.log").open("wb")
        began = time.perf_counter()
        self._proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=self._log, env=clean_env(), cwd=self.workdir
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self.stop()
            log = (self.workdir / "emulator.log").read_text(errors="replace")
            raise RuntimeError(f"the emulator did not start:\n{log[-2000:]}")
        info = json.loads(line)
        self.start_seconds = time.perf_counter() - began
        self.url, self.token, self.library = info["url"], info["token"], info["library"]
        self.counts = {k: int(info[k]) for k in ("artists", "albums", "tracks")}
        return self

    @property
    def remote(self) -> RemoteEmulator:
        # Dumps of 300,000 tracks take a while to build and send.
        return RemoteEmulator(self.url, self.token, timeout=600.0)

    def peak_rss_mib(self) -> float | None:
        """The server's peak resident memory so far (VmHWM), where /proc has it."""
        if self._proc is None:
            return None
        try:
            status = Path(f"/proc/{self._proc.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def plexrate_env(
    emulator: EmulatorProcess,
    *,
    state_path: Path,
    tag: bool = True,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for a plexrate child pointed at ``emulator``; no cooldown pauses."""
    values = {
        "PLEXRATE_PLEX_URL": emulator.url,
        "PLEXRATE_PLEX_TOKEN": emulator.token,
        "PLEXRATE_LIBRARY_NAME": emulator.library,
        "PLEXRATE_STATE_PATH": str(state_path),
        "PLEXRATE_COOLDOWN_SLEEP": "0",
    }
    if not tag:
        values["PLEXRATE_INFERRED_TAG"] = ""
    values.update(extra or {})
    return clean_env(values)


def plexrate_argv(*args: str, profile: Path | None = None) -> list[str]:
    """``python -m plexrate ARGS``, under pyinstrument when ``profile`` names an output file."""
    if profile is None:
        return [PYTHON, "-m", "plexrate", *args]
    return [
        PYTHON,
        "-m",
        "pyinstrument",
        "--renderer",
        "text",
        "--outfile",
        str(profile),
        "-m",
        "plexrate",
        *args,
    ]


def command_available(*words: str) -> bool:
    """Whether this checkout's plexrate has the command (``admin undo``, ``bulk import``)."""
    with contextlib.suppress(OSError):
        result = subprocess.run(
            [PYTHON, "-m", "plexrate", *words, "--help"],
            capture_output=True,
            env=clean_env(),
            check=False,
        )
        return result.returncode == 0
    return False


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover - not on Linux
        return (0.0, 0.0, 0.0)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import platform

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    return {
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory": memory,
    }


def report(results: Mapping[str, Any], output: Path | None) -> None:
    """Print a benchmark's results as JSON, and keep them in ``output`` when given."""
    text = json.dumps(results, indent=2)
    print(text)
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
