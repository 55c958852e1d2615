"""Who may upload, read and delete reports; other organizations see nothing."""

from __future__ import annotations

import pytest

from sentinel.app import Services
from tests.support.api import Tenant, error_of
from tests.support.server import LiveServer

from .support import Rec, member_client, report_xml, upload

pytestmark = pytest.mark.db
DAY = 1718236800


def test_another_organization_sees_nothing(tenant: Tenant, other: Tenant) -> None:
    domain = tenant.create_domain("example.com")
    report = tenant.data(upload(tenant, tenant.org_id, report_xml("Iso", "iso-1", DAY, [Rec("192.0.2.1", 1)])),
                         201)["report"]
    for r in (
        other.get(f"/api/reports/{report['id']}"),
        other.delete(f"/api/reports/{report['id']}"),
        other.get(f"/api/domains/{domain['id']}/stats"),
        other.get(f"/api/domains/{domain['id']}/sources"),
        other.get("/api/reports", params={"organizationId": tenant.org_id}),
        other.get("/api/reports", params={"domainId": domain["id"]}),
        upload(other, tenant.org_id, report_xml("Iso", "iso-2", DAY, [Rec("192.0.2.1", 1)])),
    ):
        error_of(r, 404, "NOT_FOUND")
    assert other.data(other.get("/api/reports"))["reports"] == []
    assert tenant.data(tenant.get(f"/api/reports/{report['id']}"))["report"]["id"] == report["id"]


@pytest.mark.parametrize(
    ("role", "can_upload", "can_delete"),
    [("viewer", False, False), ("member", True, False), ("admin", True, True), ("owner", True, True)],
)
def test_role_matrix(role: str, can_upload: bool, can_delete: bool, tenant: Tenant, services: Services,
                     live: LiveServer) -> None:
    domain = tenant.create_domain("example.com")
    existing = tenant.data(upload(tenant, tenant.org_id, report_xml("R", "r-0", DAY, [Rec("192.0.2.1", 1)])),
                           201)["report"]
    with member_client(tenant, services, live.url, role) as c:
        for path in (f"/api/reports/{existing['id']}", "/api/reports", f"/api/domains/{domain['id']}/stats",
                     f"/api/domains/{domain['id']}/sources"):
            assert c.get(path).status_code == 200, path
        r = upload(c, tenant.org_id, report_xml("R", f"r-{role}", DAY, [Rec("192.0.2.1", 1)]))
        if can_upload:
            assert r.status_code == 201
        else:
            assert "upload reports" in error_of(r, 403, "FORBIDDEN")["message"]
        r = c.delete(f"/api/reports/{existing['id']}")
        if can_delete:
            assert r.status_code == 200
        else:
            assert "delete reports" in error_of(r, 403, "FORBIDDEN")["message"]


def test_a_read_only_token_cannot_upload(tenant: Tenant, services: Services, live: LiveServer) -> None:
    tenant.create_domain("example.com")
    with member_client(tenant, services, live.url, "admin", scopes="read") as c:
        error_of(upload(c, tenant.org_id, report_xml("R", "ro-1", DAY, [Rec("192.0.2.1", 1)])), 403, "FORBIDDEN")
