"""Report files for `bench_abuse.py`: realistic DMARC aggregate XML (seeded), and the
hostile shapes the issue's probes send (skip amplification, record bombs, huge counts,
deep MIME). Nothing here touches the network.

Repetitive bombs are built without compressing gigabytes: deflate output for a block of
whole records is identical from the second block on (same window, same state), so the
block is compressed once and repeated; the gzip trailer's CRC is computed over the real
bytes. A 1.9 MB file inflating to 2 M records takes a fraction of a second.
"""

from __future__ import annotations

import gzip
import io
import random
import struct
import zlib

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <version>1.0</version>
  <report_metadata>
    <org_name>{org}</org_name>
    <email>noreply-dmarc-support@{org}</email>
    <extra_contact_info>https://support.{org}/a/answer/2466580</extra_contact_info>
    <report_id>{report_id}</report_id>
    <date_range><begin>{begin}</begin><end>{end}</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf><p>quarantine</p><sp>none</sp><pct>100</pct><np>none</np>
  </policy_published>
"""
FOOTER = "</feedback>\n"
REPORTERS = ["google.com", "Yahoo", "Mail.Ru", "Outlook.com", "comcast.net", "web.de"]
BEGIN = 1_717_200_000  # 2024-06-01


def header(domain: str, report_id: str, org: str = "google.com", day: int = 0) -> str:
    begin = BEGIN + day * 86_400
    return HEADER.format(org=org, report_id=report_id, begin=begin, end=begin + 86_399, domain=domain)


def record(rng: random.Random, domain: str, *, source_ip: str | None = None, count: int | None = None,
           dkim_results: int = 1) -> str:
    """One <record> as large providers write them (one or more DKIM results, SPF, identifiers)."""
    first = rng.choice([209, 40, 52, 74, 98, 185])
    ip = source_ip or f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    n = count if count is not None else rng.choice([1, 1, 1, 2, 3, 5, 12, 40])
    dkim_ok = rng.random() < 0.8
    spf_ok = rng.random() < 0.7
    dkims = "".join(
        f"<dkim><domain>{domain if i == 0 else f'd{rng.randrange(10**6)}.example.net'}</domain>"
        f"<selector>{rng.choice(['google', 'selector1', 's1', 'k1', 'mail'])}{i}</selector>"
        f"<result>{'pass' if dkim_ok else 'fail'}</result></dkim>"
        for i in range(dkim_results)
    )
    return (
        f"  <record>\n    <row><source_ip>{ip}</source_ip><count>{n}</count>"
        f"<policy_evaluated><disposition>{'none' if dkim_ok or spf_ok else 'quarantine'}</disposition>"
        f"<dkim>{'pass' if dkim_ok else 'fail'}</dkim><spf>{'pass' if spf_ok else 'fail'}</spf>"
        f"</policy_evaluated></row>\n"
        f"    <identifiers><envelope_from>{domain}</envelope_from><header_from>{domain}</header_from></identifiers>\n"
        f"    <auth_results>{dkims}<spf><domain>{domain}</domain><scope>mfrom</scope>"
        f"<result>{'pass' if spf_ok else 'softfail'}</result></spf></auth_results>\n  </record>\n"
    )


def realistic(domain: str, report_id: str, records: int, seed: int, org: str = "google.com") -> bytes:
    rng = random.Random(seed)
    body = "".join(record(rng, domain) for _ in range(records))
    return (header(domain, report_id, org) + body + FOOTER).encode()


def sized(domain: str, report_id: str, target_bytes: int, seed: int) -> bytes:
    """Realistic XML of about ``target_bytes`` (the 23 MB uploads)."""
    rng = random.Random(seed)
    parts = [header(domain, report_id)]
    size = len(parts[0])
    while size < target_bytes - 1000:
        rec = record(rng, domain)
        parts.append(rec)
        size += len(rec)
    parts.append(FOOTER)
    return "".join(parts).encode()


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def gzip_repeated(prefix: bytes, unit: bytes, count: int, suffix: bytes, per_block: int = 1000) -> bytes:
    """gzip of ``prefix + unit * count + suffix`` without compressing it all (see module doc)."""
    block = unit * per_block
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [c.compress(prefix) + c.flush(zlib.Z_SYNC_FLUSH)]
    blocks, rest = divmod(count, per_block)
    if blocks:
        out.append(c.compress(block) + c.flush(zlib.Z_SYNC_FLUSH))
    if blocks > 1:
        steady = c.compress(block) + c.flush(zlib.Z_SYNC_FLUSH)
        out.append(steady * (blocks - 1))
    out.append(c.compress(unit * rest + suffix) + c.flush())
    crc = zlib.crc32(prefix)
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(unit * rest + suffix, crc)
    size = len(prefix) + len(unit) * count + len(suffix)
    head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return head + b"".join(out) + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


def _plain_record(domain: str, source_ip: str = "209.85.220.41", count: int = 1) -> str:
    return (f"<record><row><source_ip>{source_ip}</source_ip><count>{count}</count><policy_evaluated>"
            f"<disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>"
            f"<identifiers><header_from>{domain}</header_from></identifiers><auth_results><spf>"
            f"<domain>{domain}</domain><result>pass</result></spf></auth_results></record>\n")


def record_bomb(domain: str, report_id: str, records: int) -> bytes:
    """A gzip of ``records`` identical valid records (D4: ~1.9 MB for 2 M records)."""
    return gzip_repeated(header(domain, report_id).encode(), _plain_record(domain).encode(), records,
                         FOOTER.encode())


def nested_bomb(domain: str, report_id: str, records: int) -> bytes:
    """gzip-in-gzip of a record bomb past the parser's record cap (D4: ~20 KB)."""
    return gzip.compress(record_bomb(domain, report_id, records), compresslevel=9, mtime=0)


