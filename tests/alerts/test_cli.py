"""`mailsentinel alerts` over the real services and database."""

from __future__ import annotations

import io
import json

import pytest

from sentinel.alerts.commands import alerts_command
from sentinel.app import Services
from sentinel.cli import main
from sentinel.errors import NotFound
from tests.alerts.test_report_alerts import FAILING, upload
from tests.support.api import Tenant

pytestmark = pytest.mark.db


def test_open_alerts_print_readably(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("legacy.example.org")
    upload(tenant, FAILING)
    out = io.StringIO()
    assert alerts_command(services, tenant.org_id, "open", False, out) == 0
    text = out.getvalue()
    assert text.startswith(f"2 open alerts for Org of {tenant.email} ({tenant.org_id}):")
    assert "[critical]" in text and "legacy.example.org  dmarc_failure  open" in text
    assert "DMARC pass rate dropped below 95% for legacy.example.org: 87.9% of 478 messages" in text
    assert "A new source 198.51.100.77 sent 58 messages failing DMARC" in text

    out = io.StringIO()
    alerts_command(services, tenant.org_id, "resolved", True, out)
    assert json.loads(out.getvalue())["alerts"] == []
    with pytest.raises(NotFound):
        alerts_command(services, "org_doesNotExist00000000", None, False, io.StringIO())


def test_the_command_line(tenant: Tenant, services: Services, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILSENTINEL_DATABASE_URL", services.settings.database_url)
    assert main(["alerts", "--org", tenant.org_id]) == 0
    assert capsys.readouterr().out.startswith(f"0 open alerts for Org of {tenant.email}")
    assert main(["alerts", "--org", "org_doesNotExist00000000", "--status", "all"]) == 2
    assert "was not found" in capsys.readouterr().err
