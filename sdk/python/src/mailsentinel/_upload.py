"""`reports.upload(org_id, file)`: a path, bytes or a binary file, sent with the media type its
content shows (the server recognises the format from the content too: XML, gzip, zip, e-mail)."""

from __future__ import annotations

import os
import re
from typing import IO, Optional, Union, cast

from ._base_client import AsyncResource, RequestOptions, SyncResource, path_param, request_headers
from ._response import APIResponse
from ._types import NOT_GIVEN, Headers, NotGiven, Timeout
from .types import ReportUploadEnvelopeData

__all__ = ["FileInput", "report_media_type"]

FileInput = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]

# An RFC 5322 header field: printable ASCII name without ':' or spaces, then ':'.
_HEADER_FIELD = re.compile(rb"^[!-9;-~]+:")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def report_media_type(content: bytes) -> str:
    """The media type of a report file by its first bytes: gzip, zip, XML, an e-mail, else octet-stream."""
    if content.startswith(b"\x1f\x8b"):
        return "application/gzip"
    if content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "application/zip"
    head = content[:4096]
    for bom in _BOMS:
        if head.startswith(bom):
            return "application/xml"
    if head.lstrip(b" \t\r\n").startswith(b"<"):
        return "application/xml"
    if _HEADER_FIELD.match(head):
        return "message/rfc822"
    return "application/octet-stream"


def read_report(file: FileInput) -> bytes:
    """The bytes of a report given as a path, bytes or a binary file object."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        return bytes(file)
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return f.read()
    data = file.read()
    if not isinstance(data, bytes):
        raise TypeError("Open the report file in binary mode ('rb').")
    return data


def _upload_options(
    org_id: str,
    file: FileInput,
    content_type: Optional[str],
    extra_headers: Optional[Headers],
    timeout: Union[Timeout, NotGiven],
) -> RequestOptions:
    content = read_report(file)
    return RequestOptions(
        method="POST",
        path=f"/api/organizations/{path_param(org_id)}/reports",
        headers=request_headers({"Content-Type": content_type or report_media_type(content)}, extra_headers),
        content=content,
        timeout=timeout,
        # The server stores a report (reporter + report id) once, so sending it again is harmless.
        safe=True,
    )


class ReportsMixin(SyncResource):
    def upload(
        self,
        org_id: str,
        file: FileInput,
        *,
        content_type: Optional[str] = None,
        extra_headers: Optional[Headers] = None,
        timeout: Union[Timeout, NotGiven] = NOT_GIVEN,
    ) -> ReportUploadEnvelopeData:
        """Upload a DMARC aggregate report (member)

        `POST /api/organizations/{orgId}/reports` (operationId `upload_report`). `file` is a path,
        bytes or a binary file object holding XML, gzip, zip or the whole report e-mail; its media
        type is chosen from its content unless `content_type` says otherwise. A report stored
        before answers `duplicate: True` with the stored report.
        """
        return cast(
            ReportUploadEnvelopeData,
            self._client._request(_upload_options(org_id, file, content_type, extra_headers, timeout)),
        )


class AsyncReportsMixin(AsyncResource):
    async def upload(
        self,
        org_id: str,
        file: FileInput,
        *,
        content_type: Optional[str] = None,
        extra_headers: Optional[Headers] = None,
        timeout: Union[Timeout, NotGiven] = NOT_GIVEN,
    ) -> ReportUploadEnvelopeData:
        """Upload a DMARC aggregate report (member)

        `POST /api/organizations/{orgId}/reports` (operationId `upload_report`). `file` is a path,
        bytes or a binary file object holding XML, gzip, zip or the whole report e-mail; its media
        type is chosen from its content unless `content_type` says otherwise. A report stored
        before answers `duplicate: True` with the stored report.
        """
        return cast(
            ReportUploadEnvelopeData,
            await self._client._request(_upload_options(org_id, file, content_type, extra_headers, timeout)),
        )


class ReportsWithRawResponseMixin(SyncResource):
    def upload(
        self,
        org_id: str,
        file: FileInput,
        *,
        content_type: Optional[str] = None,
        extra_headers: Optional[Headers] = None,
        timeout: Union[Timeout, NotGiven] = NOT_GIVEN,
    ) -> APIResponse[ReportUploadEnvelopeData]:
        """Upload a DMARC aggregate report (member)

        `POST /api/organizations/{orgId}/reports` (operationId `upload_report`). `file` is a path,
        bytes or a binary file object holding XML, gzip, zip or the whole report e-mail; its media
        type is chosen from its content unless `content_type` says otherwise. A report stored
        before answers `duplicate: True` with the stored report.
        """
        return self._client._request_raw(_upload_options(org_id, file, content_type, extra_headers, timeout))


class AsyncReportsWithRawResponseMixin(AsyncResource):
    async def upload(
        self,
        org_id: str,
        file: FileInput,
        *,
        content_type: Optional[str] = None,
        extra_headers: Optional[Headers] = None,
        timeout: Union[Timeout, NotGiven] = NOT_GIVEN,
    ) -> APIResponse[ReportUploadEnvelopeData]:
        """Upload a DMARC aggregate report (member)

        `POST /api/organizations/{orgId}/reports` (operationId `upload_report`). `file` is a path,
        bytes or a binary file object holding XML, gzip, zip or the whole report e-mail; its media
        type is chosen from its content unless `content_type` says otherwise. A report stored
        before answers `duplicate: True` with the stored report.
        """
        return await self._client._request_raw(_upload_options(org_id, file, content_type, extra_headers, timeout))


__all__ += ["AsyncReportsMixin", "AsyncReportsWithRawResponseMixin", "ReportsMixin", "ReportsWithRawResponseMixin"]
