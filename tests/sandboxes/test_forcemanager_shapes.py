"""The sandbox answers in the shapes of ForceManager's own API definition
(reference/forcemanager/apiDefinition.swagger.json): same keys, same types."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

SWAGGER = json.loads(
    (Path(__file__).parents[3] / "shared/reference/forcemanager/apiDefinition.swagger.json")
    .read_text()
)
DEFINITIONS = SWAGGER["definitions"]

# The swagger's ContactResponse spells lastName "lasttName"; the model it writes with (and
# DESIGN.md) say lastName, which is what the sandbox answers.
RENAMED = {("ContactResponse", "lasttName"): "lastName"}


def problems(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    """How value departs from a swagger schema (null is allowed anywhere: fields are optional)."""
    if "$ref" in schema:
        schema = DEFINITIONS[schema["$ref"].rsplit("/", 1)[1]]
    if value is None:
        return []
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        found = []
        for key, sub in schema.get("properties", {}).items():
            if key not in value:
                found.append(f"{where}.{key}: missing")
            else:
                found += problems(value[key], sub, f"{where}.{key}")
        return found
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array, got {value!r}"]
        return [p for n, item in enumerate(value) for p in problems(item, schema["items"],
                                                                    f"{where}[{n}]")]
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
        if ok and schema.get("format") == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                ok = False
    else:
        ok = True
    return [] if ok else [f"{where}: expected {kind}, got {value!r}"]


def check(record: dict[str, Any], definition: str) -> None:
    schema = json.loads(json.dumps(DEFINITIONS[definition]))
    for (name, wrong), right in RENAMED.items():
        if name == definition:
            schema["properties"][right] = schema["properties"].pop(wrong)
    found = problems(record, schema, definition)
    assert not found, "\n".join(found)


def sample_body(model: str, response: str) -> dict[str, Any]:
    """A body setting every field of a swagger *Model (every referenced id 1 exists)."""
    body: dict[str, Any] = {}
    read_types = {k: p.get("type") for k, p in DEFINITIONS[response]["properties"].items()}
    for key, prop in DEFINITIONS[model]["properties"].items():
        kind = prop.get("type")
        if key == "customFields":
            continue
        if kind == "string":
            body[key] = "2025-02-03T04:05:06.000Z" if prop.get("format") == "date-time" or key in (
                "birthday",) else f"{key} value"
        elif kind == "integer":
            body[key] = 1
        elif kind == "number":
            # SalesOrderModel writes number/year as numbers; the response reads integers.
            body[key] = 3.0 if read_types.get(key) == "integer" else 1.5
        elif kind == "boolean":
            body[key] = True
    return body


RESOURCES = [
    ("accounts", "AccountModel", "AccountResponse"),
    ("contacts", "ContactModel", "ContactResponse"),
    ("opportunities", "OpportunityModel", "OpportunityResponse"),
    ("salesorders", "SalesOrderModel", "SalesOrderResponse"),
    ("salesordersLines", "SalesOrderLineModel", "SalesOrderLineResponse"),
]


@pytest.mark.parametrize(("resource", "model", "response"), RESOURCES)
def test_a_record_written_with_every_model_field_reads_back_as_the_response_model(
    forcemanager_sandbox, resource, model, response
):
    api = forcemanager_sandbox.api()
    body = sample_body(model, response)
    created = api.post(f"/{resource}", json=body)
    assert created.status_code == 200, created.text
    assert set(created.json()) == {"Message", "id"}
    assert created.json()["Message"] == "entity created"
    assert isinstance(created.json()["id"], int)

    record = api.get(f"/{resource}/{created.json()['id']}").json()
    check(record, response)
    response_props = DEFINITIONS[response]["properties"]
    for key, value in body.items():
        read = record[key]
        if response_props.get(key, {}).get("type") == "object":
            assert read == {"id": value, "value": read["value"]}, key  # {id, value} on read
        elif isinstance(value, bool) and response_props.get(key, {}).get("type") == "integer":
            assert read == int(value), key
        elif key in ("birthday",) or response_props.get(key, {}).get("format") == "date-time":
            assert read == "2025-02-03T04:05:06.000Z", key
        else:
            assert read == value, key
    assert record["deleted"] is False
    assert record["dateCreated"] and record["dateUpdated"]


@pytest.mark.parametrize(("resource", "model", "response"), RESOURCES)
def test_listed_seed_records_have_the_response_model_shape(
    forcemanager_sandbox, resource, model, response
):
    rows = forcemanager_sandbox.api().get(f"/{resource}", params={"count": 100}).json()
    assert isinstance(rows, list) and rows
    for row in rows:
        check(row, response)
        assert isinstance(row["deleted"], bool)


def test_users_have_the_user_response_shape(forcemanager_sandbox):
    users = forcemanager_sandbox.api().get("/users").json()
    assert users
    for user in users:
        check(user, "UserResponse")
        assert isinstance(user["name"], str) and isinstance(user["isActive"], bool)
    # Users reference value lists as {description, id}, unlike the other resources.
    assert set(users[0]["branches"]) == {"description", "id"}


@pytest.mark.parametrize(
    ("path", "definition"),
    [
        ("/branches", "BranchResponse"),
        ("/countries", "CountryResponse"),
        ("/currencies", "CurrencyResponse"),
        ("/timezones", "TimezoneResponse"),
        ("/accountTypes", "GenericValueListResponse"),
        ("/accountSegments", "GenericValueListResponse"),
        ("/contactTypes", "GenericValueListResponse"),
        ("/opportunityTypes", "GenericValueListResponse"),
        ("/activityTypes", "GenericValueListResponse"),
        ("/accountStatuses", "AccountStatusListResponse"),
        ("/opportunityStatuses", "OpportunityStatusListResponse"),
        ("/salesorderStatuses", "SalesOrderStatusListResponse"),
    ],
)
def test_value_lists_have_their_response_shapes(forcemanager_sandbox, path, definition):
    rows = forcemanager_sandbox.api().get(path, params={"getFullList": "true"}).json()
    assert rows
    for row in rows:
        check(row, definition)
        assert row["description"]


def test_error_bodies_follow_the_error_model(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    answers = [
        forcemanager_sandbox.api(login=False).get("/accounts"),  # 401
        api.post("/accounts", json={"name": "no branch"}),  # 400
        api.get("/accounts/999999"),  # 404
        api.get("/accounts", params={"where": "name = "}),  # 400
    ]
    for answer in answers:
        body = answer.json()
        assert set(body) == {"error", "code", "message"}, body
        check(body, "Error")
        assert body["code"] == answer.status_code
        assert body["message"]


def test_update_and_delete_answer_with_a_message(forcemanager_sandbox):
    api = forcemanager_sandbox.api()
    assert api.put("/accounts/1", json={"phone": "+34 1"}).json() == {
        "Message": "entity updated"
    }
    assert api.delete("/accounts/2").json() == {"Message": "entity deleted"}
