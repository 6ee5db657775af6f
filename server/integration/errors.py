"""Expected failures of the configuration services.

Each carries a stable `code` a client can switch on and a readable `message`. The GraphQL
layer turns them into typed union members; nothing here knows about GraphQL.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    PLAN_NOT_ELIGIBLE = "PLAN_NOT_ELIGIBLE"
    ACKNOWLEDGEMENT_REQUIRED = "ACKNOWLEDGEMENT_REQUIRED"
    NOT_CONNECTED = "NOT_CONNECTED"
    WRONG_STATE = "WRONG_STATE"
    MANDATORY_ENTITY = "MANDATORY_ENTITY"
    UNKNOWN_ENTITY = "UNKNOWN_ENTITY"
    UNSUPPORTED_DIRECTION = "UNSUPPORTED_DIRECTION"
    USER_ALREADY_MATCHED = "USER_ALREADY_MATCHED"
    UNKNOWN_USER = "UNKNOWN_USER"
    INVALID_OAUTH_STATE = "INVALID_OAUTH_STATE"
    SALESFORCE_AUTH_FAILED = "SALESFORCE_AUTH_FAILED"
    SALESFORCE_UNAVAILABLE = "SALESFORCE_UNAVAILABLE"
    FORCEMANAGER_UNAVAILABLE = "FORCEMANAGER_UNAVAILABLE"
    FALLBACK_OWNER_REQUIRED = "FALLBACK_OWNER_REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"


class ServiceError(Exception):
    code: ErrorCode

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PlanNotEligible(ServiceError):
    code = ErrorCode.PLAN_NOT_ELIGIBLE

    def __init__(self, plan: str, eligible: list[str]) -> None:
        super().__init__(
            f"The {plan!r} plan does not include the Salesforce integration "
            f"(eligible plans: {', '.join(eligible)})."
        )
        self.plan = plan
        self.eligible = eligible


class AcknowledgementRequired(ServiceError):
    code = ErrorCode.ACKNOWLEDGEMENT_REQUIRED

    def __init__(self) -> None:
        super().__init__(
            "The first sync replaces the ForceManager data of the synced entities with "
            "Salesforce's; set acknowledgeDataReplacement to true to accept it."
        )


class NotConnected(ServiceError):
    code = ErrorCode.NOT_CONNECTED

    def __init__(self, what: str = "Salesforce") -> None:
        super().__init__(f"{what} is not connected for this organization.")


class WrongState(ServiceError):
    code = ErrorCode.WRONG_STATE

    def __init__(self, state: str, allowed: list[str], action: str) -> None:
        super().__init__(
            f"Cannot {action} while the integration is {state}; "
            f"it must be {' or '.join(allowed)}."
        )
        self.state = state
        self.allowed = allowed


class MandatoryEntity(ServiceError):
    code = ErrorCode.MANDATORY_ENTITY

    def __init__(self, entity: str) -> None:
        super().__init__(f"{entity} is mandatory and cannot be disabled.")
        self.entity = entity


class UnknownEntity(ServiceError):
    code = ErrorCode.UNKNOWN_ENTITY

    def __init__(self, entity: str) -> None:
        super().__init__(f"Unknown entity {entity!r}.")
        self.entity = entity


class UnsupportedDirection(ServiceError):
    code = ErrorCode.UNSUPPORTED_DIRECTION

    def __init__(self, entity: str, direction: str, supported: list[str]) -> None:
        super().__init__(
            f"{entity} cannot sync {direction}; supported: {', '.join(supported)}."
        )
        self.entity = entity
        self.direction = direction
        self.supported = supported


class UserAlreadyMatched(ServiceError):
    code = ErrorCode.USER_ALREADY_MATCHED

    def __init__(self, side: str, user_id: str) -> None:
        super().__init__(f"The {side} user {user_id} is already matched.")
        self.side = side
        self.user_id = user_id


class UnknownUser(ServiceError):
    code = ErrorCode.UNKNOWN_USER

    def __init__(self, side: str, user_id: str) -> None:
        super().__init__(f"There is no active {side} user {user_id}.")
        self.side = side
        self.user_id = user_id


class InvalidOAuthState(ServiceError):
    code = ErrorCode.INVALID_OAUTH_STATE

    def __init__(self) -> None:
        super().__init__(
            "The authorization state is unknown, expired or already used; start again."
        )


class SalesforceAuthFailed(ServiceError):
    code = ErrorCode.SALESFORCE_AUTH_FAILED

    def __init__(self, reason: str) -> None:
        super().__init__(f"Salesforce refused the credentials: {reason}")
        self.reason = reason


class ExternalUnavailable(ServiceError):
    def __init__(self, system: str, reason: str) -> None:
        super().__init__(f"{system} could not be reached: {reason}")
        self.code = (
            ErrorCode.SALESFORCE_UNAVAILABLE
            if system == "Salesforce"
            else ErrorCode.FORCEMANAGER_UNAVAILABLE
        )


class FallbackOwnerRequired(ServiceError):
    code = ErrorCode.FALLBACK_OWNER_REQUIRED

    def __init__(self) -> None:
        super().__init__(
            "Choose a fallback owner (setFallbackOwner) first: records whose owner has no "
            "user match go to that ForceManager user."
        )


class NotFound(ServiceError):
    code = ErrorCode.NOT_FOUND

    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} was not found.")


class InvalidInput(ServiceError):
    code = ErrorCode.INVALID_INPUT
