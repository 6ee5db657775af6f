"""The engine's per-batch fast paths give what the plain ones gave: events published by one
Redis script, links read with raw SQL, big INSERTs split, whole records mapped by plan."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from server import events
from server.entities import Entity
from server.models import Organization, RecordLink, RunKind, SyncLogEntry, SyncRun
from server.synclog import sql
from workers.sync import convert, store
from workers.sync.fields import ACCOUNT, CONTACT
from workers.sync.mapping import Lookups, created_readback, from_salesforce, to_forcemanager


def _event(n: int) -> dict[str, object]:
    return {"id": n, "entity": "ACCOUNT", "recordName": f"Acme {n} ñ", "status": "SUCCESS",
            "at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=n)}


async def test_a_batch_of_events_is_one_entry_each_in_order(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "SCRIPT_BATCH", 7)  # several script calls, order kept
    await redis.script_flush()  # the script is not loaded yet: EVALSHA falls back to EVAL
    batch = [_event(n) for n in range(20)]
    ids = await events.publish_records(redis, 5, batch)
    ids += await events.publish_records(redis, 5, [_event(20)])  # now by EVALSHA
    entries = await redis.xrange(events.record_stream(5))
    assert ids == [entry_id.decode() for entry_id, _ in entries]
    assert [list(fields) for _, fields in entries] == [[b"data"]] * 21
    assert [json.loads(fields[b"data"]) for _, fields in entries] == [
        json.loads(json.dumps(e, default=str)) for e in [*batch, _event(20)]
    ]
    assert await events.publish_records(redis, 5, []) == []


async def test_links_read_raw_are_the_orm_s(db: str) -> None:
    org = await Organization.create(name="Acme", plan="business")
    other = await Organization.create(name="Other", plan="business")
    when = datetime(2025, 3, 1, 12, tzinfo=UTC)
    await RecordLink.create(organization=org, entity="ACCOUNT", salesforce_id="001A",
                            forcemanager_id=1, synced_values={"salesforce": {"Name": "A"}},
                            salesforce_modstamp=when)
    await RecordLink.create(organization=org, entity="ACCOUNT", salesforce_id="001B",
                            forcemanager_id=2, deleted=True)
    await RecordLink.create(organization=org, entity="ACCOUNT", salesforce_id="001C",
                            forcemanager_id=None)
    await RecordLink.create(organization=org, entity="CONTACT", salesforce_id="001D",
                            forcemanager_id=4)
    await RecordLink.create(organization=other, entity="ACCOUNT", salesforce_id="001E",
                            forcemanager_id=5)
    wanted = ["001A", "001B", "001C", "001D", "001E", "001Z"] * 3

    links = await store.links_by_salesforce(org.id, Entity.ACCOUNT, wanted)
    orm = await RecordLink.filter(organization_id=org.id, entity="ACCOUNT")
    assert sorted(links) == ["001A", "001B", "001C"]
    for row in orm:
        link = links[row.salesforce_id]
        for name in RecordLink._meta.fields_db_projection:
            assert getattr(link, name) == getattr(row, name), name
    assert links["001A"].synced_values == {"salesforce": {"Name": "A"}}
    assert links["001A"].salesforce_modstamp == when
    links["001A"].forcemanager_id = 9  # an object the ORM can save back
    await store.save_links([], [links["001A"]])
    assert (await RecordLink.get(id=links["001A"].id)).forcemanager_id == 9

    assert await store.parent_links(org.id, Entity.ACCOUNT, wanted) == {"001A": 9}
    assert await store.links_by_salesforce(org.id, Entity.ACCOUNT, []) == {}


async def test_an_insert_too_long_to_stay_prepared_is_split_in_order(db: str) -> None:
    org = await Organization.create(name="Acme", plan="business")
    run = await SyncRun.create(organization=org, kind=RunKind.INITIAL)
    columns = ("organization_id", "run_id", "entity", "salesforce_id", "record_name",
               "action", "direction", "status", "owner_fallback", "created_at")
    now = datetime.now(UTC)
    rows = [(org.id, run.id, "ACCOUNT", f"001{n:04d}", f"R{n}", "CREATED",
             "SALESFORCE_TO_FORCEMANAGER", "SUCCESS", False, now) for n in range(301)]
    conn = sql.connection(SyncLogEntry)
    step = sql._rows_per_statement(conn, len(rows), len(columns), 200)
    if sql.is_postgres(conn):
        assert step < len(rows)
        assert 200 + len(sql.values_list(conn, step, len(columns))) <= sql.CACHEABLE_SQL
    ids = await sql.insert_rows(SyncLogEntry, columns, rows, returning="id")
    assert ids == sorted(ids) and len(set(ids)) == 301
    stored = await SyncLogEntry.filter(run_id=run.id).order_by("id")
    assert [e.salesforce_id for e in stored] == [r[3] for r in rows]
    assert [e.id for e in stored] == ids

    await sql.update_by_id(SyncRun, run.id, {"progress": '{"ACCOUNT":{"processed":3}}'},
                           add={"created": 2, "failed": 1})
    await sql.update_by_id(SyncRun, run.id, add={"created": 3})
    run = await SyncRun.get(id=run.id)
    assert (run.created, run.failed, run.progress) == (5, 1, {"ACCOUNT": {"processed": 3}})


LOOKUPS = Lookups(
    owners={"005A": 11},
    fallback_owner=99,
    links={Entity.ACCOUNT: {"001X": 501}},
    value_lists={
        "countries": [{"id": 34, "value": "Spain"}, {"id": 34, "value": "Espagne"},
                      {"id": 1, "description": "United States"}],
        "accountTypes": [{"id": 3, "value": "Customer"}],
    },
)


@pytest.mark.parametrize("street", [None, "", "a", "a\n", "\nb", "a\nb", "a\nb\nc", "a\n\nb", "\n"])
def test_a_whole_record_maps_as_field_by_field(street: str | None) -> None:
    record = {"Name": " Acme ", "BillingStreet": street, "BillingCountry": "spain",
              "BillingLatitude": "40.5", "Type": "Nope", "OwnerId": "005Z", "Fax": ""}
    values = from_salesforce(ACCOUNT, record)
    assert set(values) == set(ACCOUNT.salesforce_fields)
    whole = to_forcemanager(ACCOUNT, values, LOOKUPS)  # the planned path
    by_field = [to_forcemanager(ACCOUNT, {key: value}, LOOKUPS) for key, value in values.items()]
    assert whole.payload == {k: v for out in by_field for k, v in out.payload.items()}
    assert whole.readback == {k: v for out in by_field for k, v in out.readback.items()}
    assert whole.owner_fallback is any(out.owner_fallback for out in by_field) is True
    assert whole.payload["countryId"] == 34 and "typeId" not in whole.payload
    lines = (values["BillingStreet"] or "").split("\n", 1)
    assert whole.payload["address1"] == (lines[0] or None)
    assert whole.payload["address2"] == (lines[1].replace("\n", " ") if len(lines) > 1 else None)
    assert whole.readback["BillingStreet"] == (
        "\n".join(line for line in (whole.payload["address1"], whole.payload["address2"])
                  if line) or None
    )
    readback = created_readback(ACCOUNT, whole, {"typeId": 3, **whole.payload}, LOOKUPS)
    # ForceManager names the item its own way: the first item of that id.
    assert readback["BillingCountry"] == "Spain" and readback["Type"] == "Customer"


def test_contact_fields_read_from_salesforce() -> None:
    values = from_salesforce(CONTACT, {"LastName": "  ", "Birthdate": "1980-02-03",
                                       "AccountId": "001X", "Languages__c": None})
    assert values["LastName"] is None and values["Birthdate"] == "1980-02-03"
    assert values["AccountId"] == "001X" and values["Email"] is None
    out = to_forcemanager(CONTACT, values, LOOKUPS)
    assert out.payload["accountId"] == 501 and out.payload["birthday"] == "1980-02-03T00:00:00Z"


def test_value_list_labels_follow_a_replaced_list() -> None:
    lookups = Lookups(value_lists={"countries": [{"id": 1, "value": "Spain"},
                                                 {"id": 1, "value": "Other"}]})
    assert lookups.label("countries", 1) == "Spain"
    assert lookups.label("countries", 2) is None
    lookups.value_lists["countries"] = [{"id": 2, "description": " France "}]
    assert lookups.label("countries", 1) is None
    assert lookups.label("countries", 2) == "France"
    assert lookups.snapshot().label("countries", 2) == "France"


@pytest.mark.parametrize(("raw", "expected"), [
    ("2013-05-07T22:07:19.000+0000", datetime(2013, 5, 7, 22, 7, 19, tzinfo=UTC)),
    ("2013-05-07T22:07:19Z", datetime(2013, 5, 7, 22, 7, 19, tzinfo=UTC)),
    (" 2013-05-08T00:07:19+02:00 ", datetime(2013, 5, 7, 22, 7, 19, tzinfo=UTC)),
    ("2013-05-07T22:07:19.000-0530", datetime(2013, 5, 8, 3, 37, 19, tzinfo=UTC)),
    ("2013-05-07T22:07:19", datetime(2013, 5, 7, 22, 7, 19, tzinfo=UTC)),
])
def test_timestamps_parse_to_utc(raw: str, expected: datetime) -> None:
    parsed = convert.parse_datetime(raw)
    assert parsed == expected and parsed.utcoffset() == timedelta(0)


async def test_new_links_keep_their_bases(db: str) -> None:
    org = await Organization.create(name="Acme", plan="business")
    same = {"Name": "Acme ñ", "Amount": 1.5, "IsActive": True, "Empty": None}
    bases = {
        "001A": {"salesforce": same, "forcemanager": dict(same)},
        "001B": {"salesforce": same, "forcemanager": {**same, "Name": "Other"}},
        "001C": {"salesforce": {}, "forcemanager": {}},
        "001D": {"salesforce": same},
    }
    await store.insert_links(org.id, [
        store.NewLink("ACCOUNT", sf_id, n, values)
        for n, (sf_id, values) in enumerate(bases.items())
    ])
    links = await store.links_by_salesforce(org.id, Entity.ACCOUNT, list(bases))
    assert {sf_id: link.synced_values for sf_id, link in links.items()} == bases
    assert store.synced_values_json(bases["001A"]).count('"Acme') == 2
