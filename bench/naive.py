"""The naive baseline: a hand-written script doing the same job one API call per record read
and per record written (simple-salesforce's sobject get/update, one ForceManager POST/PUT
per record), through the same sandboxes. It keeps its Salesforce Id → ForceManager id map
in a JSON file between runs, as such scripts do. Runs in a process of its own:

    python -m bench.naive initial|tick STATE_FILE     (settings in the environment)

Prints one JSON line with the seconds it took."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import requests
from simple_salesforce import Salesforce, SalesforceLogin

from sandboxes import forcemanager as fm_sandbox
from sandboxes import salesforce as sf_sandbox


def salesforce() -> Salesforce:
    session = requests.Session()
    session.verify = os.environ["SALESFORCE_CA_BUNDLE"]
    session.trust_env = False
    session_id, instance = SalesforceLogin(
        username=sf_sandbox.USERNAME, password=sf_sandbox.PASSWORD,
        security_token=sf_sandbox.SECURITY_TOKEN, session=session,
        sf_version=sf_sandbox.API_VERSION, scratch_url=os.environ["SALESFORCE_LOGIN_URL"],
    )
    return Salesforce(session_id=session_id, instance=instance, session=session,
                      version=sf_sandbox.API_VERSION)


def forcemanager() -> httpx.Client:
    url = os.environ["NAIVE_FORCEMANAGER_URL"]
    token = httpx.post(f"{url}/login", json={"username": fm_sandbox.PUBLIC_KEY,
                                              "password": fm_sandbox.PRIVATE_KEY}).json()["token"]
    return httpx.Client(base_url=url, headers={"X-Session-Key": token}, timeout=30)


def fm_defaults(fm: httpx.Client) -> dict[str, int]:
    user = fm.get("/users").json()[0]["id"]
    branch = fm.get("/branches").json()[0]["id"]
    return {"branchId": int(branch), "salesRepId1": int(user)}


def account_data(record: dict[str, Any], defaults: dict[str, int]) -> dict[str, Any]:
    return {"name": record["Name"], "phone": record.get("Phone"), "city": record.get("BillingCity"),
            "website": record.get("Website"), "extId": record["Id"], **defaults}


def contact_data(record: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    return {"firstName": record.get("FirstName"), "lastName": record["LastName"],
            "email": record.get("Email"), "phone1": record.get("Phone"),
            "accountId": ids.get(record.get("AccountId") or ""), "extId": record["Id"]}


def initial(state_file: Path) -> None:
    sf, fm = salesforce(), forcemanager()
    defaults = fm_defaults(fm)
    ids: dict[str, dict[str, int]] = {"Account": {}, "Contact": {}}
    for sobject, to_data, resource in (
        ("Account", lambda r: account_data(r, defaults), "accounts"),
        ("Contact", lambda r: contact_data(r, ids["Account"]), "contacts"),
    ):
        record_ids = [r["Id"] for r in sf.query_all_iter(f"SELECT Id FROM {sobject}")]
        api = getattr(sf, sobject)
        for record_id in record_ids:
            record = api.get(record_id)
            answer = fm.post(f"/{resource}", json=to_data(record))
            answer.raise_for_status()
            ids[sobject][record_id] = int(answer.json()["id"])
    state_file.write_text(json.dumps({"ids": ids, "since": datetime.now(UTC).isoformat()}))


def tick(state_file: Path) -> None:
    """Changes since the last run, both ways, one call per record read and written."""
    state = json.loads(state_file.read_text())
    since = datetime.fromisoformat(state["since"])
    # Salesforce stamps whole seconds: from the next whole second; ForceManager: exactly.
    sf_stamp = (since.replace(microsecond=0) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fm_stamp = since.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    sf, fm = salesforce(), forcemanager()
    for sobject, resource in (("Account", "accounts"), ("Contact", "contacts")):
        ids: dict[str, int] = state["ids"][sobject]
        back = {fm_id: sf_id for sf_id, fm_id in ids.items()}
        written: set[int] = set()
        api = getattr(sf, sobject)
        changed = [r["Id"] for r in sf.query_all_iter(
            f"SELECT Id FROM {sobject} WHERE SystemModstamp >= {sf_stamp}")]
        for record_id in changed:
            record = api.get(record_id)
            if record_id in ids:
                data = ({"name": record["Name"], "phone": record.get("Phone")}
                        if sobject == "Account"
                        else {"lastName": record["LastName"], "phone1": record.get("Phone")})
                fm.put(f"/{resource}/{ids[record_id]}", json=data).raise_for_status()
                written.add(ids[record_id])
        page = 0
        where = f"dateUpdated > '{fm_stamp}'"
        while rows := fm.get(f"/{resource}", params={"where": where, "page": page}).json():
            page += 1
            for row in rows:
                fm_id = int(row["id"])
                if fm_id in written or fm_id not in back:
                    continue
                record = fm.get(f"/{resource}/{fm_id}").json()
                data = ({"Phone": record.get("phone")} if sobject == "Account"
                        else {"Phone": record.get("phone1")})
                api.update(back[fm_id], data)
    state["since"] = datetime.now(UTC).isoformat()
    state_file.write_text(json.dumps(state))


def main() -> None:
    step, state_file = sys.argv[1], Path(sys.argv[2])
    started = time.perf_counter()
    {"initial": initial, "tick": tick}[step](state_file)
    print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)


if __name__ == "__main__":
    main()
