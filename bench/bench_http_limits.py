"""The D1/D2 probes against a real `mailsentinel serve`: its memory while clients abuse the HTTP layer.

    python bench/bench_http_limits.py [--python PATH] [--pythonpath DIR]

Starts `serve` on SQLite in a temporary directory (loopback, a free port), then:
  D1: 20 connections each start an unauthenticated chunked upload and send up to 24 MiB of it,
      then stay idle; D2: 4 connections each send up to 128 MiB of one header line.
Prints the server's resident memory (VmRSS, and the peak VmHWM from /proc/PID/status) before,
during and after, and what each connection got back. `--pythonpath` runs another source tree
(e.g. an older checkout) with the same interpreter, for before/after figures.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from support import free_port, wait_ready

MIB = 1024 * 1024


def memory(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            fields[name] = int(value.split()[0]) // 1024
    return fields


def first_line(sock: socket.socket) -> str:
    try:
        sock.settimeout(2)
        data = sock.recv(4096)
        return data.split(b"\r\n", 1)[0].decode("latin-1") if data else "closed"
    except (TimeoutError, OSError) as exc:
        return f"no answer ({type(exc).__name__})"


def push(sock: socket.socket, total: int, piece: bytes) -> int:
    sent = 0
    try:
        while sent < total:
            sock.sendall(piece)
            sent += len(piece)
    except OSError:
        pass
    return sent


def d1(port: int, results: list[str], sockets: list[socket.socket]) -> None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sockets.append(sock)
    head = (
        b"POST /api/organizations/org_probe/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    sock.sendall(head)
    sent = push(sock, 24 * MIB, b"%x\r\n" % MIB + b"\0" * MIB + b"\r\n")
    results.append(f"sent {sent / MIB:.0f} MiB of body, got: {first_line(sock)}")


def d2(port: int, results: list[str], sockets: list[socket.socket]) -> None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sockets.append(sock)
    sock.sendall(b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ")
    sent = push(sock, 128 * MIB, b"a" * MIB)
    results.append(f"sent {sent / MIB:.0f} MiB of header, got: {first_line(sock)}")


def probe(name: str, target, count: int, port: int, pid: int) -> None:
    results: list[str] = []
    sockets: list[socket.socket] = []
    threads = [threading.Thread(target=target, args=(port, results, sockets)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(2)  # the connections idle
    print(f"{name}: {count} connections, server now {memory(pid)}")
    for line in sorted(set(results)):
        print(f"  {results.count(line)} x {line}")
    for sock in sockets:
        sock.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--pythonpath", help="source tree to run instead of the installed one")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MAILSENTINEL_DATABASE_URL": f"sqlite:///{tmp}/probe.db", "MAILSENTINEL_PORT": str(port),
               "MAILSENTINEL_LOG_LEVEL": "ERROR"}
        if args.pythonpath:
            env["PYTHONPATH"] = args.pythonpath
        proc = subprocess.Popen([args.python, "-m", "sentinel.cli", "serve"], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(f"http://127.0.0.1:{port}/health", proc)
            print(f"server pid {proc.pid} ready: {memory(proc.pid)}")
            probe("D1 unauthenticated chunked uploads", d1, 20, port, proc.pid)
            probe("D2 128 MiB header lines", d2, 4, port, proc.pid)
            print(f"at the end: {memory(proc.pid)} (VmHWM is the peak)")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
