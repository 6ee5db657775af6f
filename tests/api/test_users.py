"""User matching against the users of both sandboxes, the fallback owner, and
salesforceObjects from the Salesforce sandbox's describe."""

from __future__ import annotations

import unicodedata

import httpx

from sandboxes.people import generate_team
from server.models import UserMatch
from tests.api.conftest import Api, connected_org, enable, org_with_keys

USER = "id name email"
MATCHING = f"""
  forcemanagerUsers {{ {USER} }} salesforceUsers {{ {USER} }}
  matches {{ forcemanagerUser {{ {USER} }} salesforceUser {{ {USER} }} method }}
  unmatchedForcemanagerUsers {{ {USER} }} unmatchedSalesforceUsers {{ {USER} }}
"""
QUERY = f"""{{ userMatching {{ __typename ... on UserMatching {{ {MATCHING} }}
  ... on UserError {{ code message }} }} }}"""
AUTO = f"""mutation {{ autoMatchUsers {{ __typename
  ... on AutoMatchResult {{ matched {{ forcemanagerUser {{ name }} salesforceUser {{ name }}
                                      method }}
                           matching {{ {MATCHING} }} }}
  ... on UserError {{ code message }} }} }}"""
MATCH = f"""mutation($fm: ID!, $sf: ID!) {{ matchUser(forcemanagerUserId: $fm,
  salesforceUserId: $sf) {{ __typename ... on UserMatching {{ {MATCHING} }}
  ... on UserError {{ code message }} ... on UnknownUser {{ side userId }}
  ... on UserAlreadyMatched {{ side userId }} }} }}"""
UNMATCH = f"""mutation($fm: ID!) {{ unmatchUser(forcemanagerUserId: $fm) {{ __typename
  ... on UserMatching {{ {MATCHING} }} ... on UserError {{ code message }} }} }}"""
FALLBACK = """mutation($fm: ID!) { setFallbackOwner(forcemanagerUserId: $fm) { __typename
  ... on SalesforceIntegration { fallbackOwnerForcemanagerUserId }
  ... on UserError { code message } } }"""


def plain(name: str) -> str:
    # The test's own oracle: strip accents, lower-case, single spaces.
    decomposed = unicodedata.normalize("NFD", name)
    return " ".join(
        "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower().split()
    )


async def matching(api: Api) -> dict:
    return (await api.data(QUERY))["userMatching"]


async def test_user_matching_lists_both_crms(http: httpx.AsyncClient, sandboxes: tuple) -> None:
    sf, fm = sandboxes
    api = await connected_org(http, sf, fm)
    got = await matching(api)
    assert got["__typename"] == "UserMatching" and got["matches"] == []
    team = generate_team(1, 12)
    fm_names = {plain(u["name"]) for u in got["forcemanagerUsers"]}
    sf_names = {plain(u["name"]) for u in got["salesforceUsers"]}
    assert {plain(p.name) for p in team.forcemanager} <= fm_names
    assert {plain(p.name) for p in team.salesforce} <= sf_names
    assert got["unmatchedForcemanagerUsers"] == got["forcemanagerUsers"]


