"""Record CRUD, sObject Collections, Composite, and the getUpdated / getDeleted windows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from tests.fixtures.salesforce_sandbox import SandboxClock


def test_crud_through_simple_salesforce_keeps_audit_fields(make_salesforce_sandbox):
    clock = SandboxClock()
    sandbox = make_salesforce_sandbox(clock=clock)
    sf = sandbox.simple_salesforce()
    accounts = sf.Account
    created = accounts.create({"Name": "Nueva Cuenta SL", "NumberofLocations__c": 3,
                               "Verified__c": True, "SLAExpirationDate__c": "2027-03-01",
                               "LastAuditDate__c": "2026-01-02T03:04:05Z",
                               "Segments__c": "SMB;Enterprise"})
    assert created["success"] and created["id"].startswith("001") and len(created["id"]) == 18
    record = accounts.get(created["id"])
    stamp = record["SystemModstamp"]
    assert record["CreatedDate"] == record["LastModifiedDate"] == stamp
    assert record["IsDeleted"] is False
    assert record["LastAuditDate__c"] == "2026-01-02T03:04:05.000+0000"
    assert record["OwnerId"] == record["CreatedById"] == sandbox.store.admin_user_id
    assert accounts.api_usage["api-usage"].used >= 2

    clock.advance(seconds=3)
    assert accounts.update(created["id"], {"Phone": "+34 911 22 33 44"}) == 204
    again = accounts.get(created["id"])
    assert again["Phone"] == "+34 911 22 33 44"
    assert again["SystemModstamp"] > stamp and again["LastModifiedDate"] > stamp
    assert again["CreatedDate"] == record["CreatedDate"]

    assert accounts.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound) as deleted:
        accounts.get(created["id"])
    assert deleted.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"Phone": "1"}, "REQUIRED_FIELD_MISSING", ["Name"]),
        ({"Name": "x", "Nope__c": 1}, "INVALID_FIELD", []),
        ({"Name": "x", "CreatedDate": "2024-01-01T00:00:00Z"}, "INVALID_FIELD_FOR_INSERT_UPDATE",
         ["CreatedDate"]),
        ({"Name": "x" * 256}, "STRING_TOO_LONG", ["Name"]),
        ({"Name": "x", "ParentId": "bogus"}, "MALFORMED_ID", ["ParentId"]),
        ({"Name": "x", "OwnerId": "001000000000000AAA"}, "FIELD_INTEGRITY_EXCEPTION", ["OwnerId"]),
        ({"Name": "x", "NumberOfEmployees": "many"}, "JSON_PARSER_ERROR", None),
    ],
)
def test_bad_records_are_refused_and_change_nothing(shared_salesforce_sandbox, body, code, fields):
    before = shared_salesforce_sandbox.store.table("Account").count(True)
    with shared_salesforce_sandbox.rest() as api:
        answer = api.post("/sobjects/Account", json=body)
    assert answer.status_code == 400
    [error] = answer.json()
    assert error["errorCode"] == code
    if fields is not None:
        assert error["fields"] == fields
    assert shared_salesforce_sandbox.store.table("Account").count(True) == before


def test_simple_salesforce_sees_validation_errors(salesforce_sandbox):
    sf = salesforce_sandbox.simple_salesforce()
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Opportunity.create({"Name": "No stage"})
    assert refused.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert set(refused.value.content[0]["fields"]) == {"StageName", "CloseDate"}


def test_collections_give_per_record_results_in_order(salesforce_sandbox):
    store = salesforce_sandbox.store
    existing = next(iter(store.table("Contact").rows))
    with salesforce_sandbox.rest() as api:
        created = api.post("/composite/sobjects", json={"allOrNone": False, "records": [
            {"attributes": {"type": "Account"}, "Name": "Good One"},
            {"attributes": {"type": "Account"}, "Phone": "no name"},
            {"attributes": {"type": "Account"}, "Name": "Bad field", "Nope__c": "x"},
            {"Name": "no type"},
            {"attributes": {"type": "Contact"}, "LastName": "Good Two"},
        ]}).json()
        assert [r["success"] for r in created] == [True, False, False, False, True]
        assert [r["errors"][0]["statusCode"] for r in created if not r["success"]] == [
            "REQUIRED_FIELD_MISSING", "INVALID_FIELD", "INVALID_TYPE"]
        assert all(set(e) == {"statusCode", "message", "fields"}
                   for r in created for e in r["errors"])
        good, contact = created[0]["id"], created[4]["id"]
        assert good.startswith("001") and contact.startswith("003")

        api.delete("/composite/sobjects", params={"ids": contact})
        updated = api.patch("/composite/sobjects", json={"records": [
            {"attributes": {"type": "Account"}, "id": good, "Phone": "+1 555"},
            {"attributes": {"type": "Contact"}, "id": contact, "Title": "gone"},
            {"attributes": {"type": "Account"}, "id": "001bogus", "Phone": "1"},
            {"attributes": {"type": "Contact"}, "id": existing, "Email": "not-an-email"},
        ]}).json()
        assert [r["success"] for r in updated] == [True, False, False, False]
        assert [r["errors"][0]["statusCode"] for r in updated[1:]] == [
            "ENTITY_IS_DELETED", "MALFORMED_ID", "INVALID_EMAIL_ADDRESS"]

        deleted = api.delete("/composite/sobjects", params={
            "ids": f"{good},{contact},xyz", "allOrNone": "false"}).json()
        assert [(r["id"], r["success"]) for r in deleted] == [
            (good, True), (contact, False), (None, False)]
        assert [r["errors"][0]["statusCode"] for r in deleted[1:]] == [
            "ENTITY_IS_DELETED", "MALFORMED_ID"]


def test_all_or_none_rolls_everything_back(salesforce_sandbox):
    table = salesforce_sandbox.store.table("Account")
    account_id = next(iter(table.rows))
    before_rows = table.count(True)
    before_phone = table.as_dict(table.rows[account_id])["Phone"]
    with salesforce_sandbox.rest() as api:
        answer = api.patch("/composite/sobjects", json={"allOrNone": True, "records": [
            {"attributes": {"type": "Account"}, "id": account_id, "Phone": "changed"},
            {"attributes": {"type": "Account"}, "id": account_id, "Name": None},
        ]}).json()
        created = api.post("/composite/sobjects", json={"allOrNone": True, "records": [
            {"attributes": {"type": "Account"}, "Name": "Would be created"},
            {"attributes": {"type": "Account"}},
        ]}).json()
    assert [r["success"] for r in answer] == [False, False]
    assert answer[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert answer[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert [r["success"] for r in created] == [False, False]
    assert table.as_dict(table.rows[account_id])["Phone"] == before_phone
    assert table.count(True) == before_rows


def test_collection_limits_and_type_errors(salesforce_sandbox):
    with salesforce_sandbox.rest() as api:
        too_many = api.post("/composite/sobjects", json={"records": [
            {"attributes": {"type": "Account"}, "Name": f"n{i}"} for i in range(201)]})
        bad_type = api.post("/composite/sobjects", json={"records": [
            {"attributes": {"type": "Account"}, "Name": "ok"},
            {"attributes": {"type": "Account"}, "Name": "x", "NumberOfEmployees": "many"}]})
        not_json = api.post("/composite/sobjects", content=b"{nope",
                            headers={"Content-Type": "application/json"})
    assert too_many.status_code == 400
    assert too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert bad_type.status_code == 400 and bad_type.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert not_json.status_code == 400 and not_json.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    names = [r[salesforce_sandbox.store.table("Account").sobject.positions["Name"]]
             for r in salesforce_sandbox.store.table("Account").rows.values()]
    assert "ok" not in names and "n0" not in names


def test_injected_record_errors_hit_the_next_records(salesforce_sandbox):
    salesforce_sandbox.admin.faults(record_errors={"count": 1, "errorCode": "UNABLE_TO_LOCK_ROW"})
    with salesforce_sandbox.rest() as api:
        answer = api.post("/composite/sobjects", json={"records": [
            {"attributes": {"type": "Account"}, "Name": "locked"},
            {"attributes": {"type": "Account"}, "Name": "fine"}]}).json()
    assert [r["success"] for r in answer] == [False, True]
    assert answer[0]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"


def test_composite_runs_subrequests_with_references_as_one_call(salesforce_sandbox):
    admin = salesforce_sandbox.admin
    with salesforce_sandbox.rest() as api:
        admin.reset_counters()
        answer = api.post("/composite", json={"compositeRequest": [
            {"method": "POST", "url": "/services/data/v59.0/sobjects/Account",
             "referenceId": "acct", "body": {"Name": "Composite Co"}},
            {"method": "POST", "url": "/services/data/v59.0/sobjects/Contact",
             "referenceId": "person", "body": {"LastName": "Ruiz", "AccountId": "@{acct.id}"}},
            {"method": "GET", "referenceId": "read",
             "url": "/services/data/v59.0/query?q=SELECT+Id,AccountId+FROM+Contact+WHERE+"
                    "Id='@{person.id}'"},
            {"method": "GET", "url": "/services/data/v59.0/sobjects/Account/001000000000000AAA",
             "referenceId": "missing"},
            {"method": "GET", "url": "/services/data/v59.0/query?q=SELECT+COUNT()+FROM+Account",
             "referenceId": "count"},
        ]})
        counters = admin.counters()
    assert answer.status_code == 200
    parts = answer.json()["compositeResponse"]
    assert [p["referenceId"] for p in parts] == ["acct", "person", "read", "missing", "count"]
    assert [p["httpStatusCode"] for p in parts] == [201, 201, 200, 404, 200]
    assert set(parts[0]) == {"body", "httpHeaders", "httpStatusCode", "referenceId"}
    record = parts[2]["body"]["records"][0]
    assert record["Id"] == parts[1]["body"]["id"] and record["AccountId"] == parts[0]["body"]["id"]
    assert parts[3]["body"][0]["errorCode"] == "NOT_FOUND"
    assert counters["api"] == 1 and counters["composite"] == 1


def test_composite_all_or_none_and_limits(salesforce_sandbox):
    table = salesforce_sandbox.store.table("Account")
    before = table.count(True)
    with salesforce_sandbox.rest() as api:
        answer = api.post("/composite", json={"allOrNone": True, "compositeRequest": [
            {"method": "POST", "url": "/services/data/v59.0/sobjects/Account",
             "referenceId": "a", "body": {"Name": "Rolled back"}},
            {"method": "POST", "url": "/services/data/v59.0/sobjects/Account",
             "referenceId": "b", "body": {"Phone": "no name"}},
            {"method": "GET", "url": "/services/data/v59.0/limits", "referenceId": "c"},
        ]}).json()["compositeResponse"]
        too_many = api.post("/composite", json={"compositeRequest": [
            {"method": "GET", "url": "/services/data/v59.0/limits", "referenceId": f"r{i}"}
            for i in range(26)]})
        dangling = api.post("/composite", json={"compositeRequest": [
            {"method": "GET", "url": "/services/data/v59.0/sobjects/Account/@{nope.id}",
             "referenceId": "x"}]}).json()["compositeResponse"]
    assert [p["httpStatusCode"] for p in answer] == [400, 400, 400]
    assert answer[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert answer[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert answer[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert table.count(True) == before
    assert too_many.status_code == 400
    assert dangling[0]["httpStatusCode"] == 400
    assert dangling[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"


def test_updated_and_deleted_windows(make_salesforce_sandbox):
    clock = SandboxClock()
    sandbox = make_salesforce_sandbox(clock=clock)
    sf = sandbox.simple_salesforce()
    start = clock() - timedelta(minutes=1)
    first = sf.Contact.create({"LastName": "Window"})["id"]
    second = sf.Contact.create({"LastName": "Gone"})["id"]
    sf.Contact.delete(second)
    clock.advance(minutes=2)
    end = clock()
    updated = sf.Contact.updated(start, end)
    deleted = sf.Contact.deleted(start, end)
    assert updated["ids"] == [first]
    assert [r["id"] for r in deleted["deletedRecords"]] == [second]
    assert updated["latestDateCovered"] == end.strftime("%Y-%m-%dT%H:%M:00.000+0000")
    earliest = (end - timedelta(days=15)).strftime("%Y-%m-%dT%H:%M:00.000+0000")
    assert deleted["earliestDateAvailable"] == earliest

    with sandbox.rest() as api:
        too_old = api.get("/sobjects/Contact/updated/", params={
            "start": (end - timedelta(days=31)).isoformat(), "end": end.isoformat()})
        too_old_deleted = api.get("/sobjects/Contact/deleted/", params={
            "start": (end - timedelta(days=16)).isoformat(), "end": end.isoformat()})
        backwards = api.get("/sobjects/Contact/updated/", params={
            "start": end.isoformat(), "end": start.isoformat()})
        garbage = api.get("/sobjects/Contact/updated/", params={"start": "yesterday",
                                                                "end": end.isoformat()})
        missing = api.get("/sobjects/Contact/updated/")
    for answer in (too_old, too_old_deleted, backwards, garbage):
        assert answer.status_code == 400
        assert answer.json()[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    assert missing.status_code == 400 and missing.json()[0]["errorCode"] == "MISSING_ARGUMENT"


def test_deleting_an_account_takes_its_children_along(make_salesforce_sandbox):
    clock = SandboxClock()
    sandbox = make_salesforce_sandbox(clock=clock)
    store = sandbox.store
    with sandbox.rest() as api:
        account = api.post("/sobjects/Account", json={"Name": "Parent"}).json()["id"]
        contact = api.post("/sobjects/Contact", json={"LastName": "Child",
                                                      "AccountId": account}).json()["id"]
        deal = api.post("/sobjects/Opportunity", json={
            "Name": "Deal", "StageName": "Prospecting", "CloseDate": "2027-01-01",
            "AccountId": account}).json()["id"]
        call = api.post("/sobjects/Task", json={"Subject": "Call", "WhatId": deal}).json()["id"]
        other = api.post("/sobjects/Contact", json={"LastName": "Elsewhere"}).json()["id"]
        clock.advance(seconds=5)
        assert api.delete(f"/sobjects/Account/{account}").status_code == 204
        start = (clock() - timedelta(minutes=1)).isoformat()
        clock.advance(minutes=2)
        gone = api.get("/sobjects/Contact/deleted/", params={
            "start": start, "end": clock().isoformat()}).json()["deletedRecords"]
    for row_id in (account, contact, deal, call):
        table, row = store.get(row_id)
        assert row[table.deleted_pos] is True, table.name
    assert [g["id"] for g in gone] == [contact]
    table, row = store.get(other)
    assert row[table.deleted_pos] is False


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/sobjects/Account", b"[]"),
        ("POST", "/sobjects/Account", b'{"Name": {"nested": 1}}'),
        ("POST", "/sobjects/Account", b'{"Name": "x", "Segments__c": ["a"]}'),
        ("POST", "/sobjects/Event", b'{"ActivityDateTime": "soon", "DurationInMinutes": 5}'),
        ("POST", "/sobjects/User", b'{"LastName": "x"}'),
        ("PATCH", "/sobjects/Account/001000000000000AAA", b'{"Name": "x"}'),
        ("POST", "/composite", b'[]'),
        ("POST", "/composite", b'{"compositeRequest": [1, 2]}'),
        ("POST", "/composite", b'{"compositeRequest": [{"method": "GET", "url": "/nope", '
                               b'"referenceId": "a"}]}'),
        ("POST", "/composite/sobjects", b'{"records": [1]}'),
        ("PATCH", "/composite/sobjects", b'{"records": [{"attributes": {"type": "Nope"}}]}'),
        ("DELETE", "/composite/sobjects?ids=" + b",".join([b"x"] * 201).decode(), b""),
        ("GET", "/composite/sobjects/Account?ids=bad&fields=Nope", b""),
        ("GET", "/sobjects/Account/updated/?start=2024&end=2025", b""),
        ("POST", "/jobs/query", b'{"operation": "query", "query": 5}'),
        ("PATCH", "/jobs/query/750000000000000AAA", b'{"state": "Aborted"}'),
        ("GET", "/query?q=" + "SELECT Id FROM Account WHERE " + "(" * 3000, b""),
        ("GET", "/query?q=SELECT Id FROM Account WHERE Name IN ()", b""),
        ("GET", "/query?q=SELECT Id FROM Account WHERE CreatedDate > 2024-13-45T00:00:00Z", b""),
        ("GET", "/sobjects/Account/001000000000000AAA?fields=Nope", b""),
    ],
)
def test_bad_input_gets_a_salesforce_error_never_a_crash(shared_salesforce_sandbox, method, path,
                                                          body):
    with shared_salesforce_sandbox.rest() as api:
        answer = api.request(method, path, content=body,
                             headers={"Content-Type": "application/json"})
    assert answer.status_code < 500, answer.text
    payload = answer.json()
    if answer.status_code == 200:  # per-record or per-subrequest failures inside
        parts = payload["compositeResponse"] if isinstance(payload, dict) else payload
        errors = [e for p in parts for e in (p.get("body") or p.get("errors"))]
        errors = [{"errorCode": e.get("errorCode") or e["statusCode"], **e} for e in errors]
    else:
        assert 400 <= answer.status_code
        errors = payload
    assert errors and all(isinstance(e["errorCode"], str) and e["message"] for e in errors)
