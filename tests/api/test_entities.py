"""configureSyncEntities: Account mandatory, directions per entity, unknown entities refused,
the whole input validated before anything is stored."""

from __future__ import annotations

import pytest

from server.models import EntitySetting
from tests.api.conftest import Api
from tests.api.test_lifecycle import enable

CONFIGURE = """mutation($entities: [SyncEntityInput!]!) {
  configureSyncEntities(entities: $entities) {
    __typename
    ... on SalesforceIntegration { entities { entity enabled direction } }
    ... on UserError { code message }
    ... on MandatoryEntity { entity }
    ... on UnknownEntity { entity }
    ... on UnsupportedDirection { entity direction supportedDirections }
  }
}"""

B = "BIDIRECTIONAL"
S2F = "SALESFORCE_TO_FORCEMANAGER"


async def configure(api: Api, entities: list[dict]) -> dict:
    return (await api.data(CONFIGURE, {"entities": entities}))["configureSyncEntities"]


async def stored(org_id: int) -> dict[str, tuple[bool, str]]:
    rows = await EntitySetting.filter(organization_id=org_id)
    return {r.entity: (r.enabled, r.direction) for r in rows}


async def test_configure_stores_choices_and_keeps_the_rest(admin: Api) -> None:
    await enable(admin)
    got = await configure(
        admin,
        [
            {"entity": "ACCOUNT", "enabled": True, "direction": B},
            {"entity": "contact", "enabled": True, "direction": B},
            {"entity": "PRODUCT", "enabled": True, "direction": S2F},
        ],
    )
    assert got["__typename"] == "SalesforceIntegration"
    by = {e["entity"]: (e["enabled"], e["direction"]) for e in got["entities"]}
    assert by["ACCOUNT"] == (True, B) and by["CONTACT"] == (True, B)
    assert by["PRODUCT"] == (True, S2F) and by["OPPORTUNITY"] == (False, S2F)
    got = await configure(admin, [{"entity": "CONTACT", "enabled": False, "direction": S2F}])
    by = {e["entity"]: (e["enabled"], e["direction"]) for e in got["entities"]}
    assert by["CONTACT"] == (False, S2F) and by["ACCOUNT"] == (True, B)
    assert (await stored(admin.org_id))["PRODUCT"] == (True, S2F)


@pytest.mark.parametrize(
    ("entities", "typename", "code"),
    [
        ([{"entity": "ACCOUNT", "enabled": False, "direction": S2F}],
         "MandatoryEntity", "MANDATORY_ENTITY"),
        ([{"entity": "LEAD", "enabled": True, "direction": S2F}],
         "UnknownEntity", "UNKNOWN_ENTITY"),
        ([{"entity": "PRODUCT", "enabled": True, "direction": B}],
         "UnsupportedDirection", "UNSUPPORTED_DIRECTION"),
        ([{"entity": "CONTACT", "enabled": True, "direction": B},
          {"entity": "CONTACT", "enabled": False, "direction": S2F}],
         "InvalidInput", "INVALID_INPUT"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    admin: Api, entities: list[dict], typename: str, code: str
) -> None:
    await enable(admin)
    before = await stored(admin.org_id)
    # A valid change first in the list: it must not be stored either.
    got = await configure(
        admin, [{"entity": "OPPORTUNITY", "enabled": True, "direction": B}, *entities]
    )
    assert got["__typename"] == typename and got["code"] == code, got
    assert got["message"]
    assert await stored(admin.org_id) == before


async def test_error_details(admin: Api) -> None:
    await enable(admin)
    got = await configure(admin, [{"entity": "PRODUCT", "enabled": True, "direction": B}])
    assert got["entity"] == "PRODUCT" and got["direction"] == B
    assert got["supportedDirections"] == [S2F]
    got = await configure(admin, [{"entity": "Lead", "enabled": True, "direction": S2F}])
    assert got["entity"] == "Lead" and "Lead" in got["message"]


async def test_empty_input_is_refused(admin: Api) -> None:
    await enable(admin)
    got = await configure(admin, [])
    assert got["__typename"] == "InvalidInput"


async def test_configure_needs_an_enabled_integration(admin: Api) -> None:
    got = await configure(admin, [{"entity": "CONTACT", "enabled": True, "direction": S2F}])
    assert got["__typename"] == "WrongState"
    assert await stored(admin.org_id) == {}
