"""The fuzz run must not go blind: every authenticated case is recorded, and the run fails when
the credentials a case used stopped working, or when an operation saw nothing but 401/403.

A fuzzer that revokes or rotates its own token, deletes its own organization or demotes its
own membership gets 401/403 for everything after, and every check still "passes" on those
answers. The ledger notices both ways: at once (a 401/403 answered to credentials that no
longer authenticate) and per operation (authenticated cases, none answered otherwise).
The per-operation status counts are also what `make coverage-report` reads.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

BLIND_STATUSES = frozenset({401, 403})
ROOT = Path(__file__).resolve().parent.parent
# Where the status counts of the last contract run go (MAILSENTINEL_CONTRACT_RECORD overrides).
DEFAULT_RECORD = ROOT / ".pytest_cache" / "mailsentinel" / "contract-statuses.json"


def record_path() -> Path:
    return Path(os.environ.get("MAILSENTINEL_CONTRACT_RECORD") or DEFAULT_RECORD)


class WentBlind(AssertionError):
    """The suite lost its authentication: what it checked afterwards were 401/403 answers."""


@dataclass
class Credentials:
    """A bearer token and a way to ask the server's own token service whether it still works."""

    token: str
    still_valid: Callable[[], bool]
    # Whose: "shared" (the suite's long-lived principal) or "fresh" (made for one case or run).
    kind: str = "shared"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Ledger:
    """Status counts per (target, operationId) of authenticated cases."""

    statuses: dict[tuple[str, str], Counter[int]] = field(default_factory=lambda: defaultdict(Counter))

    def record(self, target: str, operation: str, status: int, credentials: Credentials | None) -> None:
        """Count one answer (`credentials` None: the operation needs none); raises WentBlind when
        a 401/403 went to credentials that stopped working."""
        self.statuses[(target, operation)][status] += 1
        if credentials is not None and status in BLIND_STATUSES and not credentials.still_valid():
            raise WentBlind(
                f"{target}: {operation} answered {status} to {credentials.kind} credentials that no longer "
                "authenticate; every case after this one would test the 401 path only. A fuzzed call "
                "revoked, rotated or unbound the suite's own token."
            )

    def blind_operations(self, keys: Iterable[tuple[str, str]] | None = None) -> list[str]:
        """The (target, operation) pairs among `keys` whose authenticated cases all got 401/403."""
        chosen = self.statuses.keys() if keys is None else keys
        return sorted(
            f"{target} {operation} {dict(self.statuses[(target, operation)])}"
            for target, operation in chosen
            if self.statuses.get((target, operation)) and set(self.statuses[(target, operation)]) <= BLIND_STATUSES
        )

    def verify(self, keys: Iterable[tuple[str, str]] | None = None) -> None:
        """Raises WentBlind naming every operation that saw only 401/403 while authenticated."""
        blind = self.blind_operations(keys)
        if blind:
            raise WentBlind("authenticated cases answered only 401/403: " + "; ".join(blind))

    def as_json(self) -> dict[str, dict[str, dict[str, int]]]:
        out: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
        for (target, operation), counts in sorted(self.statuses.items()):
            out[target][operation] = {str(code): n for code, n in sorted(counts.items())}
        return dict(out)

    def save(self, path: Path | None = None) -> Path:
        """Merge this run's counts into the record file (a partial run keeps the others' counts)."""
        path = path or record_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        # pytest-xdist workers may finish together: one merge at a time, each reading the last one's.
        with path.with_name(path.name + ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            merged: dict[str, dict[str, dict[str, int]]] = {}
            if path.exists():
                try:
                    merged = json.loads(path.read_text(encoding="utf-8"))
                except ValueError:
                    merged = {}
            for target, operations in self.as_json().items():
                merged.setdefault(target, {}).update(operations)
            path.write_text(json.dumps(merged, indent=1, sort_keys=True), encoding="utf-8")
        return path


LEDGER = Ledger()
