"""The SOQL subset over /query and /queryAll, checked against the store computed by hand."""

from __future__ import annotations

import pytest

from tests.fixtures.salesforce_sandbox import SandboxClock


def rows(sandbox, sobject: str, deleted: bool = False) -> list[dict]:
    table = sandbox.store.table(sobject)
    return [table.as_dict(r) for r in table.rows.values() if deleted or not r[table.deleted_pos]]


def ids_of(api, soql: str, endpoint: str = "/query") -> list[str]:
    answer = api.get(endpoint, params={"q": soql})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    records = body["records"]
    while not body["done"]:
        body = api.get(body["nextRecordsUrl"].removeprefix("/services/data/v59.0")).json()
        records += body["records"]
    return [r["Id"] for r in records]


@pytest.fixture
def seeded(make_salesforce_sandbox):
    sandbox = make_salesforce_sandbox(accounts=120, seed=3)
    with sandbox.rest() as api:
        yield sandbox, api


def test_comparisons_match_the_data(seeded):
    sandbox, api = seeded
    accounts = rows(sandbox, "Account")
    cases = {
        "NumberOfEmployees > 100 AND NumberOfEmployees <= 1000":
            lambda a: 100 < a["NumberOfEmployees"] <= 1000,
        "Verified__c = true": lambda a: a["Verified__c"] is True,
        "Rating = null": lambda a: a["Rating"] is None,
        "Rating != null AND Industry IN ('Banking', 'Retail')":
            lambda a: a["Rating"] is not None and a["Industry"] in ("Banking", "Retail"),
        "Industry NOT IN ('Banking')": lambda a: a["Industry"] != "Banking",
        "SLAExpirationDate__c < 2027-01-01": lambda a: a["SLAExpirationDate__c"] < "2027-01-01",
        "NOT (Rating = 'Hot' OR Rating = 'Cold')": lambda a: a["Rating"] not in ("Hot", "Cold"),
        "AnnualRevenue >= 20000000.5": lambda a: a["AnnualRevenue"] >= 20000000.5,
        "Name LIKE 'a%'": lambda a: a["Name"].lower().startswith("a"),
        "Name LIKE '%Group'": lambda a: a["Name"].lower().endswith("group"),
    }
    for where, wanted in cases.items():
        expected = {a["Id"] for a in accounts if wanted(a)}
        got = ids_of(api, f"SELECT Id FROM Account WHERE {where}")
        assert set(got) == expected, where
        assert len(got) == len(expected)
    assert 0 < len([a for a in accounts if a["Verified__c"]]) < len(accounts)


def test_strings_compare_ignoring_case_and_ids_exactly(seeded):
    sandbox, api = seeded
    account = rows(sandbox, "Account")[0]
    shouted = account["Name"].upper().replace("'", "\\'")
    assert ids_of(api, f"SELECT Id FROM Account WHERE Name = '{shouted}'") == [account["Id"]]
    assert ids_of(api, f"SELECT Id FROM Account WHERE Id = '{account['Id'][:15]}'") == [
        account["Id"]]
    contacts = {c["Id"] for c in rows(sandbox, "Contact") if c["AccountId"] == account["Id"]}
    assert set(ids_of(api, f"SELECT Id FROM Contact WHERE AccountId = '{account['Id']}'")) == (
        contacts)


