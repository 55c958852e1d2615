"""`pip install ./sdk/python` into a fresh virtual environment pulls httpx and its own
dependencies only, never the server's, and the installed package works there: every module
imports, every model's annotations evaluate, and the seed's example runs against a
`mailsentinel mock` this script starts (`make sdk-install-check`; `PYTHON=python3.9` checks an
older interpreter). Exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

SDK = Path(__file__).resolve().parents[1]
ROOT = SDK.parents[1]
# httpx and what it needs on Python 3.9-3.13; pip itself comes with the venv.
ALLOWED = {"mailsentinel", "httpx", "httpcore", "anyio", "idna", "certifi", "h11", "sniffio", "typing-extensions",
           "exceptiongroup", "pip", "setuptools", "wheel"}
SERVER = {"mailsentinel-server", "connexion", "sqlalchemy", "alembic", "uvicorn", "starlette", "dnspython", "lxml",
          "psycopg", "redis", "limits", "pyyaml", "cryptography", "publicsuffixlist"}
OWNER_TOKEN = "ms_live_MailSentinelMockOwnerToken00000000000001"
PROBE = """
import importlib, os, pkgutil, sys, typing
import mailsentinel, mailsentinel.types as t
from mailsentinel import MailSentinel
for info in pkgutil.walk_packages(mailsentinel.__path__, "mailsentinel."):
    importlib.import_module(info.name)
hints = 0
for name in t.__all__:
    obj = getattr(t, name)
    if isinstance(obj, type) and issubclass(obj, dict):
        hints += len(typing.get_type_hints(obj))
assert "sentinel" not in sys.modules, "the SDK imported the server"
import importlib.resources
assert (importlib.resources.files("mailsentinel") / "py.typed").is_file(), "py.typed is not installed"
client = MailSentinel(api_key=os.environ['MAILSENTINEL_API_KEY'])
org = client.me.get()["memberships"][0]["organization"]["id"]
domains = client.domains.list(org)
print(sys.version.split()[0], len(list(domains)), "domains,", hints, "model fields")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_mock() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSENTINEL_")}
    env["MAILSENTINEL_LOG_LEVEL"] = "warning"
    proc = subprocess.Popen([sys.executable, "-m", "sentinel.cli", "mock", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("mailsentinel mock did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter of the fresh venv (default: this one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mailsentinel-sdk-") as tmp:
        env_dir = Path(tmp) / "venv"
        subprocess.run([args.python, "-m", "venv", str(env_dir)], check=True)
        python = env_dir / "bin" / "python"
        # A copy, so the build leaves nothing behind in the work tree.
        source = Path(tmp) / "sdk"
        shutil.copytree(SDK, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
        subprocess.run([python, "-m", "pip", "install", "--quiet", str(source)], check=True)
        listed = subprocess.run([python, "-m", "pip", "list", "--format=json"], check=True, capture_output=True,
                                text=True).stdout
        installed = {d["name"].lower().replace("_", "-") for d in json.loads(listed)}
        proc, url = _start_mock()
        try:
            env = {**os.environ, "MAILSENTINEL_API_KEY": OWNER_TOKEN, "MAILSENTINEL_BASE_URL": url}
            subprocess.run([python, "-c", PROBE], check=True, cwd=tmp, env=env)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("installed:", ", ".join(sorted(installed)))
    server = installed & SERVER
    unexpected = installed - ALLOWED
    if server or unexpected:
        print(f"FAIL: server dependencies {sorted(server)}, unexpected {sorted(unexpected)}")
        return 1
    print("ok: the SDK pulls no server dependency and works in the fresh venv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
