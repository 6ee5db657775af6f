"""The sandbox's API v4 behaviour over a real socket: sessions, paging, filters, writes,
soft delete, bulk, extra fields, schema, rate limit, bad input."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import pytest

from sandboxes.forcemanager.timefmt import format_time, parse_time

ACCOUNT = {"name": "Acme Ibérica", "branchId": 1, "salesRepId1": 2}


def all_rows(api: httpx.Client, resource: str, **params) -> list[dict]:
    rows, page = [], 0
    while True:
        batch = api.get(f"/{resource}", params={**params, "page": page, "count": 500}).json()
        if not batch:
            return rows
        rows += batch
        page += 1


# -- sessions ----------


def test_login_gives_a_session_key_that_every_call_needs(forcemanager_sandbox):
    fm = forcemanager_sandbox
    anonymous = fm.api(login=False)
    refused = anonymous.get("/accounts")
    assert refused.status_code == 401
    assert refused.json()["error"] == "INVALID_SESSION"

    answer = anonymous.post(
        "/login", json={"username": fm.public_key, "password": fm.private_key}
    )
    assert answer.status_code == 200
    token = answer.json()["token"]
    assert isinstance(token, str) and token
    ok = anonymous.get("/accounts", headers={"X-Session-Key": token})
    assert ok.status_code == 200
    assert anonymous.get("/accounts", headers={"X-Session-Key": "forged"}).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"username": "sandbox-public-key", "password": "wrong"},
        {"username": "someone-else", "password": "sandbox-private-key"},
    ],
)
def test_wrong_keys_are_refused(forcemanager_sandbox, body):
    answer = forcemanager_sandbox.api(login=False).post("/login", json=body)
    assert answer.status_code == 401
    assert answer.json()["error"] == "INVALID_CREDENTIALS"


def test_a_malformed_login_is_a_bad_request(forcemanager_sandbox):
    api = forcemanager_sandbox.api(login=False)
    assert api.post("/login", content=b"not json").status_code == 400
    assert api.post("/login", json={"username": "x"}).status_code == 400
    assert api.post("/login", json={"username": 1, "password": 2}).status_code == 400


def test_expired_sessions_get_401_until_a_new_login(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    assert api.get("/accounts").status_code == 200
    assert forcemanager_sandbox.expire_sessions() >= 1
    assert api.get("/accounts").status_code == 401
    api.headers["X-Session-Key"] = forcemanager_sandbox.login()
    assert api.get("/accounts").status_code == 200


# -- paging ----------


@pytest.mark.forcemanager_sandbox(accounts=120)
def test_lists_are_pages_of_50_from_page_0_until_an_empty_page(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    sizes, ids = [], []
    for page in range(4):
        answer = api.get("/accounts", params={"page": page})
        assert answer.status_code == 200
        assert answer.headers["count"] == "50"
        sizes.append(len(answer.json()))
        ids += [row["id"] for row in answer.json()]
    assert sizes == [50, 50, 20, 0]
    assert ids == list(range(1, 121))  # id order, no row twice, none missing
    assert api.get("/accounts", params={"page": 40}).json() == []


@pytest.mark.forcemanager_sandbox(accounts=700)
def test_the_count_header_or_parameter_sets_the_page_size_up_to_500(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    by_header = api.get("/accounts", headers={"count": "7"})
    assert len(by_header.json()) == 7 and by_header.headers["count"] == "7"
    by_param = api.get("/accounts", params={"count": 9, "page": 1})
    assert [r["id"] for r in by_param.json()] == list(range(10, 19))
    capped = api.get("/accounts", headers={"count": "5000"})
    assert len(capped.json()) == 500 and capped.headers["count"] == "500"


@pytest.mark.parametrize("params", [{"page": "-1"}, {"page": "two"}, {"count": "0"}])
def test_bad_paging_parameters_are_refused(forcemanager_sandbox, params):
    answer = forcemanager_sandbox.api().get("/accounts", params=params)
    assert answer.status_code == 400
    assert answer.json()["error"] == "INVALID_PARAMETER"


# -- where and order ----------


@pytest.mark.forcemanager_sandbox(accounts=300, deleted_share=0.1)
def test_date_updated_filters_return_exactly_the_rows_changed_after(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    everything = all_rows(api, "accounts")
    stamps = sorted(row["dateUpdated"] for row in everything)
    cutoff = stamps[len(stamps) // 2]
    changed = all_rows(api, "accounts", where=f"dateUpdated > '{cutoff}'")
    expected = {r["id"] for r in everything if parse_time(r["dateUpdated"]) > parse_time(cutoff)}
    assert {r["id"] for r in changed} == expected
    assert 0 < len(expected) < len(everything)
    at_least = all_rows(api, "accounts", where=f"dateUpdated >= '{cutoff}'")
    assert len(at_least) == len(expected) + stamps.count(cutoff)
    # Another way to write the same instant means the same thing.
    plus_two = format_time(parse_time(cutoff)).replace("Z", "+00:00")
    assert len(all_rows(api, "accounts", where=f"dateUpdated > '{plus_two}'")) == len(expected)


@pytest.mark.forcemanager_sandbox(accounts=200, deleted_share=0.1)
def test_soft_deleted_rows_come_back_unless_the_filter_leaves_them_out(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    everything = all_rows(api, "accounts")
    deleted = [r for r in everything if r["deleted"]]
    assert len(everything) == 200 and deleted
    assert all(r["dateDeleted"] for r in deleted)
    only_deleted = all_rows(api, "accounts", where="deleted = true")
    assert {r["id"] for r in only_deleted} == {r["id"] for r in deleted}
    live = all_rows(api, "accounts", where="deleted = false")
    assert len(live) == 200 - len(deleted)


def test_where_by_ids_ext_ids_and_combinations(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    api.put("/accounts/3", json={"extId": "001000000000003AAA"})
    api.put("/accounts/4", json={"extId": "O'Brien"})

    def ids(where: str) -> list[int]:
        answer = api.get("/accounts", params={"where": where})
        assert answer.status_code == 200, answer.text
        return [r["id"] for r in answer.json()]

    assert ids("id = 5") == [5]
    assert ids("id IN (1, 2, 3, 999)") == [1, 2, 3]
    assert ids("extId = '001000000000003AAA'") == [3]
    assert ids("extId = 'O''Brien'") == [4]
    assert ids("extId IS NOT NULL") == [3, 4]
    assert ids("(id = 1 OR id = 2) AND id != 2") == [1]
    assert ids("id < 4 and not id = 2") == [1, 3]
    assert ids("branchId = 1 AND id <= 40") == [
        r["id"] for r in all_rows(api, "accounts") if r["branchId"]["id"] == 1
    ]
    name = api.get("/accounts/7").json()["name"]
    assert 7 in ids(f"name LIKE '{name[:4].lower()}%'")


def test_order_sorts_by_fields(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    rows = api.get("/accounts", params={"order": "name DESC, id", "count": 500}).json()
    names = [r["name"] for r in rows]
    assert names == sorted(names, reverse=True)
    rows = api.get("/accounts", params={"order": "dateUpdated", "count": 500}).json()
    assert [r["dateUpdated"] for r in rows] == sorted(r["dateUpdated"] for r in rows)


@pytest.mark.parametrize(
    "where",
    [
        "id = ",
        "nonsense = 1",
        "id IN (1, 2",
        "dateUpdated > 'yesterday'",
        "id = 'abc'",
        "name = 'unterminated",
        "id = 1; DROP TABLE accounts",
        "deleted = maybe",
    ],
)
def test_filters_it_cannot_read_get_a_clear_400(forcemanager_sandbox, where):
    answer = forcemanager_sandbox.api().get("/accounts", params={"where": where})
    assert answer.status_code == 400
    assert answer.json()["error"] == "INVALID_WHERE"
    assert answer.json()["message"]


def test_bad_order_gets_a_clear_400(forcemanager_sandbox):
    answer = forcemanager_sandbox.api().get("/accounts", params={"order": "nope DESC"})
    assert answer.status_code == 400 and "nope" in answer.json()["message"]


# -- writes ----------


def test_create_then_read_with_references_as_id_and_label(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    new_id = api.post("/accounts", json=ACCOUNT | {"countryId": 1}).json()["id"]
    record = api.get(f"/accounts/{new_id}").json()
    user = api.get("/users/2").json()
    assert record["name"] == "Acme Ibérica"
    assert record["branchId"] == {"id": 1, "value": "Madrid"}
    assert record["countryId"] == {"id": 1, "value": "Spain"}
    assert record["salesRepId1"] == {"id": 2, "value": f"{user['name']} {user['lastName']}".strip()}
    assert record["dateCreated"] == record["dateUpdated"]
    assert record["deleted"] is False and record["dateDeleted"] is None

    contact = api.post("/contacts", json={"lastName": "Pérez", "accountId": new_id}).json()
    read = api.get(f"/contacts/{contact['id']}").json()
    assert read["accountId"] == {"id": new_id, "value": "Acme Ibérica"}


def test_update_is_partial_and_bumps_date_updated(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    before = api.get("/accounts/1").json()
    assert api.put("/accounts/1", json={"phone": "+34 900 000 000"}).status_code == 200
    after = api.get("/accounts/1").json()
    assert after["phone"] == "+34 900 000 000"
    assert after["name"] == before["name"] and after["branchId"] == before["branchId"]
    assert parse_time(after["dateUpdated"]) > parse_time(before["dateUpdated"])
    assert after["dateCreated"] == before["dateCreated"]
    assert api.put("/accounts/1", json={"comment": None}).status_code == 200
    assert api.get("/accounts/1").json()["comment"] is None


@pytest.mark.parametrize(
    ("body", "error", "field"),
    [
        ({"name": "x", "branchId": 1}, "REQUIRED_FIELD_MISSING", "salesRepId1"),
        (ACCOUNT | {"colour": "red"}, "INVALID_FIELD", "colour"),
        (ACCOUNT | {"branchId": "1"}, "INVALID_TYPE", "branchId"),
        (ACCOUNT | {"latitude": "north"}, "INVALID_TYPE", "latitude"),
        (ACCOUNT | {"geocoded": "yes"}, "INVALID_TYPE", "geocoded"),
        (ACCOUNT | {"branchId": 99}, "INVALID_REFERENCE", "branchId"),
        (ACCOUNT | {"salesRepId1": 999}, "INVALID_REFERENCE", "salesRepId1"),
        (ACCOUNT | {"id": 5}, "READ_ONLY_FIELD", "id"),
        (ACCOUNT | {"dateUpdated": "2025-01-01T00:00:00Z"}, "READ_ONLY_FIELD", "dateUpdated"),
        (ACCOUNT | {"Z_Unknown": 1}, "INVALID_FIELD", "Z_Unknown"),
        (ACCOUNT | {"name": ""}, "REQUIRED_FIELD_MISSING", "name"),
        (["not", "an", "object"], "INVALID_BODY", None),
    ],
)
def test_bad_writes_get_a_clear_error_and_change_nothing(forcemanager_sandbox, body, error, field):
    api = forcemanager_sandbox.api()
    count = len(forcemanager_sandbox.store.ids("accounts"))
    answer = api.post("/accounts", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == error
    if field:
        assert field in answer.json()["message"]
    assert len(forcemanager_sandbox.store.ids("accounts")) == count

    before = api.get("/accounts/1").json()
    if isinstance(body, dict) and error != "REQUIRED_FIELD_MISSING":
        assert api.put("/accounts/1", json=body).status_code == 400
        assert api.get("/accounts/1").json() == before


def test_update_cannot_empty_a_required_field(forcemanager_sandbox):
    answer = forcemanager_sandbox.api().put("/accounts/1", json={"name": None})
    assert answer.status_code == 400
    assert answer.json()["error"] == "REQUIRED_FIELD_MISSING"


def test_unknown_records_endpoints_and_methods(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    assert api.get("/accounts/999999").status_code == 404
    assert api.put("/accounts/999999", json={"phone": "1"}).status_code == 404
    assert api.get("/accounts/abc").status_code == 400
    assert api.get("/spaceships").status_code == 404
    assert api.post("/users", json={"name": "x", "email": "x@example.com"}).status_code == 405
    assert api.put("/users/1", json={"name": "x"}).status_code == 405
    assert api.patch("/accounts/1", json={}).status_code == 405
    bad_json = api.post("/accounts", content=b"{'name': 1}")
    assert bad_json.status_code == 400 and bad_json.json()["error"] == "INVALID_JSON"


def test_delete_is_soft_and_repeatable(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    new_id = api.post("/accounts", json=ACCOUNT).json()["id"]
    created = api.get(f"/accounts/{new_id}").json()
    assert api.delete(f"/accounts/{new_id}").json() == {"Message": "entity deleted"}
    gone = api.get(f"/accounts/{new_id}").json()
    assert gone["deleted"] is True and gone["dateDeleted"]
    assert parse_time(gone["dateUpdated"]) >= parse_time(created["dateUpdated"])
    assert gone["name"] == "Acme Ibérica"
    listed = api.get("/accounts", params={"where": f"id = {new_id}"}).json()
    assert listed and listed[0]["deleted"] is True
    assert api.delete(f"/accounts/{new_id}").status_code == 200
    refused = api.put(f"/accounts/{new_id}", json={"phone": "1"})
    assert refused.status_code == 400 and refused.json()["error"] == "ENTITY_DELETED"


def test_writes_show_up_in_date_updated_reads(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    newest = api.get("/accounts", params={"order": "dateUpdated DESC", "count": 1}).json()[0]
    since = newest["dateUpdated"]
    api.put("/accounts/3", json={"phone": "1"})
    new_id = api.post("/accounts", json=ACCOUNT).json()["id"]
    api.delete("/accounts/5")
    changed = api.get("/accounts", params={"where": f"dateUpdated > '{since}'"}).json()
    assert sorted(r["id"] for r in changed) == sorted([3, 5, new_id])


# -- bulk ----------


def test_bulk_create_answers_per_item_by_guid_in_order(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    answer = api.post("/accounts/bulk", json=[
        {"guid": "a", "data": ACCOUNT | {"name": "First"}},
        {"guid": "b", "data": {"name": "No branch"}},
        {"guid": "c", "data": ACCOUNT | {"name": "Third"}},
        {"guid": "d", "data": "not an object"},
    ])
    assert answer.status_code == 200
    items = answer.json()
    assert [i["guid"] for i in items] == ["a", "b", "c", "d"]
    assert [i["success"] for i in items] == [True, False, True, False]
    assert items[1]["error"] == "REQUIRED_FIELD_MISSING" and items[1]["fields"]
    assert items[3]["error"] == "INVALID_BODY"
    assert api.get(f"/accounts/{items[0]['id']}").json()["name"] == "First"
    assert api.get(f"/accounts/{items[2]['id']}").json()["name"] == "Third"


def test_bulk_update_and_delete(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    updated = api.put("/accounts/bulk", json=[
        {"guid": "1", "id": 1, "data": {"phone": "+1"}},
        {"guid": "2", "id": 999999, "data": {"phone": "+2"}},
        {"guid": "3", "data": {"id": 3, "city": "Teruel"}},
        {"guid": "4", "id": 4, "data": {"branchId": 77}},
    ]).json()
    assert [i["success"] for i in updated] == [True, False, True, False]
    assert [i["id"] for i in updated] == [1, 999999, 3, 4]
    assert updated[1]["error"] == "NOT_FOUND"
    assert updated[3]["error"] == "INVALID_REFERENCE"
    assert api.get("/accounts/1").json()["phone"] == "+1"
    assert api.get("/accounts/3").json()["city"] == "Teruel"
    assert api.get("/accounts/4").json()["branchId"]["id"] != 77

    deleted = api.request("DELETE", "/accounts/bulk", json=[
        {"guid": "x", "id": 6}, {"guid": "y", "id": 424242},
    ]).json()
    assert [i["success"] for i in deleted] == [True, False]
    assert api.get("/accounts/6").json()["deleted"] is True


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"guid": "a", "data": {}},
        [{"data": {}}],
        [{"guid": "a", "data": {}}, {"guid": "a", "data": {}}],
        [{"guid": str(n), "data": ACCOUNT} for n in range(201)],
    ],
)
def test_malformed_bulk_requests_are_refused_whole(forcemanager_sandbox, body):
    count = len(forcemanager_sandbox.store.ids("accounts"))
    answer = forcemanager_sandbox.api().post("/accounts/bulk", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"] in ("INVALID_BODY", "LIMIT_EXCEEDED")
    assert len(forcemanager_sandbox.store.ids("accounts")) == count


# -- extra fields and schema ----------


def test_extra_fields_are_listed_created_and_validated_on_write(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    seeded = api.get("/extrafields/accounts").json()
    assert {f["fieldName"] for f in seeded} >= {"Z_Potencial"}

    created = api.post("/extrafields/accounts", json={
        "fieldName": "Z_Tier", "type": "list", "label": "Tier", "values": ["Gold", "Silver"],
    })
    assert created.status_code == 200 and isinstance(created.json()["id"], int)
    for name, kind in [("Z_Note", "text"), ("Z_Score", "decimal"), ("Z_Vip", "bit"),
                       ("Z_Since", "datetime"), ("Z_Tags", "multivalue")]:
        body = {"fieldName": name, "type": kind}
        if kind == "multivalue":
            body["values"] = ["a", "b", "c"]
        assert api.post("/extrafields/accounts", json=body).status_code == 200
    listed = {f["fieldName"]: f for f in api.get("/extrafields/accounts").json()}
    assert listed["Z_Tier"]["type"] == "list" and listed["Z_Tier"]["values"] == ["Gold", "Silver"]

    assert api.get("/accounts/1").json()["Z_Tier"] is None  # every row carries the new key
    good = {"Z_Tier": "Gold", "Z_Note": "hi", "Z_Score": 4.5, "Z_Vip": True,
            "Z_Since": "2024-01-02T03:04:05Z", "Z_Tags": ["a", "c"]}
    assert api.put("/accounts/1", json=good).status_code == 200
    record = api.get("/accounts/1").json()
    assert {k: record[k] for k in good} == good | {"Z_Since": "2024-01-02T03:04:05.000Z"}
    # The swagger's customFields object is accepted too.
    api.put("/accounts/2", json={"customFields": {"Z_Note": "nested"}})
    assert api.get("/accounts/2").json()["Z_Note"] == "nested"

    for bad in [{"Z_Tier": "Bronze"}, {"Z_Score": "4.5"}, {"Z_Vip": "yes"},
                {"Z_Since": "soon"}, {"Z_Tags": ["z"]}, {"Z_Tags": "a"}, {"Z_Note": 5}]:
        answer = api.put("/accounts/1", json=bad)
        assert answer.status_code == 400, bad
        assert next(iter(bad)) in answer.json()["message"]
    assert api.get("/accounts/1").json()["Z_Tier"] == "Gold"
    found = api.get("/accounts", params={"where": "Z_Tier = 'Gold'"}).json()
    assert [r["id"] for r in found] == [1]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"fieldName": "Tier", "type": "text"}, 400),
        ({"fieldName": "Z_Potencial", "type": "text"}, 409),
        ({"fieldName": "Z_X", "type": "colour"}, 400),
        ({"fieldName": "Z_X", "type": "list"}, 400),
        ({"fieldName": "Z_X", "type": "text", "values": ["a"]}, 400),
        ({"type": "text"}, 400),
        ({"fieldName": "Z_X", "type": "text", "extra": 1}, 400),
    ],
)
def test_bad_extra_field_definitions_are_refused(forcemanager_sandbox, body, status):
    api = forcemanager_sandbox.api()
    before = api.get("/extrafields/accounts").json()
    answer = api.post("/extrafields/accounts", json=body)
    assert answer.status_code == status
    assert set(answer.json()) == {"error", "code", "message"}
    assert api.get("/extrafields/accounts").json() == before


def test_schema_describes_standard_and_extra_fields(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    schema = api.get("/accounts/schema").json()
    fields = {f["name"]: f for f in schema["fields"]}
    assert schema["entity"] == "accounts"
    assert fields["name"]["required"] and fields["branchId"]["required"]
    assert fields["branchId"]["type"] == "reference"
    assert fields["branchId"]["reference"] == "branches"
    assert fields["dateUpdated"]["readOnly"] and fields["dateUpdated"]["type"] == "datetime"
    assert fields["Z_Potencial"]["extra"] and fields["Z_Potencial"]["values"]
    for resource in ("contacts", "opportunities", "activities", "products", "users"):
        assert api.get(f"/{resource}/schema").status_code == 200


def test_activities_and_products_work_like_the_other_resources(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    activity = api.post("/activities", json={
        "subject": "Visit", "typeId": 1, "salesRepId": 1, "accountId": 1,
        "activityDate": "2025-03-01T09:00:00Z",
    })
    assert activity.status_code == 200, activity.text
    read = api.get(f"/activities/{activity.json()['id']}").json()
    assert read["typeId"] == {"id": 1, "value": "Visit"}
    assert read["activityDate"] == "2025-03-01T09:00:00.000Z"
    product = api.post("/products", json={"name": "Widget", "price": 9.5, "familyId": 1})
    assert api.get(f"/products/{product.json()['id']}").json()["price"] == 9.5
    assert api.post("/activities", json={"subject": "x"}).status_code == 400


# -- rate limit ----------


@pytest.mark.forcemanager_sandbox(rate_limit=4)
def test_going_over_the_rate_limit_gets_429(forcemanager_sandbox):
    api = forcemanager_sandbox.api()

    def call(_: int) -> httpx.Response:
        return api.get("/accounts/1")

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(call, range(24)))
    elapsed = time.monotonic() - started
    refused = [a for a in answers if a.status_code == 429]
    served = len(answers) - len(refused)
    # A bucket of 4 refilled at 4 a second serves no more than that, however fast we went.
    assert 1 <= served <= 4 + 4 * elapsed + 1
    assert refused and {a.json()["error"] for a in refused} == {"RATE_LIMIT_EXCEEDED"}
    assert forcemanager_sandbox.counters()["refused"] == len(refused)

    forcemanager_sandbox.set_rate_limit(None)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert {a.status_code for a in pool.map(call, range(16))} == {200}
