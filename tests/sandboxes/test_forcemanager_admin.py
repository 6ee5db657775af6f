"""The sandbox's admin surface (/_sandbox): people's edits, reset and reseed, faults, counters,
rate-limit settings, people-at-work mode; and seeded data that is the same for a seed."""

from __future__ import annotations

import time

import httpx
import pytest

from sandboxes.forcemanager import create_sandbox
from sandboxes.forcemanager.timefmt import parse_time


def newest_stamp(api: httpx.Client) -> str:
    return api.get("/accounts", params={"order": "dateUpdated DESC", "count": 1}).json()[0][
        "dateUpdated"
    ]


def test_a_persons_edits_show_up_as_changes_and_are_not_api_calls(forcemanager_sandbox):
    fm = forcemanager_sandbox
    api = fm.api()
    since = newest_stamp(api)
    fm.reset_counters()

    edited = fm.admin("PUT", "/records/accounts/4", {"city": "Zamora"}, **{"as": 3})
    created = fm.admin("POST", "/records/contacts", {"lastName": "Gil", "accountId": 4})
    deleted = fm.delete("opportunities", 2)
    assert edited["city"] == "Zamora" and edited["salesRepIdUpdated"] == 3
    assert created["id"] and created["accountId"]["id"] == 4
    assert deleted["deleted"] is True
    assert fm.counters()["total"] == 0  # the admin surface is not the API

    changed = api.get("/accounts", params={"where": f"dateUpdated > '{since}'"}).json()
    assert [(r["id"], r["city"]) for r in changed] == [(4, "Zamora")]
    assert parse_time(changed[0]["dateUpdated"]) > parse_time(since)
    opportunity = api.get("/opportunities/2").json()
    assert opportunity["deleted"] is True and opportunity["dateDeleted"]


def test_admin_lists_with_totals_and_restores_deleted_records(forcemanager_sandbox):
    fm = forcemanager_sandbox
    listed = fm.admin("GET", "/records/accounts", where="id <= 5", count=2)
    assert listed["total"] == 5 and [r["id"] for r in listed["records"]] == [1, 2]
    fm.delete("accounts", 5)
    restored = fm.edit("accounts", 5, {"deleted": False, "phone": "+1"})
    assert restored["deleted"] is False and restored["dateDeleted"] is None
    assert restored["phone"] == "+1"


def test_admin_edits_are_validated_like_the_api(forcemanager_sandbox):
    fm = forcemanager_sandbox
    with httpx.Client(base_url=fm.admin_url) as admin:
        answer = admin.put("/records/accounts/1", json={"branchId": 99})
        assert answer.status_code == 400 and answer.json()["error"] == "INVALID_REFERENCE"
        assert admin.get("/records/nothing").status_code == 404
        assert admin.put("/records/accounts/1", content=b"{").status_code == 400
        assert admin.put("/records/accounts/1?as=999", json={}).status_code == 400
        assert admin.get("/records/accounts/123456").status_code == 404


def test_reset_brings_back_the_seeded_data_or_reseeds(forcemanager_sandbox):
    fm = forcemanager_sandbox
    api = fm.api()
    original = api.get("/accounts", params={"count": 500}).json()
    api.put("/accounts/1", json={"name": "Renamed"})
    api.post("/extrafields/accounts", json={"fieldName": "Z_New", "type": "text"})

    answer = fm.admin("POST", "/reset")
    assert answer["records"]["accounts"]["total"] == 40
    assert api.get("/accounts", params={"count": 500}).json() == original  # same session works

    bigger = fm.admin("POST", "/reset", {"seed": 7, "accounts": 75, "contacts": 10})
    assert bigger["seed"] == 7
    assert bigger["records"]["accounts"]["total"] == 75
    assert bigger["records"]["contacts"]["total"] == 10
    assert api.get("/accounts/1").json()["name"] != original[0]["name"]

    with httpx.Client(base_url=fm.admin_url) as admin:
        for bad in ({"accounts": -1}, {"accounts": "many"}, {"planets": 3}, [1]):
            assert admin.post("/reset", json=bad).status_code == 400
    assert fm.admin("GET", "/")["records"]["accounts"]["total"] == 75


def test_fail_the_next_requests_on_one_path(forcemanager_sandbox):
    fm = forcemanager_sandbox
    api = fm.api()
    fm.fail(503, count=2, path_prefix="/contacts", error="MAINTENANCE")
    assert api.get("/accounts").status_code == 200  # another path is untouched
    first, second, third = (api.get("/contacts") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.json() == {"error": "MAINTENANCE", "code": 503, "message": "injected failure"}
    assert fm.counters()["faults"] == 2
    assert fm.admin("GET", "/faults")["rules"] == []


def test_fail_a_share_of_requests_then_clear(forcemanager_sandbox):
    fm = forcemanager_sandbox
    api = fm.api()
    fm.fail(500, share=0.5)
    statuses = [api.get("/accounts/1").status_code for _ in range(40)]
    assert 5 < statuses.count(500) < 35 and statuses.count(500) + statuses.count(200) == 40
    fm.clear_faults()
    assert {api.get("/accounts/1").status_code for _ in range(5)} == {200}


def test_latency_makes_impatient_clients_time_out(forcemanager_sandbox):
    fm = forcemanager_sandbox
    token = fm.login()
    fm.admin("POST", "/faults", {"latency": 1.0})
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{fm.url}/accounts", headers={"X-Session-Key": token}, timeout=0.2)
    fm.clear_faults()
    assert httpx.get(f"{fm.url}/accounts", headers={"X-Session-Key": token},
                     timeout=5).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"fail": {"status": 200, "count": 1}},
        {"fail": {"status": 500}},
        {"fail": {"status": 500, "count": 1, "share": 0.5}},
        {"fail": {"status": 500, "share": 2}},
        {"fail": {"status": 500, "count": 0}},
        {"fail": {"status": 500, "count": 1, "colour": "red"}},
        {"latency": -1},
        {"weather": "rain"},
    ],
)
def test_bad_fault_settings_are_refused(forcemanager_sandbox, body):
    with httpx.Client(base_url=forcemanager_sandbox.admin_url) as admin:
        answer = admin.post("/faults", json=body)
    assert answer.status_code == 400 and answer.json()["message"]
    assert forcemanager_sandbox.admin("GET", "/faults") == {"latency": 0.0, "rules": []}


