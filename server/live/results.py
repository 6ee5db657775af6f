"""Strawberry's per-result work, done once for a shared live-feed result.

For every frame of every subscriber, Strawberry converts graphql-core's result into its own
(asking each extension for its results) and enters each extension's `on_stream_result`
hook: about a quarter of the per-message cost of the live feed with 500 subscribers. For a
result shared by all the subscribers that sent the same request (server.live.handlers),
that work gives the same answer every time when no extension adds results or acts on
results without errors; then the converted result is made once and handed to each
subscriber as is. Any other result, or a schema with other extensions, takes Strawberry's
own path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext, ExecutionResult

from server.live.direct import CURRENT
from server.live.sharing import IdentityCache


@dataclasses.dataclass
class SharedExecutionResult(ExecutionResult):
    """Strawberry's form of a shared result: one object for all its subscribers, read-only."""


# graphql-core's shared result -> its SharedExecutionResult.
CONVERTED: IdentityCache[SharedExecutionResult] = IdentityCache()


def share(result: GraphQLExecutionResult) -> None:
    """Called once per shared result, when it is executed (no errors by then)."""
    CONVERTED.put(result, SharedExecutionResult(data=result.data, errors=None, extensions={}))


F = TypeVar("F", bound=Callable[..., Any])


def errors_only(hook: F) -> F:
    """Marks an `on_stream_result` hook that leaves results without errors alone."""
    hook.errors_only = True  # type: ignore[attr-defined]
    return hook


def _quiet(extension: SchemaExtension) -> bool:
    """No results of its own and no hook on results without errors. (MaskErrors only
    touches errors; the flag its hook sets only spares re-masking the last result at the
    end of the operation, which then has no errors to mask.)"""
    kind = type(extension)
    if kind.get_results is not SchemaExtension.get_results:
        return False
    hook = kind.on_stream_result
    return (
        hook is SchemaExtension.on_stream_result
        or hook is MaskErrors.on_stream_result
        or getattr(hook, "errors_only", False)
    )


class _NoHooks:
    __slots__ = ()

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: object) -> None:
        return None


_NO_HOOKS = _NoHooks()


class SharedResultsRunner(SchemaExtensionsRunner):
    def __init__(self, execution_context: ExecutionContext,
                 extensions: list[SchemaExtension] | None = None) -> None:
        super().__init__(execution_context=execution_context, extensions=extensions)
        self.quiet = all(_quiet(extension) for extension in self.extensions)
        feed = CURRENT.get()
        if feed is not None:
            feed.quiet = self.quiet

    def on_stream_result(self, result: Any) -> Any:
        if self.quiet and type(result) is SharedExecutionResult:
            return _NO_HOOKS
        return super().on_stream_result(result)


class SharedResultsSchema(strawberry.Schema):
    """strawberry.Schema, handing a shared live-feed result to each subscriber as made once."""

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return SharedResultsRunner(execution_context, extensions)

    async def _handle_execution_result(
        self,
        context: ExecutionContext,
        result: Any,
        extensions_runner: SchemaExtensionsRunner,
        *,
        skip_process_errors: bool = False,
    ) -> ExecutionResult:
        if (
            type(result) is GraphQLExecutionResult
            and getattr(extensions_runner, "quiet", False)
            and not context.extensions_results
        ):
            known = CONVERTED.get(result)
            if known is not None:
                context.result = known
                return known
        return await super()._handle_execution_result(
            context, result, extensions_runner, skip_process_errors=skip_process_errors
        )
