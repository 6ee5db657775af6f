"""The sandbox's answers have the keys, types and shapes of payloads real Salesforce produced
(../shared/reference/salesforce)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.fixtures.salesforce_sandbox import SandboxClock

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "salesforce"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def reference(name: str) -> Any:
    path = REFERENCE / name
    assert path.exists(), f"reference payload missing: {path}"
    return json.loads(path.read_text())


def assert_shape(ref: Any, mine: Any, path: str = "$", exact_keys: bool = False) -> None:
    """mine has every key of ref (all of them and no more when exact_keys), with values of the
    same JSON type, recursively; a null in ref accepts anything."""
    if ref is None:
        return
    if isinstance(ref, dict):
        assert isinstance(mine, dict), f"{path}: expected an object, got {mine!r}"
        missing = set(ref) - set(mine)
        assert not missing, f"{path}: missing keys {sorted(missing)}"
        if exact_keys:
            extra = set(mine) - set(ref)
            assert not extra, f"{path}: unexpected keys {sorted(extra)}"
        for key, value in ref.items():
            assert_shape(value, mine[key], f"{path}.{key}", exact_keys)
    elif isinstance(ref, list):
        assert isinstance(mine, list), f"{path}: expected an array, got {mine!r}"
        if ref and mine:
            for i, item in enumerate(mine):
                assert_shape(ref[0], item, f"{path}[{i}]", exact_keys)
    elif isinstance(ref, bool):
        assert isinstance(mine, bool), f"{path}: expected a boolean, got {mine!r}"
    elif isinstance(ref, int | float):
        assert isinstance(mine, int | float) and not isinstance(mine, bool), (
            f"{path}: expected a number, got {mine!r}")
    else:
        assert isinstance(mine, type(ref)), f"{path}: expected {type(ref).__name__}, got {mine!r}"


def test_shape_checker_catches_differences():
    assert_shape({"a": 1, "b": [{"c": "x"}]}, {"a": 2, "b": [{"c": "y", "d": 1}]})
    for bad in ({"a": "1", "b": []}, {"b": []}, {"a": 1, "b": [{"c": 3}]}):
        try:
            assert_shape({"a": 1, "b": [{"c": "x"}]}, bad)
        except AssertionError:
            continue
        raise AssertionError(f"{bad} passed")


def test_oauth_answers_match_recorded_ones(salesforce_sandbox):
    with salesforce_sandbox.http() as http:
        ok = http.post("/services/oauth2/token", data={
            "grant_type": "password", "client_id": salesforce_sandbox.client_id,
            "client_secret": salesforce_sandbox.client_secret,
            "username": salesforce_sandbox.username,
            "password": salesforce_sandbox.password + salesforce_sandbox.security_token,
        })
        bad = http.post("/services/oauth2/token", data={
            "grant_type": "password", "client_id": salesforce_sandbox.client_id,
            "client_secret": salesforce_sandbox.client_secret,
            "username": salesforce_sandbox.username, "password": "wrong",
        })
        refresh = http.post("/services/oauth2/token", data={
            "grant_type": "refresh_token", "client_id": salesforce_sandbox.client_id,
            "refresh_token": "nope",
        })
    assert ok.status_code == 200
    assert_shape(reference("restforce-auth_success_response.json"), ok.json())
    assert ok.json()["instance_url"] == salesforce_sandbox.url
    assert bad.status_code == 400
    assert_shape(reference("restforce-auth_error_response.json"), bad.json(), exact_keys=True)
    assert bad.json()["error"] == "invalid_grant"
    assert refresh.status_code == 400
    assert refresh.json() == reference("restforce-refresh_error_response.json")


def test_describes_match_recorded_ones(salesforce_sandbox):
    with salesforce_sandbox.rest() as api:
        account = api.get("/sobjects/Account/describe").json()
        contact = api.get("/sobjects/Contact/describe").json()
        everything = api.get("/sobjects").json()
        missing = api.get("/sobjects/Nothing__c/describe")
    assert_shape(reference("elasticio-describe-Account-v46.json"), account, exact_keys=True)
    assert_shape(reference("elasticio-describe-Contact-v25.json"), contact)
    assert_shape(reference("elasticio-describeGlobal-v46.json"), everything, exact_keys=True)
    assert_shape(reference("restforce-describe_sobjects_success_response.json"), everything)
    custom_types = {f["type"] for d in (account, contact) for f in d["fields"] if f["custom"]}
    assert {"string", "double", "boolean", "date", "datetime", "picklist",
            "multipicklist"} <= custom_types
    prefixes = {o["name"]: o["keyPrefix"] for o in everything["sobjects"]}
    assert prefixes == {"Account": "001", "Contact": "003", "Opportunity": "006", "Task": "00T",
                        "Event": "00U", "Product2": "01t", "User": "005"}
    assert missing.status_code == 404
    assert missing.json() == reference("restforce-sobject_describe_error_response.json")


def test_versions_and_errors_match_recorded_ones(salesforce_sandbox):
    with salesforce_sandbox.http() as http:
        versions = http.get("/services/data/").json()
        expired = http.get("/services/data/v59.0/limits",
                           headers={"Authorization": "Bearer not-a-session"})
    assert_shape(reference("restforce-services_data_success_response.json"), versions,
                 exact_keys=True)
    assert {"version": "59.0", "url": "/services/data/v59.0"}.items() <= next(
        v for v in versions if v["version"] == "59.0").items()
    assert expired.status_code == 401
    assert expired.json() == reference("restforce-expired_session_response.json")
    with salesforce_sandbox.rest() as api:
        bad_field = api.get("/query", params={"q": "SELECT Nope FROM Account"})
        bad_id = api.delete("/sobjects/Account/rid")
        bad_write = api.patch(f"/sobjects/Account/{_an_account(api)}", json={"foo": 1})
    assert bad_field.status_code == 400
    assert_shape(reference("restforce-query_error_response.json"), bad_field.json(),
                 exact_keys=True)
    assert bad_field.json()[0]["errorCode"] == "INVALID_FIELD"
    assert bad_id.status_code == 404
    assert_shape(reference("restforce-delete_error_response.json"), bad_id.json())
    assert bad_id.json()[0]["errorCode"] == "NOT_FOUND"
    assert bad_write.status_code == 400
    assert_shape(reference("restforce-write_error_response.json"), bad_write.json())
    assert bad_write.json()[0]["message"] == "No such column 'foo' on sobject of type Account"


def _an_account(api) -> str:
    return api.get("/query", params={"q": "SELECT Id FROM Account LIMIT 1"}).json()[
        "records"][0]["Id"]


def test_query_pages_match_recorded_ones(make_salesforce_sandbox):
    sandbox = make_salesforce_sandbox(accounts=250)
    with sandbox.rest() as api:
        api.headers["Sforce-Query-Options"] = "batchSize=200"
        first = api.get("/query", params={"q": "SELECT Id, Name, CreatedDate FROM Account"})
        last = api.get(first.json()["nextRecordsUrl"].removeprefix("/services/data/v59.0"))
        empty = api.get("/query", params={"q": "SELECT Id FROM Account WHERE Name = 'none'"})
    page = first.json()
    assert_shape(_without_fields(reference("restforce-query_paginated_first_page_response.json")),
                 page)
    assert set(page) == {"totalSize", "done", "nextRecordsUrl", "records"}
    assert set(page["records"][0]) == {"attributes", "Id", "Name", "CreatedDate"}
    assert TIMESTAMP.match(page["records"][0]["CreatedDate"])
    assert_shape(_without_fields(reference("restforce-query_paginated_last_page_response.json")),
                 last.json())
    assert set(last.json()) == {"totalSize", "done", "records"}
    assert (len(page["records"]), len(last.json()["records"])) == (200, 50)
    assert empty.json() == reference("restforce-query_empty_response.json")


def _without_fields(page: dict[str, Any]) -> dict[str, Any]:
    """The recorded pages select a custom field of their own org: keep the record envelope."""
    page["records"] = [{"attributes": r["attributes"]} for r in page["records"]]
    return page


def test_writes_and_changes_match_recorded_ones(make_salesforce_sandbox):
    clock = SandboxClock()
    salesforce_sandbox = make_salesforce_sandbox(clock=clock)
    now = clock()
    window = {"start": (now - timedelta(days=1)).isoformat(),
              "end": (now + timedelta(minutes=5)).isoformat()}
    with salesforce_sandbox.rest() as api:
        created = api.post("/sobjects/Account", json={"Name": "Shape Co"})
        collection = api.post("/composite/sobjects", json={"records": [
            {"attributes": {"type": "Account"}, "Name": "Shape Two"}]})
        no_ids = api.delete("/composite/sobjects", params={"ids": ""})
        api.delete(f"/sobjects/Account/{created.json()['id']}")
        clock.advance(minutes=2)  # changes show once their minute is over
        updated = api.get("/sobjects/Account/updated/", params=window)
        deleted = api.get("/sobjects/Account/deleted/", params=window)
    assert created.status_code == 201
    assert_shape(reference("restforce-create_success_response.json"), created.json(),
                 exact_keys=True)
    assert_shape(reference("restforce-composite_sobjects_success_response.json"),
                 collection.json(), exact_keys=True)
    assert no_ids.status_code == 400
    assert no_ids.json() == reference("restforce-composite_sobjects_bad_request_response.json")
    assert_shape(reference("restforce-get_updated_success_response.json"), updated.json(),
                 exact_keys=True)
    assert_shape(reference("restforce-get_deleted_success_response.json"), deleted.json(),
                 exact_keys=True)
    assert deleted.json()["deletedRecords"][0]["id"] == created.json()["id"]
    for stamp in (deleted.json()["earliestDateAvailable"], deleted.json()["latestDateCovered"],
                  deleted.json()["deletedRecords"][0]["deletedDate"]):
        assert TIMESTAMP.match(stamp), stamp


def test_ids_carry_salesforce_case_checksum(salesforce_sandbox):
    from sandboxes.salesforce.values import normalize_id

    # Salesforce's documented example of a 15-character id and its 18-character form.
    assert normalize_id("001D000000IqhSL") == "001D000000IqhSLIAZ"
    assert normalize_id("001D000000IqhSLIAZ") == "001D000000IqhSLIAZ"
    assert normalize_id("001D000000IqhSLAAA") is None
    with salesforce_sandbox.rest() as api:
        records = api.get("/query", params={"q": "SELECT Id FROM Contact"}).json()["records"]
    assert records and all(len(r["Id"]) == 18 and normalize_id(r["Id"][:15]) == r["Id"]
                           and r["Id"].startswith("003") for r in records)
