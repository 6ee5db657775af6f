"""schema.graphql matches the code; abuse guards; unexpected errors masked; /health, /metrics."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from server import schema_export
from server.integration import lifecycle
from tests.api.conftest import Api


def test_schema_file_matches_the_code() -> None:
    assert schema_export.diff() == "", "schema.graphql is stale: run `make schema`"


def test_check_fails_on_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text(schema_export.current_sdl().replace("syncNow", "syncLater"))
    assert schema_export.main(["--check", "--path", str(stale)]) == 1
    assert "+  syncNow" in capsys.readouterr().out
    assert schema_export.main(["--path", str(stale)]) == 0
    assert schema_export.main(["--check", "--path", str(stale)]) == 0


def test_schema_declares_the_contract_operations() -> None:
    sdl = schema_export.current_sdl()
    for name in [
        "salesforceIntegration",
        "salesforceObjects",
        "userMatching",
        "syncStatistics",
        "recentSyncRecords",
        "syncLog",
        "syncRuns",
        "enableSalesforceIntegration",
        "salesforceAuthorizationUrl",
        "completeSalesforceAuthorization",
        "connectSalesforceWithPassword",
        "configureSyncEntities",
        "autoMatchUsers",
        "matchUser",
        "unmatchUser",
        "setFallbackOwner",
        "startInitialSync",
        "syncNow",
        "pauseSync",
        "resumeSync",
        "disableSalesforceIntegration",
        "createApiToken",
        "revokeApiToken",
        "syncEvents",
        "syncRunProgress",
    ]:
        assert f"  {name}" in sdl, name


async def test_too_many_aliases_are_refused(admin: Api) -> None:
    aliases = " ".join(f"a{i}: salesforceIntegration {{ state }}" for i in range(20))
    body = await admin.post(f"{{ {aliases} }}")
    assert body["errors"] and "aliases" in body["errors"][0]["message"]
    assert body.get("data") is None


async def test_huge_documents_are_refused(admin: Api) -> None:
    fields = " ".join(["state"] * 3000)
    body = await admin.post(f"{{ salesforceIntegration {{ {fields} }} }}")
    assert body["errors"] and "token" in body["errors"][0]["message"].lower()


async def test_unexpected_errors_are_masked_and_logged(
    admin: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("db password is hunter2")

    monkeypatch.setattr(lifecycle, "pause", broken)
    with caplog.at_level(logging.ERROR, logger="server.graphql"):
        body = await admin.post("mutation { pauseSync { __typename } }")
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in str(body)
    assert "RuntimeError" in caplog.text and "pauseSync" in caplog.text


async def test_health_and_metrics(admin: Api, http: httpx.AsyncClient) -> None:
    health = await http.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    await admin.data("{ salesforceIntegration { state } }")
    metrics = await http.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert 'fmsf_http_requests_total{path="/graphql",status="200"} 1' in metrics.text
    assert 'fmsf_integrations{state="DISABLED"} 1' in metrics.text


async def test_health_reports_a_dead_redis(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = http._transport.app.state.resources  # type: ignore[attr-defined]

    async def unreachable() -> None:
        raise ConnectionError("redis down")

    monkeypatch.setattr(resources, "queue", unreachable)
    health = await http.get("/health")
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "ok", "redis": "unavailable"}


async def test_graphiql_is_served(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_refused_documents_are_not_logged_with_their_source(
    admin: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        body = await admin.post(
            'mutation { connectSalesforceWithPassword(username: "u", password: "hunter2", '
            "securityToken: 42) { __typename } }"
        )
    assert body["errors"]
    assert "hunter2" not in caplog.text
