"""Seeded DMARC aggregate reports, each distinct (reporter + report id), with what it should store."""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass

REPORTERS = ("google.com", "Microsoft Corporation", "Yahoo", "Mail.Ru", "Fastmail Pty Ltd", "comcast.net")
# Documentation ranges (RFC 5737): addresses inside the XML only, never contacted.
NETWORKS = ("192.0.2.", "198.51.100.", "203.0.113.")
DAY = 86400
# 2026-11-01T00:00:00Z: reports cover the month before the run.
FIRST_DAY = 1793491200


@dataclass(frozen=True)
class GeneratedReport:
    reporter: str
    report_id: str
    domain: str
    body: bytes
    media_type: str
    records: int
    messages: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.reporter, self.report_id)


def generate(rng: random.Random, index: int, domain: str, records: int | None = None) -> GeneratedReport:
    """Report number `index` about `domain`: 1-25 records (or `records`), a third of them and every
    large one gzip-compressed."""
    reporter = REPORTERS[index % len(REPORTERS)]
    report_id = f"fleet-{index:05d}-{rng.getrandbits(40):010x}"
    begin = FIRST_DAY + rng.randrange(28) * DAY
    n = records or rng.randint(1, 25)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<feedback>\n<report_metadata>'
        f"<org_name>{reporter}</org_name><email>dmarc@reports.example</email>"
        f"<report_id>{report_id}</report_id><date_range><begin>{begin}</begin><end>{begin + DAY - 1}</end>"
        f"</date_range></report_metadata>\n<policy_published><domain>{domain}</domain><adkim>r</adkim>"
        "<aspf>r</aspf><p>reject</p></policy_published>\n"
    ]
    messages = 0
    for _ in range(n):
        count = rng.randint(1, 500)
        messages += count
        ip = rng.choice(NETWORKS) + str(rng.randint(1, 254))
        passed = rng.random() < 0.8
        verdict = "pass" if passed else "fail"
        parts.append(
            f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
            f"<disposition>{'none' if passed else 'reject'}</disposition><dkim>{verdict}</dkim>"
            f"<spf>{verdict}</spf></policy_evaluated></row><identifiers><header_from>{domain}</header_from>"
            f"</identifiers><auth_results><dkim><domain>{domain}</domain><selector>s{index % 3}</selector>"
            f"<result>{verdict}</result></dkim><spf><domain>{domain}</domain><result>{verdict}</result></spf>"
            "</auth_results></record>\n"
        )
    xml = ("".join(parts) + "</feedback>\n").encode()
    if index % 3 == 0 or records:
        return GeneratedReport(reporter, report_id, domain, gzip.compress(xml), "application/gzip", n, messages)
    return GeneratedReport(reporter, report_id, domain, xml, "application/xml", n, messages)
