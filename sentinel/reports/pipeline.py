"""Ingestion on two cores: one process parses, the caller stages what it parses meanwhile.

`mailsentinel ingest` has nothing else to do while a report is read, so instead of the
parse process staging the records itself (workers.py, as the server's do: there the
server's own process must stay free for its event loop), it streams them back in
marshalled batches of plain tuples, and the command builds the record rows, the tallies
and the selectors (staging.Stager) while the next batch is parsed. The staged result is
the same, file for file, as staging.stage_report's; the store transaction that follows
is the same too, so a file that turns out to be broken halfway still leaves nothing
behind and never takes the database's write lock.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .limits import ParseLimits
from .model import DkimAuthResult, OverrideReason, Record, SpfAuthResult
from .parser import open_report
from .staging import BATCH, ReadSummary, Staged, Stager, without_cyclic_gc

#: Records per streamed batch: few enough to keep both processes busy, enough to amortise a send.
STREAM_BATCH = 4 * BATCH


def _flat(r: Record) -> tuple[Any, ...]:
    """A record as marshal-able tuples (model dataclasses do not cross as they are)."""
    return (
        r.index, r.source_ip, r.count, r.disposition, r.dkim, r.spf, r.header_from, r.envelope_from,
        r.envelope_to, [(x.type, x.comment) for x in r.reasons],
        [(d.domain, d.selector, d.result, d.human_result) for d in r.dkim_results],
        [(s.domain, s.scope, s.result, s.human_result) for s in r.spf_results],
        r.dkim_aligned, r.spf_aligned, r.dmarc_pass,
    )


def _record(t: tuple[Any, ...]) -> Record:
    return Record(
        t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8],
        tuple([OverrideReason(*x) for x in t[9]]) if t[9] else (),
        tuple([DkimAuthResult(*d) for d in t[10]]), tuple([SpfAuthResult(*s) for s in t[11]]),
        t[12], t[13], t[14],
    )


def read_batches(path: str, limits: ParseLimits) -> Iterator[bytes | ReadSummary]:
    """The parse process's side: the records of the report at `path` in marshalled batches,
    then its ReadSummary. Raises InvalidReport as open_report and its reader do."""
    with without_cyclic_gc(), open_report(Path(path), limits) as reader:
        batch: list[tuple[Any, ...]] = []
        for record in reader:
            batch.append(_flat(record))
            if len(batch) >= STREAM_BATCH:
                yield marshal.dumps(batch)
                batch = []
        if batch:
            yield marshal.dumps(batch)
        yield ReadSummary.of(reader)


def stage_stream(items: Iterable[bytes | ReadSummary], report_id: str, domain: str, dialect: str,
                 directory: str) -> Staged:
    """The caller's side: stage what read_batches sends, as stage_report would have.

    Raises what the stream raises (InvalidReport for a broken file), RuntimeError when it ends
    without its summary.
    """
    stager = Stager(report_id, domain, dialect, directory)
    read: ReadSummary | None = None
    try:
        with without_cyclic_gc():
            for item in items:
                if isinstance(item, ReadSummary):
                    read = item
                    continue
                for t in marshal.loads(item):
                    stager.add(_record(t))
    finally:
        stager.close()
    if read is None:
        raise RuntimeError("The report parser ended without the report's summary.")
    return stager.finish(read)
