"""The fleet's moving parts: a throwaway PostgreSQL database, a private Redis, serve instances.

Everything listens on 127.0.0.1 and is owned by the harness: it creates it, can stop and
restart it, and removes it in `close()` whatever happened. A `Timeline` records every
disruption, so each answer can be judged by what was really down while it was in flight.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """Children get SIGKILL if the harness itself is killed (Linux PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


# PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, so every child is
# started from this one long-lived thread, whichever thread asks.
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fleet-launcher")


# Set when the harness starts tearing down: from then on nothing may start a process.
STOPPING = threading.Event()


def spawn(argv: list[str], log: IO[bytes], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a child writing to `log`; it is killed if the harness dies without cleaning up.

    Raises RuntimeError once the harness is tearing down.
    """
    if STOPPING.is_set():
        raise RuntimeError("the fleet is being torn down")
    future = _LAUNCHER.submit(subprocess.Popen, argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                              preexec_fn=_die_with_parent)
    return future.result()


def terminate(proc: subprocess.Popen[bytes] | None) -> None:
    """Stop a child process: SIGTERM, then SIGKILL if it has not exited within 10 s."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@dataclass
class Disruption:
    what: str
    start: float
    end: float | None = None
    # None: a shared dependency (PostgreSQL, Redis); otherwise the one process that was down.
    process: str | None = None


class Timeline:
    """Seconds since the run started, and the disruptions seen on that clock."""

    # A request whose lifetime came this close to a disruption is judged as overlapping it.
    GRACE = 0.5

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.disruptions: list[Disruption] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def begin(self, what: str, process: str | None = None) -> Disruption:
        d = Disruption(what, self.now(), None, process)
        with self._lock:
            self.disruptions.append(d)
        return d

    def end(self, d: Disruption) -> None:
        d.end = self.now()

    def down_during(self, start: float, end: float, process: str | None = None) -> list[str]:
        """What was down (shared dependencies, or `process` itself) while [start, end] ran."""
        found = []
        with self._lock:
            for d in self.disruptions:
                d_end = d.end if d.end is not None else float("inf")
                if d.process is not None and d.process != process:
                    continue
                if start <= d_end + self.GRACE and end >= d.start - self.GRACE:
                    found.append(f"{d.what} (+{d.start:.1f} s)")
        return found


class ThrowawayDatabase:
    """A PostgreSQL database created for one run and dropped (WITH FORCE) at the end."""

    def __init__(self) -> None:
        self.name = f"ms_fleet_{uuid.uuid4().hex[:10]}"
        self.url = PG_URL.format(name=self.name)
        self.created = False

    def create(self) -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True

    def terminate_connections(self) -> int:
        """pg_terminate_backend on every session of the run's database; returns how many."""
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            ).fetchall()
        return sum(1 for (ok,) in rows if ok)

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={self.name} connect_timeout=5")

    def drop(self) -> None:
        if not self.created:
            return
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.created = False


class PrivateRedis:
    """The run's own redis-server on a free loopback port (no persistence), restartable in place."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is needed (apt-get install redis-server)")
        self.starts += 1
        log = open(self.workdir / f"redis-{self.starts}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.proc = spawn(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            log,
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode} (see {self.workdir})")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING within 10 s")

    def stop(self) -> None:
        terminate(self.proc)
        self.proc = None


_UNHANDLED = re.compile(r"unhandled error \(request (\S+)\)")
# The start of the next log record (ours, or uvicorn's) ends a traceback.
_LOG_RECORD = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|(INFO|WARNING|ERROR|DEBUG|CRITICAL):)")
# "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) ...": the last one is the outermost.
# PostgreSQL's own "DETAIL:" and "CONTEXT:" lines are not exceptions.
_EXCEPTION_LINE = re.compile(r"^(?![A-Z]+:)[A-Za-z_][\w.]*(: |$)")


class Instance:
    """One `mailsentinel serve` process; each start is a new incarnation with its own log file."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path, command: str = "serve") -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.workdir = workdir
        self.command = command
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []
        self.started = 0.0

    def start(self, wait: bool = True) -> float:
        """Start the process; with `wait`, returns seconds until it answers HTTP."""
        log_path = self.workdir / f"{self.name}-{len(self.logs) + 1}.log"
        self.logs.append(log_path)
        log: IO[bytes] = open(log_path, "wb")  # noqa: SIM115 (the child keeps its own descriptor)
        argv = [str(BIN / "mailsentinel"), self.command]
        if self.command == "serve":
            argv += ["--host", "127.0.0.1", "--port", str(self.port)]
        started = self.started = time.monotonic()
        self.proc = spawn(argv, log, self.env)
        log.close()
        return self.wait_ready(started) if wait and self.command == "serve" else 0.0

    def wait_ready(self, started: float, timeout: float = 60) -> float:
        while time.monotonic() - started < timeout:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                raise RuntimeError(f"instance {self.name} exited with {code} at start: {self.last_error()}")
            try:
                httpx.get(f"{self.url}/health", timeout=2)
                return time.monotonic() - started
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"instance {self.name} not answering after {timeout} s (log {self.logs[-1]})")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        terminate(self.proc)

    def last_error(self) -> str:
        """The last exception line of the current incarnation's log (why it died)."""
        lines = self.logs[-1].read_text(encoding="utf-8", errors="replace").splitlines() if self.logs else []
        found = [line.strip() for line in lines if _EXCEPTION_LINE.match(line)]
        return found[-1][:300] if found else (lines[-1][:300] if lines else "no output")

    def unhandled_errors(self) -> dict[str, str]:
        """request id -> the last exception line ("module.Error: message") logged for it."""
        causes: dict[str, str] = {}
        for path in self.logs:
            if not path.exists():
                continue
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            for i, line in enumerate(lines):
                match = _UNHANDLED.search(line)
                if not match:
                    continue
                cause = ""
                for follow in lines[i + 1:]:
                    if _LOG_RECORD.match(follow):
                        break
                    if _EXCEPTION_LINE.match(follow):
                        cause = follow.strip()
                causes[match.group(1)] = cause[:300]
        return causes
