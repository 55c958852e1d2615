"""`mailsentinel parse` and `mailsentinel ingest`: reports from files, without HTTP."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sentinel.errors import NotFound, SentinelError
from sentinel.store.models import Organization

from .api import to_api
from .parser import parse_report

if TYPE_CHECKING:
    from sentinel.app import Services


def report_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and every file under the directories named (hidden ones skipped), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        else:
            found.append(path)
    return found


def _error(path: Path, exc: SentinelError | OSError) -> dict[str, str]:
    if isinstance(exc, SentinelError):
        return {"file": str(path), "code": exc.code, "message": exc.message}
    return {"file": str(path), "code": "UNREADABLE", "message": f"The file cannot be read: {exc.strerror or exc}."}


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def parse_command(paths: Sequence[Path], as_json: bool, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Parse each file; print the report objects (with `file`) and the errors. 1 if any failed."""
    out, err = out or sys.stdout, err or sys.stderr
    reports: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for path in report_files(paths):
        try:
            report = to_api(parse_report(path))
        except (SentinelError, OSError) as exc:
            errors.append(_error(path, exc))
            if not as_json:
                print(f"{path}: {errors[-1]['message']}", file=err)
            continue
        reports.append({"file": str(path), **report})
        if not as_json:
            dates = report["dateRange"]
            print(f"{path}: {report['orgName']} report {report['reportId']} about {report['domain']}, "
                  f"{dates['begin']} to {dates['end']}", file=out)
            print(f"  {_count(report['recordCount'], 'record')}, {_count(report['messageCount'], 'message')}, "
                  f"{_rate(report['dmarcPassCount'], report['messageCount'])} pass DMARC"
                  + (f", {_count(report['skippedCount'], 'record')} skipped ("
                     + ", ".join(f"{n:,} {reason}" for reason, n in sorted(report["skippedByReason"].items()))
                     + ")" if report["skippedCount"] else ""), file=out)
    if as_json:
        json.dump({"reports": reports, "errors": errors}, out, ensure_ascii=False)
        out.write("\n")
    elif len(reports) + len(errors) > 1:
        print(f"{len(reports)} parsed, {len(errors)} failed.", file=out)
    return 1 if errors else 0


@dataclass
class IngestSummary:
    ingested: int = 0
    duplicates: int = 0
    records: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)


class _Progress:
    """A one-line progress bar on a terminal; silent otherwise (logs and pipes stay clean)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.enabled = stream.isatty() and total > 0

    def show(self, done: int, summary: IngestSummary) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // self.total
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}  "
            f"ingested {summary.ingested}, duplicates {summary.duplicates}, failed {len(summary.failed)}"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


def ingest_command(
    services: Services, org_id: str, paths: Sequence[Path], out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Store every report file for the organization; prints a summary. 1 if any file failed.

    Raises NotFound when the organization does not exist.
    """
    out, err = out or sys.stdout, err or sys.stderr
    with services.db.transaction() as session:
        if session.get(Organization, org_id) is None:
            raise NotFound(f"Organization '{org_id}' was not found.")
    files = report_files(paths)
    summary = IngestSummary()
    progress = _Progress(len(files), err)
    progress.show(0, summary)
    for done, path in enumerate(files, start=1):
        try:
            result = services.reports.ingestor.ingest(org_id, path)
        except (SentinelError, OSError) as exc:
            summary.failed.append(_error(path, exc))
        else:
            if result.duplicate:
                summary.duplicates += 1
            else:
                summary.ingested += 1
                summary.records += result.report["recordCount"]
        progress.show(done, summary)
    progress.close()
    print(f"Ingested {_count(summary.ingested, 'report')} ({_count(summary.records, 'record')}), "
          f"{summary.duplicates} duplicate, {len(summary.failed)} failed.", file=out)
    for failure in summary.failed:
        print(f"  {failure['file']}: {failure['message']}", file=out)
    return 1 if summary.failed else 0