async def test_auto_match_pairs_equal_names_one_to_one(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    sf, fm = sandboxes
    api = await connected_org(http, sf, fm)
    before = await matching(api)
    sf_by_name: dict[str, list[str]] = {}
    for u in before["salesforceUsers"]:
        sf_by_name.setdefault(plain(u["name"]), []).append(u["id"])
    expected = {
        (u["id"], sf_by_name[plain(u["name"])][0])
        for u in before["forcemanagerUsers"]
        if len(sf_by_name.get(plain(u["name"]), [])) == 1
    }
    assert len(expected) >= 6  # the seeded team: most names equal, some only ignoring case

    answer = (await api.data(AUTO))["autoMatchUsers"]
    assert answer["__typename"] == "AutoMatchResult"
    assert all(m["method"] == "AUTOMATIC" for m in answer["matched"])
    made = {
        (m["forcemanagerUser"]["id"], m["salesforceUser"]["id"])
        for m in answer["matching"]["matches"]
    }
    assert made == expected
    # One-to-one.
    assert len({f for f, _ in made}) == len({s for _, s in made}) == len(made)
    # The variant spelled in capitals with stray spaces matched; "J." spellings did not.
    team = generate_team(1, 12)
    initials = [p for p in team.forcemanager if p.first_name.endswith(".")]
    variants = [p for p in team.forcemanager if p.first_name.isupper() and p not in initials]
    assert variants and initials
    matched_fm_names = {m["forcemanagerUser"]["name"] for m in answer["matched"]}
    for p in variants:
        assert any(plain(n) == plain(p.name) for n in matched_fm_names), p
    for p in initials:
        assert all(plain(n) != plain(p.name) for n in matched_fm_names), p
    left = answer["matching"]["unmatchedForcemanagerUsers"]
    assert {u["id"] for u in left} == {u["id"] for u in before["forcemanagerUsers"]} - {
        f for f, _ in made
    }

    # Running it again matches nothing new.
    again = (await api.data(AUTO))["autoMatchUsers"]
    assert again["matched"] == []


async def test_manual_matches_are_never_overridden(
    http: httpx.AsyncClient, sandboxes: tuple
) -> None:
    sf, fm = sandboxes
    api = await connected_org(http, sf, fm)
    before = await matching(api)
    sf_by_name = {plain(u["name"]): u["id"] for u in before["salesforceUsers"]}
    pairable = [u for u in before["forcemanagerUsers"] if plain(u["name"]) in sf_by_name]
    first, second = pairable[0], pairable[1]
    # By hand: first ↔ second's Salesforce twin (a deliberate cross-match).
    crossed = await api.data(MATCH, {"fm": first["id"], "sf": sf_by_name[plain(second["name"])]})
    assert crossed["matchUser"]["__typename"] == "UserMatching"

    auto = (await api.data(AUTO))["autoMatchUsers"]
    matches = {m["forcemanagerUser"]["id"]: m for m in auto["matching"]["matches"]}
    assert matches[first["id"]]["method"] == "MANUAL"
    assert matches[first["id"]]["salesforceUser"]["id"] == sf_by_name[plain(second["name"])]
    assert second["id"] not in matches  # its twin is taken: one-to-one
    assert await UserMatch.filter(organization_id=api.org_id, method="MANUAL").count() == 1


async def test_match_and_unmatch_failures(http: httpx.AsyncClient, sandboxes: tuple) -> None:
    sf, fm = sandboxes
    api = await connected_org(http, sf, fm)
    users = await matching(api)
    fm1, fm2 = users["forcemanagerUsers"][0]["id"], users["forcemanagerUsers"][1]["id"]
    sf1, sf2 = users["salesforceUsers"][0]["id"], users["salesforceUsers"][1]["id"]

    unknown = (await api.data(MATCH, {"fm": "999999", "sf": sf1}))["matchUser"]
    assert unknown["__typename"] == "UnknownUser" and unknown["side"] == "ForceManager"
    unknown = (await api.data(MATCH, {"fm": fm1, "sf": "005000000000000XXX"}))["matchUser"]
    assert unknown["__typename"] == "UnknownUser" and unknown["side"] == "Salesforce"
    unknown = (await api.data(MATCH, {"fm": "not-a-number", "sf": sf1}))["matchUser"]
    assert unknown["__typename"] == "UnknownUser"

    ok = (await api.data(MATCH, {"fm": fm1, "sf": sf1}))["matchUser"]
    assert [m["method"] for m in ok["matches"]] == ["MANUAL"]
    taken = (await api.data(MATCH, {"fm": fm1, "sf": sf2}))["matchUser"]
    assert taken["__typename"] == "UserAlreadyMatched" and taken["side"] == "ForceManager"
    taken = (await api.data(MATCH, {"fm": fm2, "sf": sf1}))["matchUser"]
    assert taken["__typename"] == "UserAlreadyMatched" and taken["side"] == "Salesforce"
    assert await UserMatch.filter(organization_id=api.org_id).count() == 1

    gone = (await api.data(UNMATCH, {"fm": fm1}))["unmatchUser"]
    assert gone["__typename"] == "UserMatching" and gone["matches"] == []
    again = (await api.data(UNMATCH, {"fm": fm1}))["unmatchUser"]
    assert again["__typename"] == "NotFound"


async def test_fallback_owner(http: httpx.AsyncClient, sandboxes: tuple) -> None:
    sf, fm = sandboxes
    api = await connected_org(http, sf, fm)
    fm_id = (await matching(api))["forcemanagerUsers"][0]["id"]
    bad = (await api.data(FALLBACK, {"fm": "424242"}))["setFallbackOwner"]
    assert bad["__typename"] == "UnknownUser"
    ok = (await api.data(FALLBACK, {"fm": fm_id}))["setFallbackOwner"]
    assert ok == {
        "__typename": "SalesforceIntegration",
        "fallbackOwnerForcemanagerUserId": int(fm_id),
    }


async def test_matching_needs_a_connection(http: httpx.AsyncClient, sandboxes: tuple) -> None:
    _, fm = sandboxes
    api = await org_with_keys(http, fm)
    await enable(api)
    got = await matching(api)
    assert got["__typename"] == "NotConnected" and got["code"] == "NOT_CONNECTED"
    auto = (await api.data(AUTO))["autoMatchUsers"]
    assert auto["__typename"] == "NotConnected"


async def test_salesforce_objects(http: httpx.AsyncClient, sandboxes: tuple) -> None:
    sf, fm = sandboxes
    query = """{ salesforceObjects { __typename ... on SalesforceObjectList { objects {
      name label entity forcemanagerEntity customFields { name label type } } }
      ... on UserError { code } } }"""
    api = await org_with_keys(http, fm)
    assert (await api.data(query))["salesforceObjects"] == {
        "__typename": "NotConnected",
        "code": "NOT_CONNECTED",
    }
    await enable(api)
    from tests.api.conftest import connect_with_password

    await connect_with_password(api, sf)
    got = (await api.data(query))["salesforceObjects"]["objects"]
    by_name = {o["name"]: o for o in got}
    assert by_name["Account"]["entity"] == "ACCOUNT"
    assert by_name["Account"]["forcemanagerEntity"] == "accounts"
    assert by_name["Product2"]["forcemanagerEntity"] == "products"
    assert {"Account", "Contact", "Opportunity"} <= set(by_name)
    for obj in got:
        assert all(f["name"].endswith("__c") for f in obj["customFields"]), obj
    assert any(obj["customFields"] for obj in got)


def test_name_normalization() -> None:
    from server.integration.users import normalize_name

    assert normalize_name("  JOSÉ   María  Núñez ") == normalize_name("jose maria nunez")
    assert normalize_name("Ærøskøbing") != normalize_name("Other")
    assert normalize_name("J. Núñez") != normalize_name("José Núñez")
