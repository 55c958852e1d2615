"""Who may do what: admins manage webhooks, members and viewers read them, and another
organization's endpoints and deliveries answer NOT_FOUND on every operation."""

from __future__ import annotations

from sentinel.app import Services
from tests.support.api import Tenant, add_member_with_token, client
from tests.support.receiver import Receiver
from tests.webhooks.conftest import add_webhook


def _calls(hook_id: str, delivery_id: str, org_id: str) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("GET", f"/api/organizations/{org_id}/webhooks", None),
        ("POST", f"/api/organizations/{org_id}/webhooks", {"url": "https://127.0.0.1/x"}),
        ("GET", f"/api/webhooks/{hook_id}", None),
        ("PATCH", f"/api/webhooks/{hook_id}", {"description": "changed"}),
        ("POST", f"/api/webhooks/{hook_id}/test", None),
        ("POST", f"/api/webhooks/{hook_id}/recover", {"since": "2026-01-01T00:00:00Z"}),
        ("POST", f"/api/webhooks/{hook_id}/rotate-secret", None),
        ("GET", f"/api/webhooks/{hook_id}/deliveries", None),
        ("GET", f"/api/webhooks/{hook_id}/deliveries/{delivery_id}", None),
        ("POST", f"/api/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver", None),
        ("DELETE", f"/api/webhooks/{hook_id}", None),
    ]


def test_other_organizations_get_not_found_everywhere(owner: Tenant, other_owner: Tenant) -> None:
    with Receiver() as rx:
        hook, _ = add_webhook(owner, rx.url)
        delivery = owner.data(owner.post(f"/api/webhooks/{hook['id']}/test"))["delivery"]
        for method, path, body in _calls(hook["id"], delivery["id"], owner.org_id):
            r = other_owner.http.request(method, path, json=body)
            assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND", (method, path, r.text)
        assert len(rx.requests) == 1
    # Still there, untouched.
    assert owner.data(owner.get(f"/api/webhooks/{hook['id']}"))["webhook"]["description"] is None


def test_viewers_and_members_read_but_do_not_manage(owner: Tenant, hooks: Services, hooks_live: object) -> None:
    with Receiver() as rx:
        hook, _ = add_webhook(owner, rx.url)
        delivery = owner.data(owner.post(f"/api/webhooks/{hook['id']}/test"))["delivery"]
        for role in ("viewer", "member"):
            _user, token = add_member_with_token(owner, hooks, role)
            with client(str(owner.http.base_url), token) as http:
                for method, path, body in _calls(hook["id"], delivery["id"], owner.org_id):
                    r = http.request(method, path, json=body)
                    expected = 200 if method == "GET" else 403
                    assert r.status_code == expected, (role, method, path, r.text)
                listed = http.get(f"/api/organizations/{owner.org_id}/webhooks").json()["data"]["webhooks"]
                assert [h["id"] for h in listed] == [hook["id"]]
        assert len(rx.requests) == 1


def test_admins_manage(owner: Tenant, hooks: Services) -> None:
    _user, token = add_member_with_token(owner, hooks, "admin")
    with Receiver() as rx, client(str(owner.http.base_url), token) as http:
        created = http.post(f"/api/organizations/{owner.org_id}/webhooks", json={"url": rx.url})
        assert created.status_code == 201, created.text
        hook_id = created.json()["data"]["webhook"]["id"]
        assert hook_id.startswith("whk_")
        delivery = http.post(f"/api/webhooks/{hook_id}/test").json()["data"]["delivery"]
        assert delivery["id"].startswith("dlv_") and delivery["status"] == "succeeded"
        assert http.delete(f"/api/webhooks/{hook_id}").json()["data"] == {"id": hook_id, "deleted": True}
        assert http.get(f"/api/webhooks/{hook_id}").status_code == 404
