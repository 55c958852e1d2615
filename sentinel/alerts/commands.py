"""`mailsentinel alerts`: an organization's alerts, readable in a terminal (or as JSON)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from sentinel.errors import NotFound
from sentinel.pagination import MAX_LIMIT, PageRequest
from sentinel.store.models import Organization

if TYPE_CHECKING:
    from sentinel.app import Services


def render(alert: dict[str, Any]) -> str:
    """One alert: a header line, its message, and the diff or figures that explain it."""
    when = str(alert["triggeredAt"]).replace("T", " ")[:16]
    head = f"[{alert['severity']}] {when}  {alert['domain']}  {alert['type']}  {alert['status']}  {alert['id']}"
    lines = [head, f"    {alert['message']}"]
    details = alert.get("details") or {}
    if alert["type"] in ("dns_record_changed",):
        lines.append(f"    - {details.get('before') or '(none)'}")
        lines.append(f"    + {details.get('after') or '(none)'}")
    elif alert["type"] == "policy_weakened":
        lines.append(f"    - {json.dumps(details.get('before'))}")
        lines.append(f"    + {json.dumps(details.get('after'))}")
    if alert.get("resolution"):
        lines.append(f"    resolved {str(alert['resolvedAt']).replace('T', ' ')[:16]}: {alert['resolution']}")
    elif alert.get("acknowledgedAt"):
        lines.append(f"    acknowledged {str(alert['acknowledgedAt']).replace('T', ' ')[:16]}")
    return "\n".join(lines)


def alerts_command(
    services: Services, org_id: str, status: str | None, as_json: bool, out: TextIO | None = None
) -> int:
    """Print the organization's alerts (newest first, at most 100).

    Raises NotFound for an unknown organization, ValidationError for an unknown status.
    """
    out = out or sys.stdout
    with services.db.transaction() as session:
        org = session.get(Organization, org_id)
        if org is None:
            raise NotFound(f"Organization '{org_id}' was not found.")
        name = org.name
    found = services.alerts.operator_alerts(org_id, PageRequest(1, MAX_LIMIT), status=status)
    alerts, total = found["alerts"], found["pagination"]["total"]
    if as_json:
        print(json.dumps(found, indent=2, ensure_ascii=False), file=out)
    else:
        what = f"{status} alert" if status else "alert"
        print(f"{total} {what}{'' if total == 1 else 's'} for {name} ({org_id})" + (":" if alerts else "."), file=out)
        for alert in alerts:
            print(render(alert), file=out)
        if total > len(alerts):
            rest = total - len(alerts)
            print(f"... and {rest} more (GET /api/organizations/{org_id}/alerts pages through them all)", file=out)
    return 0
