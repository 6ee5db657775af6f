"""Login flows and paged queries through simple-salesforce, over real HTTPS sockets."""

from __future__ import annotations

import requests
from simple_salesforce import Salesforce, SalesforceLogin

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
