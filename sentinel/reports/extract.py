"""Find the XML of an aggregate report inside whatever was uploaded.

The container is recognised by its content, never by its name: XML, gzip
(also gzip in gzip), zip (the report may be any member) and e-mail messages
(the report attached or as the body, base64 or quoted-printable, nested
multiparts). Decompression streams through size caps; nothing is written to
disk under a name taken from the input.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from email.message import Message
from typing import IO, cast

from sentinel.errors import InvalidReport

from .limits import ParseLimits, exceeded
from .streams import CappedStream, GunzipStream, Readable, Utf8Repair, peek, read_exactly

SNIFF_BYTES = 4096
NOT_AGGREGATE = "Not a DMARC aggregate report"
_BOM = b"\xef\xbb\xbf"
_HEADER_LINE = re.compile(rb"^(?:From [^\r\n]*\r?\n)?[A-Za-z0-9!#$%&'*+.^_`|~-]{1,76}:[ \t\r\n]")
_FEEDBACK = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?feedback[\s>/]")
_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_UTF8_NAMES = {"utf-8", "utf8"}
_ARCHIVE_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


@dataclass(slots=True)
class XmlInput:
    """The XML bytes of a report, ready for the parser."""

    stream: Readable
    description: str
    repair: Utf8Repair | None = None


def show(name: str, limit: int = 60) -> str:
    """A member or file name made safe to quote in an error message."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in name)
    return repr(clean if len(clean) <= limit else clean[:limit] + "...")


