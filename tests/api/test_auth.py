"""Tokens and roles: no/bad token → UNAUTHENTICATED, VIEWER on a mutation → FORBIDDEN."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_required_argument,
    is_required_input_field,
)

from server.graphql.schema import schema
from tests.api.conftest import Api, viewer_of


def literal(type_: object) -> str:
    """A valid literal of a GraphQL input type: validation passes, so only auth can stop it."""
    type_ = get_nullable_type(type_)
    if isinstance(type_, GraphQLList):
        return f"[{literal(type_.of_type)}]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        fields = ", ".join(
            f"{name}: {literal(f.type)}"
            for name, f in type_.fields.items()
            if is_required_input_field(f)
        )
        return f"{{{fields}}}"
    return {"Int": "1", "Float": "1.0", "Boolean": "true"}.get(type_.name, '"1"')


def root_fields(kind: str) -> list[str]:
    root = schema._schema.query_type if kind == "query" else schema._schema.mutation_type
    return sorted(root.fields)


def operation(kind: str, name: str) -> str:
    root = schema._schema.query_type if kind == "query" else schema._schema.mutation_type
    field = root.fields[name]
    args = ", ".join(
        f"{arg}: {literal(a.type)}" for arg, a in field.args.items() if is_required_argument(a)
    )
    selection = "" if is_leaf_type(get_named_type(field.type)) else "{ __typename }"
    return f"{kind} {{ {name}{f'({args})' if args else ''} {selection} }}"


def codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


@pytest.mark.parametrize("token", [None, "fmsf_not-a-real-token", "garbage"])
async def test_every_operation_needs_a_valid_token(admin: Api, token: str | None) -> None:
    anonymous = admin.as_token(token)
    for kind in ("query", "mutation"):
        for field in root_fields(kind):
            body = await anonymous.post(operation(kind, field))
            assert codes(body) == ["UNAUTHENTICATED"], (field, body)
            assert body["data"] is None


async def test_viewer_reads_but_cannot_change(admin: Api) -> None:
    viewer = await viewer_of(admin)
    for field in root_fields("mutation"):
        body = await viewer.post(operation("mutation", field))
        assert codes(body) == ["FORBIDDEN"], (field, body)
    state = await viewer.data("{ salesforceIntegration { state } }")
    assert state == {"salesforceIntegration": {"state": "DISABLED"}}
    # The refused enable changed nothing.
    body = await viewer.post(
        "mutation { enableSalesforceIntegration(acknowledgeDataReplacement: true) { __typename } }"
    )
    assert codes(body) == ["FORBIDDEN"]
    assert (await admin.data("{ salesforceIntegration { state } }")) == state


async def test_created_token_works_once_shown_and_revoked_token_stops(admin: Api) -> None:
    created = await admin.data(
        'mutation { createApiToken(name: "ci", role: ADMIN) { __typename '
        "... on CreatedApiToken { token apiToken { id name role prefix revokedAt } } } }"
    )
    answer = created["createApiToken"]
    token, row = answer["token"], answer["apiToken"]
    assert token.startswith(row["prefix"]) and row["role"] == "ADMIN" and row["name"] == "ci"
    ci = admin.as_token(token)
    listed = await ci.data("{ apiTokens { id name role revokedAt lastUsedAt } }")
    assert [t["name"] for t in listed["apiTokens"]] == ["first admin token", "ci"]
    assert listed["apiTokens"][1]["lastUsedAt"] is not None  # this very request
    assert "token" not in str(listed).replace("first admin token", "")  # no secret field

    revoked = await admin.data(
        f"mutation {{ revokeApiToken(id: {row['id']}) "
        "{ __typename ... on ApiToken { revokedAt } } }"
    )
    assert revoked["revokeApiToken"]["revokedAt"] is not None
    body = await ci.post("{ salesforceIntegration { state } }")
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_token_errors_are_typed(admin: Api) -> None:
    body = await admin.data(
        'mutation { createApiToken(name: "  ", role: VIEWER) '
        "{ __typename ... on UserError { code message } } }"
    )
    assert body["createApiToken"]["__typename"] == "InvalidInput"
    missing = await admin.data(
        "mutation { revokeApiToken(id: 999999) { __typename ... on UserError { code } } }"
    )
    assert missing["revokeApiToken"] == {"__typename": "NotFound", "code": "NOT_FOUND"}
    tokens = await admin.data("{ apiTokens { name } }")
    assert [t["name"] for t in tokens["apiTokens"]] == ["first admin token"]


async def test_bearer_header_forms(admin: Api) -> None:
    for header in (f"bearer {admin.token}", f"Bearer   {admin.token}  "):
        response = await admin.http.post(
            "/graphql",
            json={"query": "{ salesforceIntegration { state } }"},
            headers={"Authorization": header},
        )
        assert response.json()["data"]["salesforceIntegration"]["state"] == "DISABLED"
    response = await admin.http.post(
        "/graphql",
        json={"query": "{ salesforceIntegration { state } }"},
        headers={"Authorization": f"Basic {admin.token}"},
    )
    assert codes(response.json()) == ["UNAUTHENTICATED"]
