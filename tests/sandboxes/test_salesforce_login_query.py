"""Login flows and paged queries through simple-salesforce, over real HTTPS sockets."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from sandboxes.salesforce import API_VERSION


def password_login(sandbox) -> Salesforce:
    session = requests.Session()
    session.verify = str(sandbox.ca_cert)
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session_id, instance = SalesforceLogin(
        username=sandbox.username, password=sandbox.password,
        security_token=sandbox.security_token, session=session, sf_version=API_VERSION,
        scratch_url=sandbox.url,
    )
    return Salesforce(session_id=session_id, instance=instance, session=session,
                      version=API_VERSION)


def test_soap_login_then_describe_and_query_many_pages(make_salesforce_sandbox):
    sandbox = make_salesforce_sandbox(accounts=600)
    sf = password_login(sandbox)
    assert sf.sf_instance == sandbox.url.removeprefix("https://")
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Account", "Contact", "Opportunity", "Task", "Event", "Product2", "User"} <= names
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    first = sf.query("SELECT Id, Name, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id")
    assert first["totalSize"] == 1200 and not first["done"] and len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith(f"/services/data/v{API_VERSION}/query/01g")
    everything = sf.query_all("SELECT Id, Name FROM Contact")
    assert len({r["Id"] for r in everything["records"]}) == 1200


def test_password_login_is_refused_with_invalid_login(salesforce_sandbox):
    session = salesforce_sandbox.requests_session()
    with pytest.raises(SalesforceAuthenticationFailed) as refused:
        SalesforceLogin(username=salesforce_sandbox.username, password="wrong",
                        security_token=salesforce_sandbox.security_token, session=session,
                        sf_version=API_VERSION, scratch_url=salesforce_sandbox.url)
    assert refused.value.code == "INVALID_LOGIN"
    assert "Invalid username, password, security token" in refused.value.auth_message
    with salesforce_sandbox.http() as http:
        garbage = http.post(f"/services/Soap/u/{API_VERSION}", content=b"<not xml",
                            headers={"Content-Type": "text/xml"})
    assert garbage.status_code == 500 and b"soapenv:Fault" in garbage.content


def test_oauth_web_server_flow_refresh_and_revoke(salesforce_sandbox):
    redirect = "https://app.example.com/salesforce/callback"
    with salesforce_sandbox.http() as http:
        consent = http.get("/services/oauth2/authorize", params={
            "response_type": "code", "client_id": salesforce_sandbox.client_id,
            "redirect_uri": redirect, "state": "xyz 123"})
        assert consent.status_code == 302
        back = urlsplit(consent.headers["location"])
        assert f"{back.scheme}://{back.netloc}{back.path}" == redirect
        query = parse_qs(back.query)
        assert query["state"] == ["xyz 123"]
        code = query["code"][0]

        grant = {"grant_type": "authorization_code", "code": code,
                 "client_id": salesforce_sandbox.client_id,
                 "client_secret": salesforce_sandbox.client_secret, "redirect_uri": redirect}
        tokens = http.post("/services/oauth2/token", data=grant)
        assert tokens.status_code == 200
        answer = tokens.json()
        assert answer["instance_url"] == salesforce_sandbox.url
        assert answer["token_type"] == "Bearer" and answer["refresh_token"]
        reused = http.post("/services/oauth2/token", data=grant)
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

        identity = http.get(answer["id"].removeprefix(salesforce_sandbox.url),
                            headers={"Authorization": f"Bearer {answer['access_token']}"})
        assert identity.status_code == 200
        assert identity.json()["username"] == salesforce_sandbox.username
        assert identity.json()["user_id"] == salesforce_sandbox.store.admin_user_id
        userinfo = http.get("/services/oauth2/userinfo",
                            headers={"Authorization": f"Bearer {answer['access_token']}"})
        assert userinfo.json()["preferred_username"] == salesforce_sandbox.username

        salesforce_sandbox.admin.expire_sessions()
        rest = f"/services/data/v{API_VERSION}/limits"
        expired = http.get(rest, headers={"Authorization": f"Bearer {answer['access_token']}"})
        assert expired.status_code == 401
        assert expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"

        refreshed = http.post("/services/oauth2/token", data={
            "grant_type": "refresh_token", "refresh_token": answer["refresh_token"],
            "client_id": salesforce_sandbox.client_id,
            "client_secret": salesforce_sandbox.client_secret})
        assert refreshed.status_code == 200 and "refresh_token" not in refreshed.json()
        token = refreshed.json()["access_token"]
        assert http.get(rest, headers={"Authorization": f"Bearer {token}"}).status_code == 200

        assert http.post("/services/oauth2/revoke",
                         data={"token": answer["refresh_token"]}).status_code == 200
        assert http.get(rest, headers={"Authorization": f"Bearer {token}"}).status_code == 401
        again = http.post("/services/oauth2/token", data={
            "grant_type": "refresh_token", "refresh_token": answer["refresh_token"],
            "client_id": salesforce_sandbox.client_id})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        assert http.post("/services/oauth2/revoke", data={"token": "nope"}).status_code == 400


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_id": "someone-else"}, "invalid_client_id"),
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"password": "sandbox-password"}, "invalid_grant"),  # the security token is missing
        ({"username": "nobody@example.com"}, "invalid_grant"),
    ],
)
def test_token_endpoint_errors(shared_salesforce_sandbox, change, error):
    sandbox = shared_salesforce_sandbox
    form = {"grant_type": "password", "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "username": sandbox.username,
            "password": sandbox.password + sandbox.security_token}
    form.update(change)
    with sandbox.http() as http:
        answer = http.post("/services/oauth2/token", data=form)
    assert answer.status_code == 400
    assert answer.json()["error"] == error and answer.json()["error_description"]


def test_authorize_refuses_bad_clients_and_can_be_denied(salesforce_sandbox):
    redirect = "http://localhost:9999/cb"
    with salesforce_sandbox.http() as http:
        bad_client = http.get("/services/oauth2/authorize", params={
            "response_type": "code", "client_id": "x", "redirect_uri": redirect, "state": "s"})
        no_redirect = http.get("/services/oauth2/authorize", params={
            "response_type": "code", "client_id": salesforce_sandbox.client_id})
        salesforce_sandbox.admin.faults(deny_authorization=True)
        denied = http.get("/services/oauth2/authorize", params={
            "response_type": "code", "client_id": salesforce_sandbox.client_id,
            "redirect_uri": redirect, "state": "s"})
    assert parse_qs(urlsplit(bad_client.headers["location"]).query)["error"] == [
        "invalid_client_id"]
    assert no_redirect.status_code == 400
    assert parse_qs(urlsplit(denied.headers["location"]).query) == {
        "error": ["access_denied"], "error_description": ["end-user denied authorization"],
        "state": ["s"]}


def test_sessions_expire_after_their_lifetime(make_salesforce_sandbox):
    sandbox = make_salesforce_sandbox(session_seconds=0.2)
    with sandbox.rest() as api:
        assert api.get("/limits").status_code == 200
        time.sleep(0.3)
        assert api.get("/limits").status_code == 401