def test_datetime_literals_in_both_formats(seeded):
    sandbox, api = seeded
    stamps = sorted(a["CreatedDate"] for a in rows(sandbox, "Account"))
    middle = stamps[len(stamps) // 2]  # '2026-01-01T10:00:00.000+0000'
    iso_z = middle[:19] + "Z"
    expected = {a["Id"] for a in rows(sandbox, "Account") if a["CreatedDate"] >= middle}
    assert set(ids_of(api, f"SELECT Id FROM Account WHERE CreatedDate >= {middle}")) == expected
    assert set(ids_of(api, f"SELECT Id FROM Account WHERE CreatedDate >= {iso_z}")) == expected
    shifted = middle[:11] + f"{(int(middle[11:13]) + 2) % 24:02d}" + middle[13:19] + "+02:00"
    if int(middle[11:13]) < 22:
        assert set(ids_of(api, f"SELECT Id FROM Account WHERE CreatedDate >= {shifted}")) == (
            expected)


def test_order_by_limit_offset_and_count(seeded):
    sandbox, api = seeded
    accounts = rows(sandbox, "Account")
    ordered = sorted(accounts, key=lambda a: (-a["NumberOfEmployees"], a["Id"]))
    got = api.get("/query", params={
        "q": "SELECT Id, NumberOfEmployees FROM Account ORDER BY NumberOfEmployees DESC, Id "
             "LIMIT 10 OFFSET 5"}).json()
    assert [r["Id"] for r in got["records"]] == [a["Id"] for a in ordered[5:15]]
    names = {a["Id"]: a["Name"].lower() for a in accounts}
    by_name = [names[i] for i in ids_of(api, "SELECT Id FROM Account ORDER BY Name ASC")]
    assert by_name == sorted(names.values())
    nulls_last = ids_of(api, "SELECT Id FROM Account ORDER BY Rating ASC NULLS LAST")
    ratings = [next(a["Rating"] for a in accounts if a["Id"] == i) for i in nulls_last]
    assert ratings[-1] is None and ratings[0] is not None
    assert ratings.index(None) == sum(r is not None for r in ratings)
    count = api.get("/query", params={"q": "SELECT COUNT() FROM Account WHERE Rating = 'Hot'"})
    assert count.json() == {"totalSize": sum(a["Rating"] == "Hot" for a in accounts),
                            "done": True, "records": []}


def test_change_cursor_pages_every_row_once_in_order(make_salesforce_sandbox):
    clock = SandboxClock()
    sandbox = make_salesforce_sandbox(accounts=300, clock=clock)
    admin = sandbox.admin
    touched = [a["Id"] for a in admin.records("Account", limit=40)["records"]]
    clock.advance(seconds=5)
    for account_id in touched:  # 40 rows sharing one SystemModstamp
        admin.edit("Account", account_id, {"Phone": "+34 900 000 000"})
    expected = sorted((a["SystemModstamp"], a["Id"]) for a in rows(sandbox, "Account"))
    seen: list[tuple[str, str]] = []
    with sandbox.rest() as api:
        cursor = None
        while True:
            where = ""
            if cursor:
                where = (f"WHERE SystemModstamp > {cursor[0]} OR (SystemModstamp = {cursor[0]} "
                         f"AND Id > '{cursor[1]}')")
            page = api.get("/query", params={
                "q": f"SELECT Id, SystemModstamp FROM Account {where} "
                     "ORDER BY SystemModstamp, Id LIMIT 25"}).json()["records"]
            if not page:
                break
            seen += [(r["SystemModstamp"], r["Id"]) for r in page]
            cursor = seen[-1]
    assert seen == expected


def test_query_hides_deleted_rows_query_all_shows_them(seeded):
    sandbox, api = seeded
    victim = rows(sandbox, "Contact")[0]["Id"]
    assert api.delete(f"/sobjects/Contact/{victim}").status_code == 204
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{victim}'"
    assert ids_of(api, soql) == []
    answer = api.get("/queryAll", params={"q": soql}).json()
    assert [(r["Id"], r["IsDeleted"]) for r in answer["records"]] == [(victim, True)]
    total = len(rows(sandbox, "Contact", deleted=True))
    assert len(ids_of(api, "SELECT Id FROM Contact", "/queryAll")) == total
    assert len(ids_of(api, "SELECT Id FROM Contact")) == total - 1


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 'a' AND Phone = 'b' OR Rating = 'Hot'",
         "MALFORMED_QUERY"),
        ("SELECT COUNT(Id) FROM Account", "MALFORMED_QUERY"),
        ("SELECT Owner.Name FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account GROUP BY Name", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE CreatedDate > TODAY", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account LIMIT -1", "MALFORMED_QUERY"),
        ("SELECT Id, Id FROM Account", "MALFORMED_QUERY"),
        ("DELETE FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY"),
        ("SELECT Nope__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE NumberOfEmployees = '5'", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE CreatedDate > '2024-01-01'", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE Name = 5", "INVALID_FIELD"),
        ("SELECT Id FROM Account ORDER BY Description", "INVALID_FIELD"),
        ("SELECT Id FROM Nothing", "INVALID_TYPE"),
        ("SELECT Id FROM Account WHERE Id = 'short'", "INVALID_QUERY_FILTER_OPERATOR"),
    ],
)
def test_bad_queries_get_salesforce_errors(shared_salesforce_sandbox, soql, code):
    with shared_salesforce_sandbox.rest() as api:
        answer = api.get("/query", params={"q": soql})
    assert answer.status_code == 400, answer.text
    [error] = answer.json()
    assert error["errorCode"] == code
    assert isinstance(error["message"], str) and error["message"]


