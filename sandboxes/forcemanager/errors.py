"""The sandbox's error, answered as the swagger's Error model: {error, code, message}."""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    def __init__(
        self, status: int, error: str, message: str, fields: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.fields = fields or []

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "code": self.status, "message": self.message}


def bad_request(error: str, message: str, fields: list[str] | None = None) -> SandboxError:
    return SandboxError(400, error, message, fields)


def not_found(resource: str, record_id: object) -> SandboxError:
    return SandboxError(404, "NOT_FOUND", f"{resource} {record_id} does not exist")
