"""Every bound on one report's work and memory: refused or capped, with the bound named."""

from __future__ import annotations

import base64
import gzip
import io
import tracemalloc
import zlib

import pytest

from sentinel.errors import InvalidReport
from sentinel.reports import DEFAULT_LIMITS, ParseLimits, open_report, parse_report, to_api

from .support import HEADER, record, report_xml

MIB = 1024 * 1024


class Counting(io.BytesIO):
    """A source that counts the bytes the parser took from it."""

    taken = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def bad_record(i: int) -> str:
    return f"<record><row><source_ip>not-an-ip-{i}</source_ip><count>1</count></row></record>\n"


def records_read_before_refusal(data: bytes | io.BytesIO, limits: ParseLimits = DEFAULT_LIMITS
                                 ) -> tuple[int, InvalidReport]:
    """How many records the reader yielded before it refused the file, and the refusal."""
    seen = 0
    with pytest.raises(InvalidReport) as err, open_report(data, limits) as reader:
        for _ in reader:
            seen += 1
    return seen, err.value


def bound_of(error: InvalidReport) -> str:
    assert len(error.details) == 1 and error.details[0].message == error.message
    return error.details[0].field


def test_skipped_records_are_a_bounded_sample_with_true_counts() -> None:
    body = [record(0), *(bad_record(i) for i in range(1500)),
            "<record><row><source_ip>10.0.0.1</source_ip><count>x</count></row></record>\n", record(1)]
    report = parse_report(report_xml(records=body))
    assert report.record_count == 2
    assert report.skipped_count == 1501
    assert report.skipped_by_reason == {"invalid_source_ip": 1500, "invalid_count": 1}
    assert len(report.skipped) == 100
    assert [s.index for s in report.skipped] == list(range(1, 101))
    api = to_api(report)
    assert (api["skippedCount"], len(api["skipped"]), api["skippedByReason"]["invalid_count"]) == (1501, 100, 1)


def test_record_bound_is_named_and_counts_skipped_records_too() -> None:
    seen, error = records_read_before_refusal(report_xml(records=[bad_record(i) for i in range(11)]),
                                              ParseLimits(max_records=10))
    assert seen == 0
    assert bound_of(error) == "limits.max_records"
    assert "more than 10 records" in error.message