def test_counters_count_api_calls_by_kind_and_reset(forcemanager_sandbox):
    fm = forcemanager_sandbox
    api = fm.api()
    api.get("/accounts")
    api.get("/accounts", params={"page": 1})
    api.post("/accounts", json={"name": "x"})
    api.put("/contacts/bulk", json=[{"guid": "a", "id": 1, "data": {"phone1": "1"}}])
    api.get("/branches")
    counters = fm.counters()
    assert counters["by_kind"] == {
        "login": 1, "list accounts": 2, "create accounts": 1, "bulk_update contacts": 1,
        "valuelist branches": 1,
    }
    assert counters["total"] == 6 and counters["errors"] == 1
    fm.reset_counters()
    assert fm.counters()["total"] == 0 and fm.counters()["by_kind"] == {}


def test_rate_limit_settings(forcemanager_sandbox):
    fm = forcemanager_sandbox
    assert fm.admin("GET", "/rate-limit") == {"rate": None}
    fm.set_rate_limit(4)
    assert fm.admin("GET", "/rate-limit") == {"rate": 4.0}
    with httpx.Client(base_url=fm.admin_url) as admin:
        for bad in ({"rate": 0}, {"rate": "fast"}, {"speed": 3}):
            assert admin.put("/rate-limit", json=bad).status_code == 400
    assert fm.admin("GET", "/rate-limit") == {"rate": 4.0}


def test_people_at_work_keep_changing_records_until_stopped(forcemanager_sandbox):
    fm = forcemanager_sandbox
    api = fm.api()
    since = newest_stamp(api)
    started = fm.admin("POST", "/activity", {"interval": 0.05, "resources": ["accounts"]})
    assert started["running"] is True
    for _ in range(400):  # polls for up to ~20 s
        if fm.admin("GET", "/activity")["changes"] >= 5:
            break
        time.sleep(0.05)
    else:
        pytest.fail("people at work made no changes")
    stopped = fm.admin("DELETE", "/activity")
    assert stopped["running"] is False
    touched = {c["id"] for c in stopped["recent"] if c["resource"] == "accounts"}
    changed = api.get("/accounts", params={"where": f"dateUpdated > '{since}'"}).json()
    assert touched and touched == {r["id"] for r in changed}
    after = stopped["changes"]
    time.sleep(0.1)
    assert fm.admin("GET", "/activity")["changes"] == after

    with httpx.Client(base_url=fm.admin_url) as admin:
        assert admin.post("/activity", json={"interval": 0}).status_code == 400
        assert admin.post("/activity", json={"interval": 1, "resources": ["x"]}).status_code == 404


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    def snapshot(sandbox):
        store = sandbox.store
        return {r: store.query(r, count=500) for r in ("accounts", "contacts", "users",
                                                        "opportunities", "activities", "products")}

    first, again = snapshot(create_sandbox(3)), snapshot(create_sandbox(3))
    assert first == again
    other = snapshot(create_sandbox(4))
    assert other["accounts"] != first["accounts"] and other["users"] != first["users"]


def test_users_come_from_the_shared_team():
    from sandboxes.people import generate_team

    team = generate_team(5).forcemanager
    users = create_sandbox(5).store.query("users", count=500)
    assert [(u["name"], u["lastName"], u["email"]) for u in users] == [
        (p.first_name, p.last_name, p.email) for p in team
    ]


def test_large_sandboxes_build_and_answer_change_reads():
    sandbox = create_sandbox(2, accounts=20_000, contacts=20_000, opportunities=0,
                             activities=0, salesorders=0)
    store = sandbox.store
    assert store.summary()["accounts"]["total"] == 20_000
    store.update("accounts", store.ids("accounts", include_deleted=False)[-1], {"phone": "1"})
    recent = store.query("accounts", where="dateUpdated > '2025-06-01T00:00:00Z'")
    assert len(recent) == 1 and recent[0]["phone"] == "1"
    rows = store.query("accounts", where="dateUpdated >= '2025-05-01T00:00:00Z'", count=500)
    assert rows == sorted(rows, key=lambda r: r["id"])
    assert all(r["dateUpdated"] >= "2025-05-01" for r in rows)


def test_an_allowance_once_spent_refuses_calls_until_lifted(forcemanager_sandbox):
    fm = forcemanager_sandbox
    api = fm.api()
    assert fm.admin("PUT", "/allowance", {"remaining": 2}) == {"remaining": 2}
    assert [api.get("/accounts/1").status_code for _ in range(2)] == [200, 200]
    spent = api.get("/accounts/1")
    assert spent.status_code == 403
    assert spent.json()["error"] == "API_LIMIT_EXCEEDED"
    assert fm.counters()["quota"] == 1
    with httpx.Client(base_url=fm.admin_url) as admin:
        for bad in ({"remaining": -1}, {"remaining": "lots"}, {"left": 3}):
            assert admin.put("/allowance", json=bad).status_code == 400
    fm.admin("PUT", "/allowance", {"remaining": None})
    assert api.get("/accounts/1").status_code == 200
