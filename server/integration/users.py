"""Matching ForceManager users to Salesforce users (one-to-one) and the fallback owner."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.integration.clients import forcemanager_client, salesforce_client
from server.integration.errors import NotFound, UnknownUser, UserAlreadyMatched
from server.integration.external import calling
from server.integration.state import CONFIGURABLE_STATES, get_integration, require_state
from server.models import Integration, MatchMethod, UserMatch


@dataclass(frozen=True)
class User:
    id: str  # ForceManager ids are integers; kept as text so both sides share one shape
    name: str
    email: str | None


@dataclass(frozen=True)
class Matching:
    forcemanager: list[User]
    salesforce: list[User]
    matches: list[UserMatch]

    def fm(self, user_id: int) -> User | None:
        return next((u for u in self.forcemanager if u.id == str(user_id)), None)

    def sf(self, user_id: str) -> User | None:
        return next((u for u in self.salesforce if u.id == user_id), None)

    @property
    def unmatched_forcemanager(self) -> list[User]:
        taken = {str(m.forcemanager_user_id) for m in self.matches}
        return [u for u in self.forcemanager if u.id not in taken]

    @property
    def unmatched_salesforce(self) -> list[User]:
        taken = {m.salesforce_user_id for m in self.matches}
        return [u for u in self.salesforce if u.id not in taken]


def normalize_name(name: str) -> str:
    """Equal for names that differ only in case, accents or spacing."""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    )
    return " ".join(plain.casefold().split())


async def _users(org_id: int) -> tuple[list[User], list[User]]:
    fm = await forcemanager_client(org_id)
    sf = await salesforce_client(org_id)
    try:
        async with calling("ForceManager"):
            fm_rows = await fm.users()
        async with calling("Salesforce"):
            sf_rows = await sf.active_users()
    finally:
        await fm.aclose()
        await sf.aclose()
    forcemanager = [
        User(str(r["id"]), f"{r.get('name') or ''} {r.get('lastName') or ''}", r.get("email"))
        for r in fm_rows
        if r.get("isActive", True) and not r.get("deleted", False)
    ]
    salesforce = [
        User(r["Id"], r.get("Name") or f"{r.get('FirstName') or ''} {r.get('LastName') or ''}",
             r.get("Email"))
        for r in sf_rows
        if r.get("IsActive", True)
    ]
    return forcemanager, salesforce


async def user_matching(org_id: int) -> Matching:
    forcemanager, salesforce = await _users(org_id)
    matches = await UserMatch.filter(organization_id=org_id).order_by("id")
    return Matching(forcemanager, salesforce, matches)


async def auto_match(org_id: int, *, retry: bool = True) -> tuple[list[UserMatch], Matching]:
    """Pair unmatched users whose normalized full names are equal and unique on both sides.
    Existing matches (manual or automatic) are never touched. Answers the new matches."""
    try:
        return await _auto_match(org_id)
    except IntegrityError:
        if not retry:
            raise
        # A concurrent request matched one of these users first: start over from its result.
        return await auto_match(org_id, retry=False)


async def _auto_match(org_id: int) -> tuple[list[UserMatch], Matching]:
    integration = await get_integration(org_id)
    require_state(integration, CONFIGURABLE_STATES, "match users")
    matching = await user_matching(org_id)
    fm_free = matching.unmatched_forcemanager
    sf_free = matching.unmatched_salesforce
    # A name two people share on one side is ambiguous: a person decides.
    fm_count = Counter(normalize_name(u.name) for u in fm_free)
    sf_by_name: dict[str, list[User]] = {}
    for u in sf_free:
        sf_by_name.setdefault(normalize_name(u.name), []).append(u)
    created: list[UserMatch] = []
    async with in_transaction():
        for u in fm_free:
            key = normalize_name(u.name)
            candidates = sf_by_name.get(key, [])
            if not key or fm_count[key] != 1 or len(candidates) != 1:
                continue
            created.append(
                await UserMatch.create(
                    organization_id=org_id,
                    forcemanager_user_id=int(u.id),
                    salesforce_user_id=candidates[0].id,
                    method=MatchMethod.AUTOMATIC,
                )
            )
    matches = await UserMatch.filter(organization_id=org_id).order_by("id")
    return created, Matching(matching.forcemanager, matching.salesforce, matches)


async def match(org_id: int, forcemanager_user_id: int, salesforce_user_id: str) -> Matching:
    integration = await get_integration(org_id)
    require_state(integration, CONFIGURABLE_STATES, "match users")
    matching = await user_matching(org_id)
    if matching.fm(forcemanager_user_id) is None:
        raise UnknownUser("ForceManager", str(forcemanager_user_id))
    if matching.sf(salesforce_user_id) is None:
        raise UnknownUser("Salesforce", salesforce_user_id)
    for m in matching.matches:
        if m.forcemanager_user_id == forcemanager_user_id:
            raise UserAlreadyMatched("ForceManager", str(forcemanager_user_id))
        if m.salesforce_user_id == salesforce_user_id:
            raise UserAlreadyMatched("Salesforce", salesforce_user_id)
    try:
        await UserMatch.create(
            organization_id=org_id,
            forcemanager_user_id=forcemanager_user_id,
            salesforce_user_id=salesforce_user_id,
            method=MatchMethod.MANUAL,
        )
    except IntegrityError:  # a concurrent request matched one of them first
        raise UserAlreadyMatched("ForceManager", str(forcemanager_user_id)) from None
    matches = await UserMatch.filter(organization_id=org_id).order_by("id")
    return Matching(matching.forcemanager, matching.salesforce, matches)


async def unmatch(org_id: int, forcemanager_user_id: int) -> Matching:
    integration = await get_integration(org_id)
    require_state(integration, CONFIGURABLE_STATES, "match users")
    deleted = await UserMatch.filter(
        organization_id=org_id, forcemanager_user_id=forcemanager_user_id
    ).delete()
    if not deleted:
        raise NotFound("Match of ForceManager user", forcemanager_user_id)
    return await user_matching(org_id)


async def set_fallback_owner(org_id: int, forcemanager_user_id: int) -> Integration:
    integration = await get_integration(org_id)
    require_state(integration, CONFIGURABLE_STATES, "set the fallback owner")
    fm = await forcemanager_client(org_id)
    try:
        async with calling("ForceManager"):
            rows = await fm.users()
    finally:
        await fm.aclose()
    active = {
        r["id"] for r in rows if r.get("isActive", True) and not r.get("deleted", False)
    }
    if forcemanager_user_id not in active:
        raise UnknownUser("ForceManager", str(forcemanager_user_id))
    await Integration.filter(id=integration.id).update(
        fallback_forcemanager_user_id=forcemanager_user_id
    )
    await integration.refresh_from_db()
    return integration