def _gzip(data: bytes, level: int = 9) -> bytes:
    packer = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def _record_bomb(records: int) -> bytes:
    """A valid report of identical records: deflate shrinks it ~1000-fold."""
    head = HEADER.format(report_id="bomb", adkim="r", aspf="r").encode()
    one = record(7).encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(head)]
    block = one * 1000
    for _ in range(records // 1000):
        parts.append(packer.compress(block))
    parts.append(packer.compress(b"</feedback>\n"))
    parts.append(packer.flush())
    return b"".join(parts)


def _byte_bomb(size: int) -> bytes:
    """A report whose whitespace inflates ~1000-fold, deflate's ceiling."""
    head = HEADER.format(report_id="bomb", adkim="r", aspf="r").encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(head)]
    block = b" " * MIB
    parts.extend(packer.compress(block) for _ in range(size // MIB))
    parts.append(packer.flush())
    return b"".join(parts)


def test_compression_bomb_is_refused_by_its_inflation_ratio_after_a_few_mib() -> None:
    bomb = _byte_bomb(200 * MIB)
    source = Counting(bomb)
    seen, error = records_read_before_refusal(source, ParseLimits(max_element_bytes=256 * MIB))
    assert bound_of(error) == "limits.max_inflation_ratio"
    assert "150:1" in error.message
    # Refused once the layer's output passed 150 times its input (read 16 KiB at a
    # time): ~5 MiB of the 200 MiB, from the first chunks of the 200 KB file.
    assert seen == 0
    assert source.taken <= 64 * 1024 < len(bomb)


def test_record_bomb_stops_at_the_ratio_bound_after_a_few_mib() -> None:
    # 2 M identical records (1 GB of XML) in 3.8 MB: deflate reaches ~260:1, past the
    # ratio bound, so it is refused once the layer has produced its first few MiB.
    bomb = _record_bomb(2_000_000)
    source = Counting(bomb)
    seen, error = records_read_before_refusal(source, ParseLimits())
    assert bound_of(error) == "limits.max_inflation_ratio"
    assert seen < 20_000
    assert source.taken < len(bomb) // 50


def test_record_bomb_under_the_ratio_stops_at_the_record_bound() -> None:
    # With the ratio bound lifted, the record bound is what stops it (20,000 here).
    bomb = _record_bomb(2_000_000)
    source = Counting(bomb)
    seen, error = records_read_before_refusal(source, ParseLimits(max_records=20_000, max_inflation_ratio=10_000))
    assert bound_of(error) == "limits.max_records"
    assert seen == 20_000
    assert source.taken < len(bomb) // 50


def test_gzip_in_gzip_bomb_stops_after_bounded_work() -> None:
    nested = _gzip(_byte_bomb(200 * MIB))
    source = Counting(nested)
    seen, error = records_read_before_refusal(source, ParseLimits(max_element_bytes=256 * MIB))
    assert bound_of(error) == "limits.max_inflation_ratio"
    assert "The gzip data in the gzip data in the file" in error.message
    assert (seen, source.taken <= 64 * 1024) == (0, True)
    records = _gzip(_record_bomb(2_000_000))
    source = Counting(records)
    seen, error = records_read_before_refusal(source, ParseLimits())
    assert bound_of(error) == "limits.max_inflation_ratio"
    assert seen < 20_000
    assert source.taken < len(records)


def test_ordinary_reports_pass_the_ratio_check() -> None:
    # Generated reports are as repetitive as real ones get (~100:1) and are accepted.
    data = report_xml(30_000)
    assert len(data) > 10 * MIB
    report = parse_report(_gzip(data))
    assert report.record_count == 30_000


def test_time_budget_is_a_named_bound() -> None:
    seen, error = records_read_before_refusal(report_xml(5), ParseLimits(max_seconds=0.0))
    assert seen == 0
    assert bound_of(error) == "limits.max_seconds"


def test_message_bound_per_report_and_per_record() -> None:
    half = 600_000_000_000
    body = [record(1).replace("<count>2</count>", f"<count>{half}</count>"),
            record(2).replace("<count>3</count>", f"<count>{half}</count>")]
    seen, error = records_read_before_refusal(report_xml(records=body))
    assert seen == 1
    assert bound_of(error) == "limits.max_messages"
    assert str(10**12) in error.message
    huge = [record(1).replace("<count>2</count>", f"<count>{10**12 + 1}</count>"),
            record(2).replace("<count>3</count>", f"<count>{'9' * 5000}</count>"), record(3)]
    report = parse_report(report_xml(records=huge))
    assert report.record_count == 1 and report.message_count == 4
    assert report.skipped_by_reason == {"count_out_of_range": 2}


def _many_signatures(records: int, per_record: int) -> bytes:
    signatures = "".join(f"<dkim><domain>d{i}.example</domain><selector>s{i}</selector>"
                         f"<result>fail</result></dkim>" for i in range(per_record))
    body = [record(i).replace("<auth_results>", "<auth_results>" + signatures) for i in range(records)]
    return report_xml(records=body)


def test_auth_results_per_record_are_capped_and_memory_stays_bounded() -> None:
    # 150 records of ~56 KB, each with 700 DKIM results: 105,000 results in 8 MB.
    data = gzip.compress(_many_signatures(150, 700), 6)
    tracemalloc.start()
    try:
        report = parse_report(data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.record_count == 150
    assert {len(r.dkim_results) for r in report.records} == {16}
    assert "were dropped" in report.warnings[-1]
    # Every record is held (parse_report keeps them all), yet only a few MB.
    assert peak < 8 * MIB, peak


def test_nested_multiparts_are_refused_before_parsing() -> None:
    parts, tails = [], []
    for i in range(2000):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode())
        tails.append(f"\r\n--b{i}--\r\n".encode())
    attachment = (b"Content-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                  + base64.encodebytes(gzip.compress(report_xml(2))))
    message = (b"From: a@b.example\r\nSubject: nested\r\nMIME-Version: 1.0\r\n" + b"".join(parts)
               + attachment + b"".join(reversed(tails)))
    with pytest.raises(InvalidReport) as err:
        parse_report(message)
    assert bound_of(err.value) == "limits.max_mime_parts"
    shallow = b"".join(parts[:30]) + attachment + b"".join(reversed(tails[:30]))
    with pytest.raises(InvalidReport) as err:
        parse_report(b"From: a@b.example\r\nSubject: nested\r\nMIME-Version: 1.0\r\n" + shallow)
    assert bound_of(err.value) == "limits.max_mime_depth"
    normal = b"".join(parts[:3]) + attachment + b"".join(reversed(tails[:3]))
    assert parse_report(b"From: a@b.example\r\nSubject: ok\r\nMIME-Version: 1.0\r\n" + normal).record_count == 2


@pytest.mark.parametrize("bad", ["&#xD800;", "&#0;", "\x00", "&#x1;"])
def test_invalid_characters_in_a_record_are_skipped_or_dropped(bad: str) -> None:
    body = [record(0), record(1).replace("<header_from>example.com", f"<header_from>ex{bad}ample.com"),
            record(2)]
    report = parse_report(report_xml(records=body))
    assert report.record_count + report.skipped_count == 3
    for r in report.records:
        assert "\x00" not in r.header_from
        r.header_from.encode("utf-8")  # no lone surrogate


def test_invalid_characters_in_the_metadata_are_refused_or_dropped() -> None:
    data = report_xml(2).replace(b"<org_name>Generated", b"<org_name>Gen&#xD800;")
    with pytest.raises(InvalidReport, match="not valid Unicode"):
        parse_report(data)
    report = parse_report(report_xml(2).replace(b"<org_name>Generated", b"<org_name>Gen&#0;"))
    assert "\x00" not in report.metadata.org_name


def test_scoped_ipv6_address_is_not_an_address() -> None:
    scoped = record(1).replace("<source_ip>10.0.0.1</source_ip>", f"<source_ip>fe80::1%{'x' * 50}</source_ip>")
    report = parse_report(report_xml(records=[record(0), scoped]))
    assert report.record_count == 1 and report.skipped_by_reason == {"invalid_source_ip": 1}
