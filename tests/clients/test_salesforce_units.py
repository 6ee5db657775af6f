"""The client's pure parts: SOQL text, timestamps, error classification, record shaping.

Everything that talks HTTP is tested against the sandbox in the other test_salesforce_* files.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from server.clients.errors import AuthError, PermanentError, QuotaExceeded, TransientError
from server.clients.salesforce import soql
from server.clients.salesforce.classify import classify, is_expired_session, not_applied
from server.clients.salesforce.describe import parse_describe, parse_summary
from server.clients.salesforce.records import coerce_csv_row, parse_csv, record_result
from server.clients.salesforce.transport import parse_api_usage
from server.clients.salesforce.types import ApiUsage, SalesforceSession

REFERENCE = Path("/work/shared/reference/salesforce")


def reference(name: str) -> object:
    return json.loads((REFERENCE / name).read_text())


def test_datetime_literal_is_utc_to_the_millisecond() -> None:
    paris = timezone(timedelta(hours=2))
    value = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=paris)
    assert soql.datetime_literal(value) == "2024-05-01T10:00:00.123Z"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        soql.datetime_literal(datetime(2024, 5, 1))


def test_salesforce_timestamps_parse_as_aware_datetimes() -> None:
    parsed = soql.parse_datetime("2013-05-07T22:07:19.000+0000")
    assert parsed == datetime(2013, 5, 7, 22, 7, 19, tzinfo=UTC)
    assert soql.parse_datetime("2013-05-07T22:07:19.000Z") == parsed


def test_changes_query_breaks_modstamp_ties_by_id() -> None:
    since = (datetime(2024, 5, 1, 10, tzinfo=UTC), "001000000000001AAA")
    text = soql.changes_query("Account", ["Name", "Id"], since, 500)
    assert text == (
        "SELECT Id, SystemModstamp, Name FROM Account WHERE "
        "(SystemModstamp > 2024-05-01T10:00:00.000Z OR "
        "(SystemModstamp = 2024-05-01T10:00:00.000Z AND Id > '001000000000001AAA')) "
        "ORDER BY SystemModstamp, Id LIMIT 500"
    )
    first = soql.changes_query("Account", ["Name"], None, 500)
    assert (
        first
        == "SELECT Id, SystemModstamp, Name FROM Account ORDER BY SystemModstamp, Id LIMIT 500"
    )


@pytest.mark.parametrize("bad", ["Account; DELETE", "Name FROM User", "", "1Field", "a'b"])
def test_names_pasted_into_soql_are_checked(bad: str) -> None:
    with pytest.raises(ValueError):
        soql.select("Account", [bad])
    with pytest.raises(ValueError):
        soql.select(bad, ["Id"])


def test_cursor_id_must_be_a_record_id() -> None:
    with pytest.raises(ValueError, match="record id"):
        soql.changes_query(
            "Account", ["Name"], (datetime(2024, 1, 1, tzinfo=UTC), "x' OR ''='"), 10
        )


def test_string_literals_are_escaped() -> None:
    assert soql.quote("O'Brien \\ Co") == "'O\\'Brien \\\\ Co'"


def _exc(cls: type, status: int, body: object) -> Exception:
    return cls("https://x/services/data/v59.0/query", status, "query", body)


def test_classification_by_error_code_then_status() -> None:
    locked = _exc(
        SalesforceMalformedRequest, 400, [{"errorCode": "UNABLE_TO_LOCK_ROW", "message": "m"}]
    )
    assert isinstance(classify(locked), TransientError)
    assert isinstance(
        classify(_exc(SalesforceGeneralError, 503, "Service Unavailable")), TransientError
    )
    quota = classify(
        _exc(
            SalesforceRefusedRequest,
            403,
            [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}],
        )
    )
    assert isinstance(quota, QuotaExceeded)
    assert quota.code == "REQUEST_LIMIT_EXCEEDED" and quota.status == 403
    malformed = classify(
        _exc(SalesforceMalformedRequest, 400, reference("restforce-query_error_response.json"))
    )
    assert isinstance(malformed, PermanentError) and malformed.code == "INVALID_FIELD"
    missing = classify(
        _exc(
            SalesforceResourceNotFound,
            404,
            reference("restforce-sobject_describe_error_response.json"),
        )
    )
    assert isinstance(missing, PermanentError) and missing.code == "NOT_FOUND"
    refused = classify(
        _exc(SalesforceRefusedRequest, 403, [{"errorCode": "INSUFFICIENT_ACCESS", "message": "no"}])
    )
    assert isinstance(refused, PermanentError)
    expired = _exc(
        SalesforceExpiredSession, 401, reference("restforce-expired_session_response.json")
    )
    assert is_expired_session(expired)
    assert isinstance(classify(expired), AuthError)


def test_network_failures_are_transient_and_only_some_surely_not_applied() -> None:
    assert isinstance(classify(requests.ReadTimeout("slow")), TransientError)
    assert isinstance(classify(requests.ConnectionError("refused")), TransientError)
    assert not_applied(requests.ConnectTimeout("never connected"))
    assert not_applied(_exc(SalesforceGeneralError, 503, "busy"))
    assert not not_applied(requests.ReadTimeout("maybe applied"))
    assert not not_applied(requests.ConnectionError("dropped"))


def test_unknown_exceptions_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        classify(KeyError("a bug"))


def test_api_usage_header() -> None:
    assert parse_api_usage("api-usage=18/5000") == ApiUsage(18, 5000)
    both = "api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)"
    assert parse_api_usage(both) == ApiUsage(25, 5000)
    assert parse_api_usage(None) is None
    assert ApiUsage(4990, 5000).remaining == 10


def test_collection_results_follow_the_documented_shape() -> None:
    ok = reference("restforce-composite_sobjects_success_response.json")[0]
    assert record_result(ok, None).success and record_result(ok, None).id == "some_id"
    failed = {
        "id": None,
        "success": False,
        "errors": [{"statusCode": "DUPLICATES_DETECTED", "message": "dup", "fields": ["Name"]}],
    }
    result = record_result(failed, "001000000000001AAA")
    assert (result.success, result.error_code, result.message, result.fields) == (
        False,
        "DUPLICATES_DETECTED",
        "dup",
        ["Name"],
    )
    assert result.id == "001000000000001AAA"  # the input's id when the answer has none
    locked = record_result(
        {"success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW"}]}, None
    )
    assert locked.transient


def test_bulk_csv_rows_get_rest_types() -> None:
    described = parse_describe(reference("elasticio-describe-Account-v46.json"))
    fields = {f.name: f for f in described.fields}
    rows = parse_csv(
        "Id,Name,NumberOfEmployees,AnnualRevenue,Active__c,IsDeleted\n"
        '001A,"Acme, Inc.",12,1500.5,,false\n'
    )
    row = coerce_csv_row(rows[0], fields)
    assert row == {
        "Id": "001A",
        "Name": "Acme, Inc.",
        "NumberOfEmployees": 12,
        "AnnualRevenue": 1500.5,
        "Active__c": None,
        "IsDeleted": False,
    }


def test_recorded_describes_parse() -> None:
    described = parse_describe(reference("elasticio-describe-Account-v46.json"))
    assert described.name == "Account" and len(described.fields) == 65
    custom = {f.name for f in described.fields if f.custom}
    assert "CustomerPriority__c" in custom and len(custom) == 7
    priority = described.field("CustomerPriority__c")
    assert priority.type == "picklist" and priority.picklist_values == ["High", "Low", "Medium"]
    owner = described.field("OwnerId")
    assert owner.type == "reference" and owner.reference_to == ["User"]
    summary = parse_summary(
        reference("restforce-describe_sobjects_success_response.json")["sobjects"][0]
    )
    assert (summary.name, summary.key_prefix, summary.queryable) == ("Account", "001", True)


def test_sessions_never_show_tokens() -> None:
    session = SalesforceSession("https://x", "00Dsecret!token", refresh_token="refresh-secret")
    assert "secret" not in repr(session)


def test_identity_url_gives_org_and_user() -> None:
    from server.clients.salesforce.auth import _identity_ids

    answer = reference("restforce-auth_success_response.json")
    assert _identity_ids(answer["id"]) == ("00Dx0000000BV7z", "005x00000012Q9P")
    assert _identity_ids(None) == (None, None)
