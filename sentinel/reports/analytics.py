"""Stats and sending sources of a domain, read from the rollups (see rollups.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from sentinel.errors import ValidationError
from sentinel.pagination import PageRequest, page_meta
from sentinel.store.models import ReportDaySource, ReportDaySourceName, ReportDayStat, ReportSource

from .rollups import DISPOSITIONS, DKIM_DOMAIN, HEADER_FROM

#: Gaps in a time series are filled with zero days only up to this span.
MAX_SERIES_DAYS = 3660
#: Header-From and DKIM domains listed per source (the busiest first).
NAMES_PER_SOURCE = 10
SORTS = ("volume", "failures")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _tallies(messages: int, dmarc_pass: int, dkim: int, spf: int) -> dict[str, Any]:
    return {
        "messages": messages,
        "dmarcPass": dmarc_pass,
        "dmarcFail": messages - dmarc_pass,
        "dmarcPassRate": _rate(dmarc_pass, messages),
        "dkimAligned": dkim,
        "dkimAlignedRate": _rate(dkim, messages),
        "spfAligned": spf,
        "spfAlignedRate": _rate(spf, messages),
    }


_DISPOSITION_KEYS = (*DISPOSITIONS, "other")


def _in_range(column: Any, start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column <= end)
    return conditions


def domain_stats(session: Session, domain_id: str, start: date | None, end: date | None) -> dict[str, Any]:
    """Totals, dispositions, a daily series and a per-reporter breakdown.

    One indexed range read of the (domain, day, reporter) rollup: a day holds one row
    per reporter, so a year is a few thousand rows whatever the number of records.
    (domain, day, reporter) is the key, so rows are read as they are and summed in
    Python, whose integers cannot overflow (see rollups.py).
    """
    s = ReportDayStat
    sums = [
        s.reports,
        s.messages,
        s.dmarc_pass,
        s.dkim_aligned,
        s.spf_aligned,
        *(getattr(s, f"disposition_{k}") for k in _DISPOSITION_KEYS),
    ]
    where = [s.domain_id == domain_id, *_in_range(s.day, start, end)]
    rows = session.execute(select(s.day, s.reporter, *sums).where(*where)).all()
    days: dict[date, list[int]] = defaultdict(lambda: [0] * len(sums))
    reporters: dict[str, list[int]] = defaultdict(lambda: [0] * len(sums))
    total = [0] * len(sums)
    for day, reporter, *values in rows:
        numbers = [int(v or 0) for v in values]
        for target in (days[day], reporters[reporter], total):
            for i, v in enumerate(numbers):
                target[i] += v

    def block(v: list[int]) -> dict[str, Any]:
        out = {"reports": v[0], **_tallies(v[1], v[2], v[3], v[4])}
        out["dispositions"] = dict(zip(_DISPOSITION_KEYS, v[5:], strict=True))
        return out

    series = []
    for day in _series_days(sorted(days), start, end):
        series.append({"date": day.isoformat(), **block(days.get(day, [0] * len(sums)))})
    by_reporter = [
        {"reporter": name, **block(v)} for name, v in sorted(reporters.items(), key=lambda kv: (-kv[1][1], kv[0]))
    ]
    return {
        "domainId": domain_id,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "summary": block(total),
        "timeSeries": series,
        "reporters": by_reporter,
    }


def _series_days(present: list[date], start: date | None, end: date | None) -> list[date]:
    """Every day from the first to the last (zero days included), or just the days with data."""
    if not present and (start is None or end is None):
        return []
    first = start or present[0]
    last = end or present[-1]
    if (last - first).days >= MAX_SERIES_DAYS:
        return present
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _source_query(domain_id: str, start: date | None, end: date | None) -> Select[*tuple[Any, ...]]:
    # Sums over days of rows each capped at rollups.DAY_CAP: below 2^62 (see rollups.py).
    s = ReportDaySource
    return (
        select(
            s.source_ip,
            func.sum(s.messages).label("messages"),
            func.sum(s.dmarc_pass).label("dmarc_pass"),
            func.sum(s.dkim_aligned).label("dkim_aligned"),
            func.sum(s.spf_aligned).label("spf_aligned"),
            func.min(s.day).label("first_day"),
            func.max(s.day).label("last_day"),
        )
        .where(s.domain_id == domain_id, *_in_range(s.day, start, end))
        .group_by(s.source_ip)
    )


def domain_sources(
    session: Session, domain_id: str, start: date | None, end: date | None, sort: str, page: PageRequest
) -> dict[str, Any]:
    """Sending IPs with their volume, pass rates and the domains they used, one page at a time.

    Without dates the all-time totals answer by index; with dates the daily rollup is summed.
    Raises ValidationError for an unknown sort.
    """
    if sort not in SORTS:
        raise ValidationError.field("sort", f"sort must be one of {', '.join(SORTS)}.")
    if start is None and end is None:
        rows, total = _all_time_sources(session, domain_id, sort, page)
        seen = _seen_days(session, domain_id, [r.source_ip for r in rows])
    else:
        rows, total = _ranged_sources(session, domain_id, start, end, sort, page)
        seen = {r.source_ip: (r.first_day, r.last_day) for r in rows}
    names = _names(session, domain_id, start, end, [r.source_ip for r in rows])
    sources = []
    for r in rows:
        item = {"sourceIp": r.source_ip}
        item.update(_tallies(int(r.messages), int(r.dmarc_pass), int(r.dkim_aligned), int(r.spf_aligned)))
        first, last = seen.get(r.source_ip, (None, None))
        item.update(
            headerFromDomains=names.get((r.source_ip, HEADER_FROM), []),
            dkimDomains=names.get((r.source_ip, DKIM_DOMAIN), []),
            firstSeen=_day(first),
            lastSeen=_day(last),
        )
        sources.append(item)
    return {"sources": sources, "pagination": page_meta(page, total)}


def _all_time_sources(session: Session, domain_id: str, sort: str, page: PageRequest) -> tuple[list[Any], int]:
    t = ReportSource
    order = t.messages if sort == "volume" else t.dmarc_fail
    rows = session.execute(
        select(t.source_ip, t.messages, t.dmarc_pass, t.dkim_aligned, t.spf_aligned)
        .where(t.domain_id == domain_id)
        .order_by(order.desc(), t.source_ip)
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    total = int(session.scalar(select(func.count()).where(t.domain_id == domain_id)) or 0)
    return list(rows), total


def _ranged_sources(
    session: Session, domain_id: str, start: date | None, end: date | None, sort: str, page: PageRequest
) -> tuple[list[Any], int]:
    grouped = _source_query(domain_id, start, end).subquery()
    order = grouped.c.messages if sort == "volume" else grouped.c.messages - grouped.c.dmarc_pass
    # The total rides along as a window over the same aggregation: one pass over the rollup.
    rows = session.execute(
        select(grouped, func.count().over().label("total"))
        .order_by(order.desc(), grouped.c.source_ip)
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    if rows:
        return list(rows), int(rows[0].total)
    # A page past the end: count the sources on their own.
    s = ReportDaySource
    where = [s.domain_id == domain_id, *_in_range(s.day, start, end)]
    return [], int(session.scalar(select(func.count(func.distinct(s.source_ip))).where(*where)) or 0)


def _seen_days(session: Session, domain_id: str, ips: list[str]) -> dict[str, tuple[Any, Any]]:
    """First and last day each IP was reported, from the per-IP index of the names rollup
    (every record has a Header-From, so every IP has name rows)."""
    if not ips:
        return {}
    n = ReportDaySourceName
    rows = session.execute(
        select(n.source_ip, func.min(n.day), func.max(n.day))
        .where(n.domain_id == domain_id, n.source_ip.in_(ips), n.kind == HEADER_FROM)
        .group_by(n.source_ip)
    ).all()
    return {ip: (first, last) for ip, first, last in rows}


def _day(value: Any) -> str | None:
    # SQLite hands back aggregated dates as text, PostgreSQL as date objects.
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _names(
    session: Session, domain_id: str, start: date | None, end: date | None, ips: list[str]
) -> dict[tuple[str, str], list[str]]:
    if not ips:
        return {}
    n = ReportDaySourceName
    rows = session.execute(
        select(n.source_ip, n.kind, n.name, func.sum(n.messages).label("messages"))
        .where(n.domain_id == domain_id, n.source_ip.in_(ips), *_in_range(n.day, start, end))
        .group_by(n.source_ip, n.kind, n.name)
    ).all()
    found: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for ip, kind, name, messages in rows:
        found[(ip, kind)].append((-int(messages or 0), name))
    return {key: [name for _, name in sorted(values)[:NAMES_PER_SOURCE]] for key, values in found.items()}
