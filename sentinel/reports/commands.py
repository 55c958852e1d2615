"""`mailsentinel parse` and `mailsentinel ingest`: reports from files, without HTTP."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

import orjson

from sentinel.errors import NotFound, SentinelError
from sentinel.store.models import Organization

from .api import header_to_api, record_to_api, skipped_to_api
from .parser import ReportReader, open_report

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


# Records are encoded in batches and output written in chunks of about this many bytes.
_BATCH = 1000
_CHUNK = 1 << 16


class _Output:
    """Bytes to a text stream, in chunks: through its binary buffer when it has one."""

    def __init__(self, out: TextIO) -> None:
        out.flush()
        self._out = out
        self._binary: BinaryIO | None = getattr(out, "buffer", None)
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        self._parts.append(data)
        self._size += len(data)
        if self._size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        data = b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        if self._binary is not None:
            self._binary.write(data)
            self._binary.flush()
        else:
            self._out.write(data.decode("utf-8"))
            self._out.flush()


def _totals(reader: ReportReader) -> dict[str, Any]:
    """The fields of the report object after its header, records aside (final once they are read)."""
    return {
        "recordCount": reader.record_count,
        "messageCount": reader.message_count,
        "dmarcPassCount": reader.dmarc_pass_count,
        "skippedCount": reader.skipped_count,
        "skippedByReason": dict(reader.skipped_by_reason),
        "skipped": skipped_to_api(reader.skipped),
        "warnings": list(reader.warnings),
        "extensions": reader.extensions,
    }


def _report_json(path: Path, output: _Output, first: bool) -> None:
    """One report object (as `to_api` builds it, with `file`) written to `output`.

    Records are encoded as they are parsed into a temporary file, so memory stays flat
    whatever the report's size, and nothing of a report that fails partway is written:
    it is copied out (header, totals, records) only once the whole file has parsed.
    Raises SentinelError or OSError as parsing does.
    """
    with open_report(path) as reader, tempfile.TemporaryFile() as spool:
        batch: list[bytes] = []
        for record in reader:
            batch.append(orjson.dumps(record_to_api(record)))
            if len(batch) >= _BATCH:
                spool.write(b"," + b",".join(batch))
                batch.clear()
        if batch:
            spool.write(b"," + b",".join(batch))
        head = orjson.dumps({"file": str(path), **header_to_api(reader.metadata, reader.policy), **_totals(reader)})
        output.write((b"" if first else b",") + head[:-1] + b',"records":[')
        spool.seek(1)  # past the first record's comma
        while chunk := spool.read(_CHUNK):
            output.write(chunk)
        output.write(b"]}")


def _report_lines(path: Path, output: _Output) -> None:
    """JSON Lines: a `record` line per record as it is parsed, then the `report` line
    (the report object without its records). Raises SentinelError or OSError."""
    with open_report(path) as reader:
        prefix = {"kind": "record", "file": str(path), "reportId": reader.metadata.report_id}
        for record in reader:
            output.write(orjson.dumps({**prefix, **record_to_api(record)}) + b"\n")
        head = {"kind": "report", "file": str(path), **header_to_api(reader.metadata, reader.policy)}
        output.write(orjson.dumps({**head, **_totals(reader)}) + b"\n")


def _summary(path: Path) -> dict[str, Any]:
    """The report object without its records, the records streamed through (flat memory)."""
    with open_report(path) as reader:
        for _ in reader:
            pass
        return {**header_to_api(reader.metadata, reader.policy), **_totals(reader)}


def parse_command(
    paths: Sequence[Path], as_json: bool, out: TextIO | None = None, err: TextIO | None = None, *, lines: bool = False
) -> int:
    """Parse each file; print the report objects (with `file`) and the errors. 1 if any failed.

    `as_json`: one JSON document `{"reports": [...], "errors": [...]}`; `lines`: JSON Lines
    (`record` lines as parsed, a `report` line per report, an `error` line per failure).
    """
    out, err = out or sys.stdout, err or sys.stderr
    parsed = 0
    errors: list[dict[str, str]] = []
    output = _Output(out) if as_json or lines else None
    if output is not None and not lines:
        output.write(b'{"reports":[')
    for path in report_files(paths):
        try:
            if output is not None and lines:
                _report_lines(path, output)
            elif output is not None:
                _report_json(path, output, first=parsed == 0)
            else:
                report = _summary(path)
        except (SentinelError, OSError) as exc:
            errors.append(_error(path, exc))
            if output is not None and lines:
                output.write(orjson.dumps({"kind": "error", **errors[-1]}) + b"\n")
            elif output is None:
                print(f"{path}: {errors[-1]['message']}", file=err)
            continue
        parsed += 1
        if output is None:
            dates = report["dateRange"]
            print(f"{path}: {report['orgName']} report {report['reportId']} about {report['domain']}, "
                  f"{dates['begin']} to {dates['end']}", file=out)
            print(f"  {_count(report['recordCount'], 'record')}, {_count(report['messageCount'], 'message')}, "
                  f"{_rate(report['dmarcPassCount'], report['messageCount'])} pass DMARC"
                  + (f", {_count(report['skippedCount'], 'record')} skipped ("
                     + ", ".join(f"{n:,} {reason}" for reason, n in sorted(report["skippedByReason"].items()))
                     + ")" if report["skippedCount"] else ""), file=out)
    if output is not None:
        if not lines:
            output.write(b'],"errors":' + orjson.dumps(errors) + b"}\n")
        output.flush()
    elif parsed + len(errors) > 1:
        print(f"{parsed} parsed, {len(errors)} failed.", file=out)
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
