"""Shared paths and report builders for the report parser tests."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "reports"
AGGREGATE = FIXTURES / "aggregate"

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <version>1.0</version>
  <report_metadata>
    <org_name>Generated</org_name>
    <email>dmarc@generated.example</email>
    <report_id>{report_id}</report_id>
    <date_range><begin>1700000000</begin><end>1700086399</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>example.com</domain><adkim>{adkim}</adkim><aspf>{aspf}</aspf>
    <p>reject</p><sp>none</sp><pct>100</pct>
  </policy_published>
"""


def record(i: int, *, header_from: str = "example.com", dkim_domain: str = "example.com",
           spf_domain: str = "example.com", dkim: str = "pass", spf: str = "fail",
           pad: str = "") -> str:
    human = f"<human_result>{pad}</human_result>" if pad else ""
    return (
        f"  <record><row><source_ip>10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}</source_ip>"
        f"<count>{i % 9 + 1}</count><policy_evaluated><disposition>none</disposition>"
        f"<dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated></row>"
        f"<identifiers><header_from>{header_from}</header_from></identifiers>"
        f"<auth_results><dkim><domain>{dkim_domain}</domain><selector>s1</selector>"
        f"<result>{dkim}</result>{human}</dkim><spf><domain>{spf_domain}</domain>"
        f"<scope>mfrom</scope><result>{spf}</result></spf></auth_results></record>\n"
    )


def report_xml(n: int = 3, *, report_id: str = "gen-1", adkim: str = "r", aspf: str = "r",
               records: list[str] | None = None) -> bytes:
    body = records if records is not None else [record(i) for i in range(n)]
    return (HEADER.format(report_id=report_id, adkim=adkim, aspf=aspf) + "".join(body)
            + "</feedback>\n").encode()
