"""The schema: per-domain Query and Mutation classes merged into one, the live-feed
subscriptions, abuse guards, and masking of unexpected errors.

To add a domain, write its classes in server/graphql/<domain>.py and append them to
QUERIES / MUTATIONS.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from server.graphql import errors
from server.graphql.backups import BackupsMutation, BackupsQuery
from server.graphql.connection import ConnectionMutation
from server.graphql.integration import IntegrationMutation, IntegrationQuery
from server.graphql.objects import ObjectsQuery
from server.graphql.organization import OrganizationMutation, OrganizationQuery
from server.graphql.reports import ReportsQuery
from server.graphql.subscriptions import Subscription
from server.graphql.tokens import TokensMutation, TokensQuery
from server.graphql.users import UsersMutation, UsersQuery
from server.live.handlers import SharedEventExecutor, StreamMaskErrors
from server.live.results import SharedResultsSchema

log = logging.getLogger("server.graphql")

QUERIES: tuple[type, ...] = (
    IntegrationQuery,
    ObjectsQuery,
    UsersQuery,
    ReportsQuery,
    TokensQuery,
    BackupsQuery,
    OrganizationQuery,
)
MUTATIONS: tuple[type, ...] = (
    IntegrationMutation,
    ConnectionMutation,
    UsersMutation,
    TokensMutation,
    BackupsMutation,
    OrganizationMutation,
)

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


def is_unexpected(error: GraphQLError) -> bool:
    """Mask (and log) errors our code did not raise on purpose.

    Kept readable: validation and parse errors (no original error) and GraphQLErrors raised
    deliberately (permissions, limits, cursors), which carry only what we wrote.
    """
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    # Only the type and where: exception messages may quote data (never secrets, but
    # records); the traceback shows the code path.
    log.error(
        "unexpected %s at %s",
        type(original).__name__,
        ".".join(str(p) for p in error.path or ()),
        exc_info=(type(original), original, original.__traceback__),
    )
    return True


class Schema(SharedResultsSchema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Strawberry logs every error with the document's source around it, which could
        quote an argument (a password typed inline). Unexpected errors are logged by
        is_unexpected; the rest are the client's: note their kind only."""
        for error in errors:
            code = (error.extensions or {}).get("code") or "INVALID_REQUEST"
            log.info("request refused: %s", code)


schema = Schema(
    query=merge_types("Query", QUERIES),
    mutation=merge_types("Mutation", MUTATIONS),
    subscription=Subscription,
    types=[
        errors.PlanNotEligible,
        errors.AcknowledgementRequired,
        errors.NotConnected,
        errors.WrongState,
        errors.MandatoryEntity,
        errors.UnknownEntity,
        errors.UnsupportedDirection,
        errors.UserAlreadyMatched,
        errors.UnknownUser,
        errors.InvalidOAuthState,
        errors.SalesforceAuthFailed,
        errors.ExternalUnavailable,
        errors.FallbackOwnerRequired,
        errors.NotFound,
        errors.InvalidInput,
    ],
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        # MaskErrors, cheaper per live-feed frame (server/live/handlers.py).
        lambda: StreamMaskErrors(should_mask_error=is_unexpected),
    ],
    # A live event's selection is executed once for all the subscribers that sent it.
    execution_context_class=SharedEventExecutor,
)