def test_missing_query_and_bad_locator(salesforce_sandbox):
    with salesforce_sandbox.rest() as api:
        assert api.get("/query").json()[0]["errorCode"] == "MALFORMED_QUERY"
        bad = api.get("/query/01gNOTALOCATOR-2000")
    assert bad.status_code == 400
    assert bad.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_batch_size_is_clamped_between_200_and_2000(make_salesforce_sandbox):
    sandbox = make_salesforce_sandbox(accounts=1100)  # 2,200 contacts
    with sandbox.rest() as api:
        sizes = {}
        for asked in ("50", "700", "5000"):
            api.headers["Sforce-Query-Options"] = f"batchSize={asked}"
            page = api.get("/query", params={"q": "SELECT Id FROM Contact"}).json()
            sizes[asked] = len(page["records"])
    assert sizes == {"50": 200, "700": 700, "5000": 2000}


def test_planned_reads_equal_a_plain_scan_on_random_queries(make_salesforce_sandbox):
    """The index start, the id lookup and the early stop must not change any answer."""
    import random

    from sandboxes.salesforce import engine, soql

    clock = SandboxClock()
    sandbox = make_salesforce_sandbox(accounts=150, clock=clock)
    store = sandbox.store
    table = store.table("Account")
    some = list(table.rows)[:30]
    for row_id in some[:20]:  # ties on SystemModstamp, and a few deletions
        store.update(row_id, {"Phone": "1"}, store.admin_user_id)
    for row_id in some[20:25]:
        store.delete(row_id, store.admin_user_id)
    records = [table.as_dict(r) for r in table.rows.values()]
    stamps = sorted({r["SystemModstamp"] for r in records})
    rng = random.Random(11)

    def leaf():
        stamp, row_id = rng.choice(stamps), rng.choice(some + ["001000000000000AAA"])
        op = rng.choice(["=", "!=", "<", "<=", ">", ">="])
        py = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
              "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[op]
        if rng.random() < 0.6:
            return f"SystemModstamp {op} {stamp}", lambda r: py(r["SystemModstamp"], stamp)
        if rng.random() < 0.5:
            return f"Id {op} '{row_id}'", lambda r: py(r["Id"], row_id)
        ids = rng.sample(some, 3)
        return f"Id IN ('{ids[0]}', '{ids[1]}', '{ids[2]}')", lambda r: r["Id"] in ids

    def condition(depth=0):
        if depth > 2 or rng.random() < 0.4:
            return leaf()
        joiner = rng.choice(["AND", "OR"])
        parts = [condition(depth + 1) for _ in range(rng.randrange(2, 4))]
        text = f" {joiner} ".join(f"({t})" for t, _ in parts)
        tests = [p for _, p in parts]
        if joiner == "AND":
            return text, lambda r: all(t(r) for t in tests)
        return text, lambda r: any(t(r) for t in tests)

    orders = {"SystemModstamp, Id": lambda r: (r["SystemModstamp"], r["Id"]),
              "SystemModstamp": None, "Id DESC": lambda r: r["Id"], "": None}
    for _ in range(300):
        text, test = condition()
        order = rng.choice(list(orders))
        limit = rng.choice([None, 1, 7, 50])
        include_deleted = rng.random() < 0.5
        soql_text = f"SELECT Id FROM Account WHERE {text}"
        if order:
            soql_text += f" ORDER BY {order}"
        if limit:
            soql_text += f" LIMIT {limit}"
        got, total = engine.run(soql.parse(soql_text), table, include_deleted=include_deleted)
        wanted = [r for r in records if (include_deleted or not r["IsDeleted"]) and test(r)]
        if order == "SystemModstamp":  # ties in any order: compare the stamps
            wanted.sort(key=lambda r: r["SystemModstamp"])
            by_id = {r["Id"]: r["SystemModstamp"] for r in records}
            assert [by_id[i] for i in got] == [r["SystemModstamp"] for r in wanted][:limit]
            continue
        if order:
            wanted.sort(key=orders[order], reverse=order.endswith("DESC"))
            assert got == [r["Id"] for r in wanted][:limit], soql_text
        else:
            assert set(got) <= {r["Id"] for r in wanted}, soql_text
            assert len(got) == len(wanted[:limit]), soql_text
        assert total == len(got)
