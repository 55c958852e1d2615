"""`pip install ./sdk/python` into a fresh virtual environment pulls httpx and its own
dependencies only, never the server's (`make sdk-install-check`). Exits 1 otherwise."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

SDK = Path(__file__).resolve().parents[1]
# httpx and what it needs on Python 3.9-3.13; pip itself comes with the venv.
ALLOWED = {"mailsentinel", "httpx", "httpcore", "anyio", "idna", "certifi", "h11", "sniffio", "typing-extensions",
           "exceptiongroup", "pip", "setuptools", "wheel"}
SERVER = {"mailsentinel-server", "connexion", "sqlalchemy", "alembic", "uvicorn", "starlette", "dnspython", "lxml",
          "psycopg", "redis", "limits", "pyyaml", "cryptography", "publicsuffixlist"}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="mailsentinel-sdk-") as tmp:
        env_dir = Path(tmp) / "venv"
        venv.create(env_dir, with_pip=True)
        python = env_dir / "bin" / "python"
        # A copy, so the build leaves nothing behind in the work tree.
        source = Path(tmp) / "sdk"
        shutil.copytree(SDK, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
        subprocess.run([python, "-m", "pip", "install", "--quiet", str(source)], check=True)
        listed = subprocess.run([python, "-m", "pip", "list", "--format=json"], check=True, capture_output=True,
                                text=True).stdout
        installed = {d["name"].lower().replace("_", "-") for d in json.loads(listed)}
        probe = "import sys, mailsentinel; c = mailsentinel.MailSentinel(api_key='k'); print(c.base_url); " \
                "assert 'sentinel' not in sys.modules"
        subprocess.run([python, "-c", probe], check=True, cwd=tmp)
    print("installed:", ", ".join(sorted(installed)))
    server = installed & SERVER
    unexpected = installed - ALLOWED
    if server or unexpected:
        print(f"FAIL: server dependencies {sorted(server)}, unexpected {sorted(unexpected)}")
        return 1
    print("ok: the SDK pulls no server dependency")
    return 0


if __name__ == "__main__":
    sys.exit(main())
