"""The console's committed build (sentinel/web/console_dist) is what its source builds to.

`serve` and `mock` ship the built files, so no Node is needed at run time; this test rebuilds
console/ (`npm run build`: tsc, then vite) into a temporary directory and fails when any file
differs, so a source change without `make console` cannot land.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"
DIST = ROOT / "sentinel" / "web" / "console_dist"


def _tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_committed_build_matches_the_source(tmp_path: Path) -> None:
    assert (CONSOLE / "node_modules" / "vite").is_dir(), "run `make console-deps` (npm ci in console/)"
    out = tmp_path / "dist"
    done = subprocess.run(["npm", "run", "--silent", "build"], cwd=CONSOLE,
                          env={**os.environ, "CONSOLE_OUT_DIR": str(out)},
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    built, committed = _tree(out), _tree(DIST)
    rebuild = "run `make console` and commit sentinel/web/console_dist"
    assert sorted(built) == sorted(committed), f"file names differ: {rebuild}"
    changed = [name for name in built if built[name] != committed[name]]
    assert not changed, f"{changed} differ from a fresh build: {rebuild}"
