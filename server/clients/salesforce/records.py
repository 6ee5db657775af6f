"""Shaping records: REST answers, Bulk 2.0 CSV, sObject Collections results."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from server.clients.errors import RecordResult
from server.clients.salesforce.types import FieldInfo, Record

COLLECTION_SIZE = 200  # sObject Collections take at most 200 records a request


# JSON's scalar types: a record holding only these has no related record to strip.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def strip_attributes(record: dict[str, Any]) -> dict[str, Any]:
    """Drop the `attributes` key, also from related records (Owner: {...})."""
    record.pop("attributes", None)
    # The types of a flat record checked in C first: every record of every page comes here.
    if not _SCALARS.issuperset(map(type, record.values())):
        for value in record.values():
            if isinstance(value, dict):
                strip_attributes(value)
    return record


def parse_csv(text: str) -> list[dict[str, Any]]:
    """Bulk 2.0 results: CSV with a header row. An empty cell is null in Salesforce."""
    reader = csv.DictReader(io.StringIO(text))
    return [Record((k, v if v != "" else None) for k, v in row.items()) for row in reader]


_INTEGER_TYPES = frozenset({"int", "long"})
_NUMBER_TYPES = frozenset({"double", "currency", "percent"})


def coerce_csv_row(row: dict[str, Any], fields: dict[str, FieldInfo]) -> dict[str, Any]:
    """Give CSV strings the JSON types the REST API uses, so a read looks the same whichever
    API served it."""
    for key, value in row.items():
        info = fields.get(key)
        if value is None or info is None:
            continue
        if info.type == "boolean":
            row[key] = value.lower() == "true"
        elif info.type in _INTEGER_TYPES:
            row[key] = int(float(value))
        elif info.type in _NUMBER_TYPES:
            row[key] = float(value)
    return row


def chunks(items: list[Any], size: int = COLLECTION_SIZE) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def record_result(answer: dict[str, Any], fallback_id: str | None) -> RecordResult:
    """One entry of an sObject Collections answer: `{id, success, errors: [{statusCode,
    message, fields}]}`."""
    errors = answer.get("errors") or []
    first = errors[0] if errors else {}
    success = bool(answer.get("success"))
    return RecordResult(
        id=answer.get("id") or fallback_id,
        success=success,
        error_code=None if success else (first.get("statusCode") or "UNKNOWN_ERROR"),
        message=None if success else first.get("message"),
        fields=list(first.get("fields") or []),
    )
