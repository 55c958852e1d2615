"""Findings: the ``issues`` a scan reports, and helpers shared by the record checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sentinel.dns.client import DnsAnswer

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Issue:
    """One actionable finding with a stable UPPER_SNAKE ``code``."""

    severity: Severity
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "code": self.code, "message": self.message}


class Findings:
    """Collects the issues of one part of a scan."""

    def __init__(self) -> None:
        self.items: list[Issue] = []

    def error(self, code: str, message: str) -> None:
        self.items.append(Issue("error", code, message))

    def warning(self, code: str, message: str) -> None:
        self.items.append(Issue("warning", code, message))

    def info(self, code: str, message: str) -> None:
        self.items.append(Issue("info", code, message))

    def extend(self, issues: list[Issue]) -> None:
        self.items.extend(issues)

    @property
    def errors(self) -> list[str]:
        return [i.message for i in self.items if i.severity == "error"]

    @property
    def warnings(self) -> list[str]:
        return [i.message for i in self.items if i.severity == "warning"]


def part_status(answer: DnsAnswer) -> tuple[str, str | None]:
    """``(status, error)`` of a result part from the answer it hinged on."""
    if answer.failed:
        return "error", answer.error
    if answer.missing:
        return "not_found", None
    return "ok", None


def split_tags(record: str) -> list[tuple[str, str]]:
    """Split a ``tag=value; tag=value`` record (RFC 6376 §3.2 tag-list) into pairs.

    Raises ValueError naming the first element that is not ``tag=value``.
    """
    pairs: list[tuple[str, str]] = []
    for raw in record.split(";"):
        part = raw.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"'{part}' is not a tag=value pair")
        pairs.append((name.strip().lower(), value.strip()))
    return pairs


JSON = dict[str, Any]


def finish(result: JSON, findings: Findings) -> tuple[JSON, list[Issue]]:
    result["errors"] = findings.errors
    result["warnings"] = findings.warnings
    return result, findings.items
