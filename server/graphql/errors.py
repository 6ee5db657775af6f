"""Expected failures as GraphQL types: every one implements UserError (a stable code and a
readable message), and mutations answer unions of their result and the failures they can
meet, so a client switches on __typename or code."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import strawberry

from server.integration import errors as domain
from server.models import IntegrationState

T = TypeVar("T")

ErrorCode = strawberry.enum(domain.ErrorCode, name="ErrorCode")
strawberry.enum(IntegrationState)


@strawberry.interface(description="An expected failure a client can act on.")
class UserError:
    code: ErrorCode
    message: str


@strawberry.type
class PlanNotEligible(UserError):
    plan: str
    eligible_plans: list[str]


@strawberry.type
class AcknowledgementRequired(UserError):
    pass


@strawberry.type
class NotConnected(UserError):
    pass


@strawberry.type
class WrongState(UserError):
    state: IntegrationState
    allowed_states: list[IntegrationState]


@strawberry.type
class MandatoryEntity(UserError):
    entity: str


@strawberry.type
class UnknownEntity(UserError):
    entity: str


@strawberry.type
class UnsupportedDirection(UserError):
    entity: str
    direction: str
    supported_directions: list[str]


@strawberry.type
class UserAlreadyMatched(UserError):
    side: str
    user_id: str


@strawberry.type
class UnknownUser(UserError):
    side: str
    user_id: str


@strawberry.type
class InvalidOAuthState(UserError):
    pass


@strawberry.type
class SalesforceAuthFailed(UserError):
    reason: str = strawberry.field(description="Salesforce's own words.")


@strawberry.type
class ExternalUnavailable(UserError):
    pass


@strawberry.type
class FallbackOwnerRequired(UserError):
    pass


@strawberry.type
class NotFound(UserError):
    pass


@strawberry.type
class InvalidInput(UserError):
    pass


def to_graphql(exc: domain.ServiceError) -> UserError:
    """The GraphQL type of a domain failure."""
    code, message = ErrorCode(exc.code), exc.message
    match exc:
        case domain.PlanNotEligible():
            return PlanNotEligible(
                code=code, message=message, plan=exc.plan, eligible_plans=exc.eligible
            )
        case domain.WrongState():
            return WrongState(
                code=code,
                message=message,
                state=IntegrationState(exc.state),
                allowed_states=[IntegrationState(s) for s in exc.allowed],
            )
        case domain.MandatoryEntity():
            return MandatoryEntity(code=code, message=message, entity=exc.entity)
        case domain.UnknownEntity():
            return UnknownEntity(code=code, message=message, entity=exc.entity)
        case domain.UnsupportedDirection():
            return UnsupportedDirection(
                code=code,
                message=message,
                entity=exc.entity,
                direction=exc.direction,
                supported_directions=exc.supported,
            )
        case domain.UserAlreadyMatched():
            return UserAlreadyMatched(
                code=code, message=message, side=exc.side, user_id=exc.user_id
            )
        case domain.UnknownUser():
            return UnknownUser(code=code, message=message, side=exc.side, user_id=exc.user_id)
        case domain.SalesforceAuthFailed():
            return SalesforceAuthFailed(code=code, message=message, reason=exc.reason)
    simple: dict[type[domain.ServiceError], type[UserError]] = {
        domain.AcknowledgementRequired: AcknowledgementRequired,
        domain.NotConnected: NotConnected,
        domain.InvalidOAuthState: InvalidOAuthState,
        domain.ExternalUnavailable: ExternalUnavailable,
        domain.FallbackOwnerRequired: FallbackOwnerRequired,
        domain.NotFound: NotFound,
        domain.InvalidInput: InvalidInput,
    }
    return simple[type(exc)](code=code, message=message)


async def attempt(call: Awaitable[T]) -> T | UserError:
    """Run a service call; an expected failure comes back as its GraphQL type."""
    try:
        return await call
    except domain.ServiceError as exc:
        return to_graphql(exc)
