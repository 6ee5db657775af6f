"""API tokens: org-scoped, role ADMIN or VIEWER, stored as hashes."""

from server.auth.tokens import Caller, authenticate, create_token, list_tokens, revoke_token

__all__ = ["Caller", "authenticate", "create_token", "list_tokens", "revoke_token"]
