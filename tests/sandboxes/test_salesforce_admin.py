"""The admin surface, the fault knobs, the API allowance and counters, seeded determinism."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest
from simple_salesforce.exceptions import SalesforceError

from sandboxes.salesforce import create_sandbox
from tests.fixtures.salesforce_sandbox import SandboxClock


def test_every_answer_carries_the_limit_header_and_the_allowance_runs_out(
    make_salesforce_sandbox,
):
    sandbox = make_salesforce_sandbox(api_limit=5)
    with sandbox.rest() as api:
        answers = [api.get("/limits") for _ in range(5)]
        assert [a.headers["Sforce-Limit-Info"] for a in answers] == [
            f"api-usage={n}/5" for n in range(1, 6)]
        assert answers[-1].json()["DailyApiRequests"] == {"Max": 5, "Remaining": 0}
        refused = api.get("/limits")
        assert refused.status_code == 403
        assert refused.json() == [{"message": "TotalRequests Limit exceeded.",
                                   "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        assert refused.headers["Sforce-Limit-Info"] == "api-usage=5/5"
        assert api.get("/query", params={"q": "SELECT Id FROM Account"}).status_code == 403
        sandbox.admin.set_limit(100, used=0)
        assert api.get("/limits").status_code == 200
        sandbox.admin.spend_allowance()
        assert api.get("/limits").status_code == 403


def test_simple_salesforce_reports_usage_and_the_quota_error(salesforce_sandbox):
    sf = salesforce_sandbox.simple_salesforce()
    sf.query("SELECT Id FROM Account LIMIT 1")
    assert sf.api_usage["api-usage"].used == 1
    assert sf.api_usage["api-usage"].total == 100_000
    salesforce_sandbox.admin.spend_allowance()
    with pytest.raises(SalesforceError) as refused:
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert refused.value.status == 403
    assert refused.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_counters_count_calls_by_kind_and_reset(make_salesforce_sandbox):
    salesforce_sandbox = make_salesforce_sandbox(accounts=150)
    admin = salesforce_sandbox.admin
    with salesforce_sandbox.rest() as api:  # one token call
        api.get("/sobjects")
        api.get("/sobjects/Account/describe")
        api.headers["Sforce-Query-Options"] = "batchSize=200"
        page = api.get("/query", params={"q": "SELECT Id FROM Contact"}).json()
        api.get(page["nextRecordsUrl"].removeprefix("/services/data/v59.0"))
        api.post("/composite/sobjects", json={"records": [
            {"attributes": {"type": "Account"}, "Name": "Counted"}]})
        salesforce_sandbox.http().get("/_sandbox/counters")  # admin calls are not API calls
        counters = admin.counters()
    assert counters["token"] == 1
    assert counters["describeGlobal"] == 1 and counters["describe"] == 1
    assert counters["query"] == 1 and counters["queryMore"] == 1
    assert counters["sobject-collections"] == 1
    assert counters["api"] == 5
    admin.reset_counters()
    assert admin.counters() == {}


def test_fail_next_with_prefix_then_recover(salesforce_sandbox):
    admin = salesforce_sandbox.admin
    with salesforce_sandbox.rest() as api:
        admin.fail_next(count=2, status=503, errorCode="SERVER_UNAVAILABLE",
                        path_prefix="/services/data/v59.0/query")
        assert api.get("/limits").status_code == 200  # another path: untouched
        failures = [api.get("/query", params={"q": "SELECT Id FROM Account"}) for _ in range(2)]
        assert [f.status_code for f in failures] == [503, 503]
        assert failures[0].json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
        assert api.get("/query", params={"q": "SELECT Id FROM Account"}).status_code == 200
        admin.fail_next(count=1, status=400, errorCode="UNABLE_TO_LOCK_ROW",
                        message="unable to obtain exclusive access to this record")
        locked = api.get("/limits")
        assert locked.status_code == 400
        assert locked.json() == [{"message": "unable to obtain exclusive access to this record",
                                  "errorCode": "UNABLE_TO_LOCK_ROW"}]
    assert admin.counters()["injected_failure"] == 3


def test_fail_share_and_latency(salesforce_sandbox):
    admin = salesforce_sandbox.admin
    with salesforce_sandbox.rest() as api:
        admin.faults(fail_share={"ratio": 0.5, "status": 500, "errorCode": "UNKNOWN_EXCEPTION"})
        statuses = [api.get("/limits").status_code for _ in range(40)]
        assert set(statuses) == {200, 500}
        assert 5 < statuses.count(500) < 35
        admin.clear_faults()
        assert all(api.get("/limits").status_code == 200 for _ in range(5))
        admin.faults(latency=0.3)
        started = time.monotonic()
        api.get("/limits")
        waited = time.monotonic() - started
        admin.clear_faults()
    assert waited >= 0.3


@pytest.mark.parametrize(
    "knobs",
    [{"latency": -1}, {"latency": "slow"}, {"fail_next": {"count": 0}},
     {"fail_next": {"status": 200}}, {"fail_share": {"ratio": 2}}, {"fail_next": 3},
     {"latency": 1, "fail_next": {"count": -1}}, {"deny_authorization": "yes"}],
)
def test_bad_fault_settings_are_refused(shared_salesforce_sandbox, knobs):
    with shared_salesforce_sandbox.http() as http:
        answer = http.post("/_sandbox/faults", json=knobs)
        assert answer.status_code == 400
        assert answer.json()[0]["errorCode"] == "INVALID_INPUT"
        # still the defaults (DELETE answers the defaults it resets to)
        assert http.get("/_sandbox/faults").json() == http.delete("/_sandbox/faults").json()


def test_admin_edits_bump_modstamp_and_show_in_changes(make_salesforce_sandbox):
    clock = SandboxClock()
    sandbox = make_salesforce_sandbox(clock=clock)
    admin = sandbox.admin
    account = admin.records("Account", limit=1)["records"][0]
    someone = next(u for u in admin.records("User", limit=50)["records"]
                   if u["Id"] != sandbox.store.admin_user_id)
    clock.advance(seconds=10)
    edited = admin.edit("Account", account["Id"], {"Phone": "+34 600 000 001"},
                        as_user=someone["Id"])
    assert edited["SystemModstamp"] > account["SystemModstamp"]
    assert edited["LastModifiedDate"] == edited["SystemModstamp"]
    assert edited["LastModifiedById"] == someone["Id"]
    assert edited["CreatedDate"] == account["CreatedDate"]
    stamp = edited["SystemModstamp"]
    with sandbox.rest() as api:
        newer = api.get("/query", params={
            "q": f"SELECT Id, Phone FROM Account WHERE SystemModstamp >= {stamp}"}).json()
    assert [(r["Id"], r["Phone"]) for r in newer["records"]] == [
        (account["Id"], "+34 600 000 001")]

    found = admin.records("Account", q=account["Name"][2:8].upper())
    assert account["Id"] in [r["Id"] for r in found["records"]]
    assert found["totalSize"] == len(found["records"]) >= 1
    created = admin.create("Contact", {"LastName": "Pérez", "AccountId": account["Id"]})
    admin.delete("Contact", created)
    gone = admin.get("Contact", created)
    assert gone["IsDeleted"] is True
    assert admin.records("Contact", deleted=True)["records"][0]["Id"] == created


def test_admin_refuses_bad_input_without_changing_anything(salesforce_sandbox):
    before = salesforce_sandbox.admin.summary()["records"]
    with salesforce_sandbox.http() as http:
        answers = [
            http.post("/_sandbox/records/Account", json={"Phone": "no name"}),
            http.post("/_sandbox/records/Account", content=b"not json"),
            http.post("/_sandbox/records/Nothing", json={"Name": "x"}),
            http.patch("/_sandbox/records/Account/001000000000000AAA", json={"Name": "x"}),
            http.post("/_sandbox/reset", json={"accounts": -3}),
            http.post("/_sandbox/activity", json={"interval": 0}),
            http.post("/_sandbox/limits", json={"limit": "lots"}),
        ]
    assert [a.status_code for a in answers] == [400, 400, 404, 404, 400, 400, 400]
    assert all(isinstance(a.json()[0]["errorCode"], str) for a in answers)
    assert answers[0].json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert salesforce_sandbox.admin.summary()["records"] == before


def test_reset_reseeds_with_other_sizes(salesforce_sandbox):
    admin = salesforce_sandbox.admin
    admin.create("Account", {"Name": "Temporary"})
    summary = admin.reset(seed=9, accounts=12, contacts=5, products=3)
    assert summary["records"]["Account"] == 12
    assert summary["records"]["Contact"] == 5
    assert summary["records"]["Product2"] == 3
    assert summary["seed"] == 9
    with salesforce_sandbox.rest() as api:  # sessions survive a reset
        assert api.get("/query", params={"q": "SELECT COUNT() FROM Account"}).json()[
            "totalSize"] == 12


def test_same_seed_same_data_other_seed_other_data():
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    one = create_sandbox(seed=5, accounts=40, clock=lambda: moment)
    two = create_sandbox(seed=5, accounts=40, clock=lambda: moment)
    other = create_sandbox(seed=6, accounts=40, clock=lambda: moment)

    def dump(sandbox):
        return {name: sorted(map(tuple, table.rows.values()), key=str)
                for name, table in sandbox.store.tables.items()}

    assert dump(one) == dump(two)
    assert dump(one)["Account"] != dump(other)["Account"]
    account = one.store.table("Account")
    sample = account.as_dict(next(iter(account.rows.values())))
    assert sample["Name"] and sample["BillingCity"] and sample["Website"].startswith("https://")
    assert isinstance(sample["BillingLatitude"], float)
    assert sample["OwnerId"] in one.store.table("User").rows
    users = one.store.table("User")
    names = {users.as_dict(u)["Name"] for u in users.rows.values()}
    from sandboxes.people import generate_team
    assert {p.name for p in generate_team(5).salesforce} <= names


def test_big_sandbox_answers_change_reads_from_the_index():
    sandbox = create_sandbox(accounts=20_000, contacts=0, opportunities=0, tasks=0, events=0)
    table = sandbox.store.table("Account")
    assert table.count() == 20_000
    stamp, row_id = table.index[len(table.index) // 2]
    from sandboxes.salesforce import engine, soql
    query = soql.parse(
        f"SELECT Id FROM Account WHERE SystemModstamp > {stamp} OR (SystemModstamp = {stamp} "
        f"AND Id > '{row_id}') ORDER BY SystemModstamp, Id LIMIT 100")
    assert engine.modstamp_bound(query) == (stamp, True)
    ids, total = engine.run(query, table, include_deleted=False)
    assert ids == [i for _, i in table.index[len(table.index) // 2 + 1:][:100]]


def test_people_at_work_change_records_until_stopped(salesforce_sandbox):
    admin = salesforce_sandbox.admin
    status = admin.start_activity(interval=0.02, seed=1)
    assert status["running"] is True
    for _ in range(200):  # polls for up to ~10 s
        if admin.summary()["activity"].get("changes", 0) >= 10:
            break
        time.sleep(0.05)
    else:
        pytest.fail("people at work made no changes")
    stopped = admin.stop_activity()
    assert stopped == {"running": False}
    counts = admin.summary()
    time.sleep(0.1)
    assert admin.summary()["records"] == counts["records"]


def test_unknown_paths_versions_and_methods_get_salesforce_errors(salesforce_sandbox):
    with salesforce_sandbox.rest() as api:
        assert api.get("/nothing/here").json()[0]["errorCode"] == "NOT_FOUND"
        assert api.put("/sobjects/Account/describe").status_code == 405
        assert api.post("/sobjects/Account", content=b"[").json()[0]["errorCode"] == (
            "JSON_PARSER_ERROR")
        token = api.headers["Authorization"]
    answer = httpx.get(f"{salesforce_sandbox.url}/services/data/v9.0/limits",
                       headers={"Authorization": token},
                       verify=str(salesforce_sandbox.ca_cert))
    assert answer.status_code == 404 and answer.json()[0]["errorCode"] == "NOT_FOUND"


def test_an_internal_error_answers_like_salesforce_not_with_a_trace(salesforce_sandbox):
    with salesforce_sandbox.rest() as api:
        salesforce_sandbox.sandbox.state.jobs = None  # break /limits on purpose
        answer = api.get("/limits")
    assert answer.status_code == 500
    [error] = answer.json()
    assert error["errorCode"] == "UNKNOWN_EXCEPTION"
    assert error["message"].startswith("An unexpected error occurred.")
    assert "Traceback" not in answer.text