def skipped_flood(domain: str, report_id: str, skipped: int) -> bytes:
    """A few good records then ``skipped`` records the parser must skip (D3)."""
    rng = random.Random(3)
    good = "".join(record(rng, domain) for _ in range(20))
    # Each bad record differs (a garbled address of its own), so the file compresses like a
    # real one and reaches the parser's skipping rather than its inflation bound.
    bad = "".join(_plain_record(domain, source_ip=f"bad-{rng.getrandbits(40):x}") for _ in range(skipped))
    return gzip.compress((header(domain, report_id) + good + bad + FOOTER).encode(), compresslevel=1, mtime=0)


def many_dkim(domain: str, report_id: str, target_gzip: int, seed: int) -> bytes:
    """A gzip of about ``target_gzip`` bytes whose records carry dozens of DKIM results (D10)."""
    rng = random.Random(seed)
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = [c.compress(header(domain, report_id).encode())]
    size = 0
    while size < target_gzip:
        chunk = c.compress("".join(record(rng, domain, dkim_results=60) for _ in range(50)).encode())
        out.append(chunk)
        size += len(chunk)
    out.append(c.compress(FOOTER.encode()) + c.flush())
    return b"".join(out)


def counts(domain: str, report_id: str, values: list[int], source_ip: str | None = None) -> bytes:
    """Records with the given <count>s (D7), all from one source IP when given."""
    rng = random.Random(7)
    body = "".join(
        _plain_record(domain, source_ip or f"198.51.{i // 250 % 250}.{i % 250 + 1}", n) if source_ip is None
        else _plain_record(domain, source_ip, n)
        for i, n in enumerate(values)
    )
    del rng
    return (header(domain, report_id) + body + FOOTER).encode()


def nested_multipart_email(domain: str, report_id: str, depth: int) -> bytes:
    """An e-mail whose report attachment sits under ``depth`` nested multiparts (D11)."""
    attachment = gzip_bytes(realistic(domain, report_id, 3, seed=11))
    import base64
    lines = [f"From: noreply-dmarc-support@google.com\r\nTo: dmarc@{domain}\r\n"
             f"Subject: Report domain: {domain} Submitter: google.com Report-ID: {report_id}\r\n"
             "MIME-Version: 1.0\r\n"]
    buf = io.StringIO()
    buf.write(lines[0])
    for level in range(depth):
        buf.write(f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n')
    buf.write("Content-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n"
              f'Content-Disposition: attachment; filename="google.com!{domain}!1!2.xml.gz"\r\n\r\n')
    buf.write(base64.encodebytes(attachment).decode().replace("\n", "\r\n"))
    for level in reversed(range(depth)):
        buf.write(f"\r\n--b{level}--\r\n")
    return buf.getvalue().encode()