def sniff(head: bytes) -> str:
    """What the first bytes of a file look like: gzip, zip, xml, json, email, ..."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf16"
    text = head.removeprefix(_BOM).lstrip()
    if not text:
        return "empty"
    if text.startswith(b"<"):
        return "xml"
    if text[:1] in (b"{", b"["):
        return "json"
    if _HEADER_LINE.match(text):
        return "email"
    return "unknown"


def looks_like_report_xml(head: bytes) -> bool:
    return _FEEDBACK.search(head) is not None


@contextmanager
def open_xml(source: Readable, limits: ParseLimits, *, seekable: IO[bytes] | None = None
             ) -> Iterator[XmlInput]:
    """Yield the report's XML stream; close every layer afterwards.

    ``seekable`` is the source itself when it can be re-read from its current
    position, which lets a zip be opened without copying it.
    Raises InvalidReport when no report can be found, naming what was found instead.
    """
    with ExitStack() as stack:
        yield _resolve(source, limits, stack, depth=0, trail="the file", seekable=seekable)


def _resolve(stream: Readable, limits: ParseLimits, stack: ExitStack, *, depth: int,
             trail: str, seekable: IO[bytes] | None = None) -> XmlInput:
    if depth > limits.max_nesting:
        raise exceeded("max_nesting", f"{trail} is nested more than {limits.max_nesting} "
                       "containers deep (ParseLimits.max_nesting).")
    head, stream = peek(stream, SNIFF_BYTES)
    kind = sniff(head)
    if kind == "xml":
        return _xml_input(head, stream, trail)
    if kind == "gzip":
        gz = GunzipStream(stream, f"The gzip data in {trail}")
        inner = CappedStream(gz, limits.max_decompressed_bytes, f"The gzip data in {trail}",
                             consumed=lambda: gz.consumed, max_ratio=limits.max_inflation_ratio,
                             floor=limits.inflation_floor_bytes)
        return _resolve(inner, limits, stack, depth=depth + 1, trail=f"the gzip data in {trail}")
    if kind == "zip":
        return _from_zip(stream, limits, stack, depth=depth, trail=trail, seekable=seekable)
    if kind == "email":
        return _from_email(stream, limits, stack, depth=depth, trail=trail)
    raise InvalidReport(_describe_other(kind, head, trail))


def _describe_other(kind: str, head: bytes, trail: str) -> str:
    where = "" if trail == "the file" else f" ({trail})"
    if kind == "empty":
        return f"{NOT_AGGREGATE}: the file is empty{where}."
    if kind == "json":
        if b'"policies"' in head and (b'"organization-name"' in head or b'"report-id"' in head):
            return (f"{NOT_AGGREGATE}: this is an SMTP TLS report (RFC 8460 JSON){where}; "
                    "only DMARC aggregate (rua) reports can be uploaded here.")
        return f"{NOT_AGGREGATE}: the file is a JSON document{where}, not XML."
    if kind == "utf16":
        return f"{NOT_AGGREGATE}: UTF-16 encoded files are not supported{where}; send UTF-8 XML."
    return (f"{NOT_AGGREGATE}: the content{where} is neither XML, gzip, zip nor an e-mail "
            f"message (it starts with {show(head[:16].decode('latin-1'), 24)}).")


def _xml_input(head: bytes, stream: Readable, trail: str) -> XmlInput:
    match = _ENCODING.match(head.removeprefix(_BOM))
    encoding = match.group(1).decode("ascii").lower() if match else "utf-8"
    if encoding in _UTF8_NAMES:
        repair = Utf8Repair(stream)
        return XmlInput(repair, trail, repair)
    return XmlInput(stream, trail)


def _from_zip(stream: Readable, limits: ParseLimits, stack: ExitStack, *, depth: int,
              trail: str, seekable: IO[bytes] | None) -> XmlInput:
    if seekable is None:
        # zipfile needs random access: copy the (compressed, capped) bytes aside.
        spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024))  # noqa: SIM115
        capped = CappedStream(stream, limits.max_decompressed_bytes, f"The zip data in {trail}")
        shutil.copyfileobj(cast(IO[bytes], capped), spool, 64 * 1024)
        spool.seek(0)
        seekable = cast(IO[bytes], spool)
    try:
        archive = stack.enter_context(zipfile.ZipFile(seekable))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InvalidReport(f"The zip archive in {trail} is corrupt: {exc}.") from None
    if len(infos) > limits.max_zip_members:
        raise exceeded("max_zip_members", f"The zip archive in {trail} has {len(infos)} members; "
                       f"at most {limits.max_zip_members} are accepted (ParseLimits.max_zip_members).")
    files = [i for i in infos if not i.is_dir()]
    files.sort(key=lambda i: not i.filename.lower().endswith((".xml", ".gz", ".xml.gz")))
    problems: list[str] = []
    for info in files:
        name = show(info.filename)
        if info.file_size > limits.max_decompressed_bytes:
            raise exceeded("max_decompressed_bytes",
                           f"Zip member {name} in {trail} declares {info.file_size} bytes, more "
                           "than ParseLimits.max_decompressed_bytes; refused as a possible zip bomb.")
        if info.flag_bits & 0x1:
            problems.append(f"{name} is encrypted")
            continue
        try:
            member = stack.enter_context(archive.open(info))
        except (NotImplementedError, RuntimeError, zipfile.BadZipFile, OSError) as exc:
            problems.append(f"{name} cannot be opened ({exc})")
            continue
        # A member cannot read more than its compressed size, so that is its input.
        compressed = max(1, info.compress_size)
        capped = CappedStream(member, limits.max_decompressed_bytes,
                              f"Zip member {name} in {trail}", errors=_ARCHIVE_ERRORS,
                              consumed=lambda size=compressed: size,  # type: ignore[misc]
                              max_ratio=limits.max_inflation_ratio,
                              floor=limits.inflation_floor_bytes)
        head, member_stream = peek(capped, SNIFF_BYTES)
        kind = sniff(head)
        inner_trail = f"zip member {name} in {trail}"
        if kind in ("gzip", "zip") or (kind == "xml" and looks_like_report_xml(head)):
            return _resolve(member_stream, limits, stack, depth=depth + 1, trail=inner_trail)
        problems.append(f"{name} is not a report ({kind})")
    listed = "; ".join(problems[:10]) or "the archive is empty"
    raise InvalidReport(f"{NOT_AGGREGATE}: the zip archive in {trail} holds no DMARC report "
                        f"({listed}).")


def _from_email(stream: Readable, limits: ParseLimits, stack: ExitStack, *, depth: int,
                trail: str) -> XmlInput:
    raw = read_exactly(stream, limits.max_message_bytes + 1)
    if len(raw) > limits.max_message_bytes:
        raise exceeded("max_message_bytes", f"The e-mail message in {trail} is larger than "
                       f"{limits.max_message_bytes // (1024 * 1024)} MiB (ParseLimits.max_message_bytes).")
    _check_mime_structure(raw, limits, trail)
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
    del raw
    every = _mime_parts(message, limits, trail)
    parts = [p for p in every if not p.is_multipart()]
    types = [p.get_content_type() for p in every]
    subject = str(message.get("Subject", ""))
    report_type = str(message.get_param("report-type", "") or "").lower()
    if any(t.startswith("application/tlsrpt") for t in types) or report_type == "tlsrpt" \
            or message.get("TLS-Report-Domain"):
        raise InvalidReport(
            f"{NOT_AGGREGATE}: the e-mail message in {trail} carries an SMTP TLS report "
            "(RFC 8460); only DMARC aggregate (rua) reports can be uploaded here."
        )
    if "message/feedback-report" in types or message.get_content_type() == "multipart/report" \
            or re.search(r"(forensic|failure) report", subject, re.I):
        raise InvalidReport(
            f"{NOT_AGGREGATE}: the e-mail message in {trail} is a DMARC failure (forensic) "
            "report about a single message; only aggregate (rua) reports can be uploaded here."
        )
    parts.sort(key=lambda p: not p.get_content_type().startswith(("application/", "text/xml")))
    for index, part in enumerate(parts):
        payload = _payload(part)
        if not payload:
            continue
        head = payload[:SNIFF_BYTES]
        kind = sniff(head)
        if kind in ("gzip", "zip") or (kind == "xml" and looks_like_report_xml(head)):
            name = part.get_filename() or part.get_content_type()
            inner = f"part {index + 1} ({show(name)}) of the e-mail message in {trail}"
            buffer = stack.enter_context(io.BytesIO(payload))
            return _resolve(buffer, limits, stack, depth=depth + 1, trail=inner,
                            seekable=buffer)
    seen = ", ".join(sorted(set(types))) or "none"
    raise InvalidReport(
        f"{NOT_AGGREGATE}: the e-mail message in {trail} has no XML, gzip or zip report "
        f"attached or in its body (parts seen: {seen})."
    )


_BOUNDARY_LINE = re.compile(rb"^--", re.M)


def _check_mime_structure(raw: bytes, limits: ParseLimits, trail: str) -> None:
    """Refuse a message with absurdly many parts before the MIME parser builds them.

    Each part opens with a boundary line (``--`` at a line start) and each multipart
    closes with one, so a message within the cap has at most about twice as many;
    ``_mime_parts`` then counts exactly. Raises InvalidReport.
    """
    allowed = 2 * limits.max_mime_parts + 16
    for seen, _ in enumerate(_BOUNDARY_LINE.finditer(raw), start=1):
        if seen > allowed:
            raise exceeded("max_mime_parts", f"The e-mail message in {trail} has more than "
                           f"{limits.max_mime_parts} MIME parts (ParseLimits.max_mime_parts).")


def _mime_parts(message: Message, limits: ParseLimits, trail: str) -> list[Message]:
    """Every part of the message, depth first, without recursion (``walk`` recurses, and
    a hostile message nests thousands of multiparts). Raises InvalidReport past a cap."""
    found: list[Message] = []
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > limits.max_mime_depth:
            raise exceeded("max_mime_depth", f"The e-mail message in {trail} nests multiparts "
                           f"more than {limits.max_mime_depth} deep (ParseLimits.max_mime_depth).")
        found.append(part)
        if len(found) > limits.max_mime_parts:
            raise exceeded("max_mime_parts", f"The e-mail message in {trail} has more than "
                           f"{limits.max_mime_parts} MIME parts (ParseLimits.max_mime_parts).")
        children = part.get_payload() if part.is_multipart() else None
        if isinstance(children, list):
            stack.extend((child, depth + 1) for child in reversed(children)
                         if isinstance(child, Message))
    return found


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError):
        return b""
    return data if isinstance(data, bytes) else b""
