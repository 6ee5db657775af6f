"""Authentication and roles. Failures are GraphQL errors with extensions.code
UNAUTHENTICATED or FORBIDDEN."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from server.graphql.context import Info


class IsAuthenticated(BasePermission):
    message = "Authentication required: send the header Authorization: Bearer <API token>."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.get("caller") is not None


class IsAdmin(BasePermission):
    message = "This operation needs an ADMIN token; this token is VIEWER."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        found = info.context.get("caller")
        return found is not None and found.is_admin


def query(**kwargs: Any) -> Any:
    """A query field any token of the org may read."""
    return strawberry.field(permission_classes=[IsAuthenticated], **kwargs)


def mutation(**kwargs: Any) -> Any:
    """A mutation only ADMIN tokens may call."""
    return strawberry.mutation(permission_classes=[IsAuthenticated, IsAdmin], **kwargs)
