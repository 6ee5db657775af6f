"""Bulk API 2.0 query jobs: simple-salesforce's own bulk2 reader, and the raw job flow."""

from __future__ import annotations

import csv
import io


def test_simple_salesforce_bulk2_reads_every_record_in_pages(make_salesforce_sandbox):
    sandbox = make_salesforce_sandbox(accounts=700)
    sf = sandbox.simple_salesforce()
    pages = list(sf.bulk2.Contact.query("SELECT Id, LastName, AccountId FROM Contact",
                                        max_records=500))
    rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
    assert len(pages) == 3
    table = sandbox.store.table("Contact")
    assert {r["Id"] for r in rows} == set(table.rows)
    some = rows[0]
    assert some["LastName"] == table.as_dict(table.rows[some["Id"]])["LastName"]


def test_query_job_flow_and_csv_format(salesforce_sandbox):
    table = salesforce_sandbox.store.table("Account")
    victim = next(iter(table.rows))
    with salesforce_sandbox.rest() as api:
        api.delete(f"/sobjects/Account/{victim}")
        created = api.post("/jobs/query", json={
            "operation": "queryAll", "query": "SELECT Id, Name, IsDeleted, NumberOfEmployees, "
            "Rating FROM Account ORDER BY Id"})
        assert created.status_code == 200
        job = created.json()
        assert job["state"] == "UploadComplete" and job["id"].startswith("750")
        assert {"id", "operation", "object", "createdById", "createdDate", "state",
                "concurrencyMode", "contentType", "apiVersion"} <= set(job)
        status = api.get(f"/jobs/query/{job['id']}").json()
        assert status["state"] == "JobComplete"
        assert status["numberRecordsProcessed"] == table.count(True)

        first = api.get(f"/jobs/query/{job['id']}/results", params={"maxRecords": 20})
        assert first.headers["content-type"].startswith("text/csv")
        assert first.headers["Sforce-NumberOfRecords"] == "20"
        locator = first.headers["Sforce-Locator"]
        assert locator != "null"
        rest = api.get(f"/jobs/query/{job['id']}/results", params={"locator": locator})
        assert rest.headers["Sforce-Locator"] == "null"
        listing = api.get("/jobs/query").json()
        assert [j["id"] for j in listing["records"]] == [job["id"]]
        assert api.delete(f"/jobs/query/{job['id']}").status_code == 204
        assert api.get(f"/jobs/query/{job['id']}").status_code == 404

    lines = first.text.splitlines()
    assert lines[0] == '"Id","Name","IsDeleted","NumberOfEmployees","Rating"'
    rows = list(csv.DictReader(io.StringIO(first.text))) + list(
        csv.DictReader(io.StringIO(rest.text)))
    assert len(rows) == table.count(True)
    gone = next(r for r in rows if r["Id"] == victim)
    assert gone["IsDeleted"] == "true"
    assert all(r["IsDeleted"] == "false" for r in rows if r["Id"] != victim)
    assert {r["Rating"] for r in rows} >= {""}  # nulls are empty strings


def test_bad_jobs_are_refused(salesforce_sandbox):
    with salesforce_sandbox.rest() as api:
        bad_op = api.post("/jobs/query", json={"operation": "insert", "query": "SELECT Id FROM "
                                               "Account"})
        bad_soql = api.post("/jobs/query", json={"operation": "query", "query": "SELECT FROM"})
        count = api.post("/jobs/query", json={"operation": "query",
                                              "query": "SELECT COUNT() FROM Account"})
        job = api.post("/jobs/query", json={"operation": "query",
                                            "query": "SELECT Id FROM Account"}).json()
        api.get(f"/jobs/query/{job['id']}")
        bad_locator = api.get(f"/jobs/query/{job['id']}/results", params={"locator": "zzz"})
        bad_max = api.get(f"/jobs/query/{job['id']}/results", params={"maxRecords": "0"})
        unknown = api.get("/jobs/query/750000000000000AAA/results")
    assert bad_op.status_code == 400 and bad_op.json()[0]["errorCode"] == "INVALIDJOB"
    assert bad_soql.status_code == 400 and bad_soql.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert count.status_code == 400
    assert bad_locator.status_code == 400
    assert bad_max.status_code == 400
    assert unknown.status_code == 404 and unknown.json()[0]["errorCode"] == "NOT_FOUND"


def test_bulk_faults_slow_jobs_down_or_fail_them(salesforce_sandbox):
    salesforce_sandbox.admin.faults(bulk_polls=2, bulk_fail=1)
    with salesforce_sandbox.rest() as api:
        failing = api.post("/jobs/query", json={"operation": "query",
                                                "query": "SELECT Id FROM Account"}).json()
        slow = api.post("/jobs/query", json={"operation": "query",
                                             "query": "SELECT Id FROM Account"}).json()
        states = [api.get(f"/jobs/query/{slow['id']}").json()["state"] for _ in range(3)]
        failed = [api.get(f"/jobs/query/{failing['id']}").json() for _ in range(3)][-1]
        results = api.get(f"/jobs/query/{failing['id']}/results")
    assert states == ["InProgress", "InProgress", "JobComplete"]
    assert failed["state"] == "Failed" and failed["errorMessage"]
    assert results.status_code == 400
