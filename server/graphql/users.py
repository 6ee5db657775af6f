"""User matching (ForceManager ↔ Salesforce) and the fallback owner."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from server.graphql import errors as e
from server.graphql.context import Info, org_id
from server.graphql.permissions import mutation, query
from server.graphql.types import SalesforceIntegration, load_integration
from server.integration import users
from server.models import MatchMethod
from server.models import UserMatch as UserMatchRow


@strawberry.type
class User:
    id: strawberry.ID
    name: str
    email: str | None

    @classmethod
    def of(cls, user: users.User) -> User:
        return cls(id=strawberry.ID(user.id), name=user.name, email=user.email)


@strawberry.type
class UserMatch:
    forcemanager_user: User
    salesforce_user: User | None = strawberry.field(
        description="Null when the Salesforce user is no longer active."
    )
    method: MatchMethod
    created_at: datetime


@strawberry.type
class UserMatching:
    forcemanager_users: list[User]
    salesforce_users: list[User]
    matches: list[UserMatch]
    unmatched_forcemanager_users: list[User]
    unmatched_salesforce_users: list[User]


@strawberry.type
class AutoMatchResult:
    matched: list[UserMatch] = strawberry.field(description="The matches this call made.")
    matching: UserMatching


def _match(matching: users.Matching, row: UserMatchRow) -> UserMatch | None:
    fm = matching.fm(row.forcemanager_user_id)
    if fm is None:  # the ForceManager user left: the match stays stored but is not shown
        return None
    sf = matching.sf(row.salesforce_user_id)
    return UserMatch(
        forcemanager_user=User.of(fm),
        salesforce_user=User.of(sf) if sf else None,
        method=MatchMethod(row.method),
        created_at=row.created_at,
    )


def to_matching(matching: users.Matching) -> UserMatching:
    shown = [m for m in (_match(matching, row) for row in matching.matches) if m]
    return UserMatching(
        forcemanager_users=[User.of(u) for u in matching.forcemanager],
        salesforce_users=[User.of(u) for u in matching.salesforce],
        matches=shown,
        unmatched_forcemanager_users=[User.of(u) for u in matching.unmatched_forcemanager],
        unmatched_salesforce_users=[User.of(u) for u in matching.unmatched_salesforce],
    )


External = e.NotConnected | e.ExternalUnavailable | e.SalesforceAuthFailed
UserMatchingResult = Annotated[UserMatching | External, strawberry.union("UserMatchingResult")]
AutoMatchUsersResult = Annotated[
    AutoMatchResult | External | e.WrongState, strawberry.union("AutoMatchUsersResult")
]
MatchUserResult = Annotated[
    UserMatching | External | e.WrongState | e.UnknownUser | e.UserAlreadyMatched,
    strawberry.union("MatchUserResult"),
]
UnmatchUserResult = Annotated[
    UserMatching | External | e.WrongState | e.NotFound, strawberry.union("UnmatchUserResult")
]
SetFallbackOwnerResult = Annotated[
    SalesforceIntegration | External | e.WrongState | e.UnknownUser,
    strawberry.union("SetFallbackOwnerResult"),
]


def _user_id(value: strawberry.ID) -> int:
    try:
        return int(value)
    except ValueError:
        return -1  # no ForceManager user has it: answers UnknownUser / NotFound


@strawberry.type
class UsersQuery:
    @query(description="Users of both CRMs, the current matches and who is left unmatched.")
    async def user_matching(self, info: Info) -> UserMatchingResult:
        done = await e.attempt(users.user_matching(org_id(info)))
        return done if isinstance(done, e.UserError) else to_matching(done)


@strawberry.type
class UsersMutation:
    @mutation(
        description="Match users whose full names are equal ignoring case, accents and extra "
        "spaces; one-to-one; existing matches are never changed."
    )
    async def auto_match_users(self, info: Info) -> AutoMatchUsersResult:
        done = await e.attempt(users.auto_match(org_id(info)))
        if isinstance(done, e.UserError):
            return done
        created, matching = done
        return AutoMatchResult(
            matched=[m for m in (_match(matching, row) for row in created) if m],
            matching=to_matching(matching),
        )

    @mutation(description="Match one ForceManager user to one Salesforce user by hand.")
    async def match_user(
        self, info: Info, forcemanager_user_id: strawberry.ID, salesforce_user_id: strawberry.ID
    ) -> MatchUserResult:
        done = await e.attempt(
            users.match(org_id(info), _user_id(forcemanager_user_id), str(salesforce_user_id))
        )
        return done if isinstance(done, e.UserError) else to_matching(done)

    @mutation(description="Remove the match of a ForceManager user.")
    async def unmatch_user(
        self, info: Info, forcemanager_user_id: strawberry.ID
    ) -> UnmatchUserResult:
        done = await e.attempt(users.unmatch(org_id(info), _user_id(forcemanager_user_id)))
        return done if isinstance(done, e.UserError) else to_matching(done)

    @mutation(
        description="The ForceManager user who owns records whose Salesforce owner has no match."
    )
    async def set_fallback_owner(
        self, info: Info, forcemanager_user_id: strawberry.ID
    ) -> SetFallbackOwnerResult:
        done = await e.attempt(
            users.set_fallback_owner(org_id(info), _user_id(forcemanager_user_id))
        )
        if isinstance(done, e.UserError):
            return done
        return await load_integration(org_id(info), done)
