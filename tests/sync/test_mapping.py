"""Field maps and conversions, record by record (pure functions)."""

from __future__ import annotations

from server.entities import Entity
from workers.sync import convert
from workers.sync.fields import ACCOUNT, CONTACT, OPPORTUNITY, custom_field, extra_field_name
from workers.sync.mapping import (
    Lookups,
    from_forcemanager,
    from_salesforce,
    to_forcemanager,
    to_salesforce,
)

LOOKUPS = Lookups(
    owners={"005A": 11, "005B": 12},
    fallback_owner=99,
    links={Entity.ACCOUNT: {"001X": 501}},
    value_lists={
        "countries": [{"id": 34, "value": "Spain"}, {"id": 1, "value": "United States"}],
        "accountTypes": [{"id": 3, "value": "Customer"}],
        "opportunityStatuses": [{"id": 7, "value": "Prospecting"}],
    },
)


def test_salesforce_timestamps_and_dates_normalise() -> None:
    assert convert.datetime_value("2013-05-07T22:07:19.000+0000") == "2013-05-07T22:07:19Z"
    assert convert.datetime_value("2013-05-08T00:07:19+02:00") == "2013-05-07T22:07:19Z"
    assert convert.date_value("2025-03-01T00:00:00Z") == "2025-03-01"
    assert convert.number("12.50") == 12.5 and convert.number(3.0) == 3
    assert convert.text("  ") is None
    assert convert.multi("b;a") == convert.multi(["a", {"id": 2, "value": "b"}]) == "a;b"


def test_account_to_forcemanager_maps_address_owner_and_value_lists() -> None:
    record = {
        "Name": "Acme",
        "BillingStreet": "Calle Mayor 1\nPiso 2",
        "BillingCity": "Madrid",
        "BillingPostalCode": "28013",
        "BillingState": "Madrid",
        "BillingCountry": "spain",
        "BillingLatitude": 40.4168,
        "BillingLongitude": -3.7038,
        "Phone": "+34 600",
        "Website": "acme.example",
        "Description": "Big one",
        "Type": "Customer",
        "OwnerId": "005A",
        "Fax": None,
    }
    values = from_salesforce(ACCOUNT, record)
    out = to_forcemanager(ACCOUNT, values, LOOKUPS)
    assert out.payload["address1"] == "Calle Mayor 1"
    assert out.payload["address2"] == "Piso 2"
    assert out.payload["countryId"] == 34
    assert out.payload["typeId"] == 3
    assert out.payload["salesRepId1"] == 11
    assert out.payload["comment"] == "Big one"
    assert out.payload["latitude"] == 40.4168
    assert out.owner_fallback is False


def test_forcemanager_read_back_equals_what_was_written() -> None:
    values = from_salesforce(
        ACCOUNT,
        {"Name": "Acme", "BillingStreet": "Calle Mayor 1\nPiso 2", "BillingCountry": "Spain",
         "OwnerId": "005B", "Type": "Customer"},
    )
    out = to_forcemanager(ACCOUNT, values, LOOKUPS)
    fm_record = {k: v for k, v in out.payload.items()}
    fm_record["countryId"] = {"id": 34, "value": "Spain"}
    fm_record["salesRepId1"] = {"id": 12, "value": "B"}
    fm_record["typeId"] = {"id": 3, "value": "Customer"}
    assert from_forcemanager(ACCOUNT, fm_record, LOOKUPS) == {**values, **out.readback}
    assert out.readback == values


def test_unmatched_owner_goes_to_fallback_and_is_flagged() -> None:
    out = to_forcemanager(ACCOUNT, {"Name": "X", "OwnerId": "005Z"}, LOOKUPS)
    assert out.payload["salesRepId1"] == 99
    assert out.owner_fallback is True
    assert out.readback["OwnerId"] == "fm:99"


def test_references_follow_record_links_both_ways() -> None:
    out = to_forcemanager(CONTACT, {"LastName": "Ruiz", "AccountId": "001X"}, LOOKUPS)
    assert out.payload["accountId"] == 501
    read = from_forcemanager(CONTACT, {"lastName": "Ruiz", "accountId": {"id": 501}}, LOOKUPS)
    assert read["AccountId"] == "001X"
    # A parent never synced is left out of the write instead of being guessed.
    unknown = to_forcemanager(CONTACT, {"AccountId": "001NOPE"}, LOOKUPS)
    assert "accountId" not in unknown.payload


def test_forcemanager_values_without_counterpart_are_not_written_to_salesforce() -> None:
    read = from_forcemanager(
        CONTACT, {"lastName": "Ruiz", "accountId": {"id": 777}, "salesRepId": {"id": 55}},
        LOOKUPS,
    )
    out = to_salesforce(CONTACT, read)
    assert "AccountId" not in out.payload and "OwnerId" not in out.payload
    assert out.payload["LastName"] == "Ruiz"


def test_opportunity_close_date_is_a_date_on_both_sides() -> None:
    values = from_salesforce(OPPORTUNITY, {"Name": "Deal", "CloseDate": "2025-06-30",
                                           "Amount": 1000.0, "StageName": "Prospecting"})
    out = to_forcemanager(OPPORTUNITY, values, LOOKUPS)
    assert out.payload["salesForeCastDate"] == "2025-06-30T00:00:00Z"
    assert out.payload["statusId"] == 7
    assert out.payload["total"] == 1000
    back = from_forcemanager(OPPORTUNITY, {**out.payload, "statusId": {"id": 7}}, LOOKUPS)
    assert back["CloseDate"] == "2025-06-30" and back["StageName"] == "Prospecting"


def test_custom_fields_map_to_z_extra_fields_with_a_type() -> None:
    assert extra_field_name("SLA__c") == "Z_SLA"
    field = custom_field("NumberofLocations__c", "double")
    assert field is not None and field.forcemanager == "Z_NumberofLocations"
    assert custom_field("Geo__c", "location") is None
    emap = ACCOUNT.with_fields([field])
    out = to_forcemanager(emap, from_salesforce(emap, {"NumberofLocations__c": 4.0}), LOOKUPS)
    assert out.payload["Z_NumberofLocations"] == 4


def test_activity_what_id_goes_to_the_account_or_the_opportunity() -> None:
    from workers.sync.fields import TASK

    lookups = Lookups(links={Entity.ACCOUNT: {"001X": 501},
                             Entity.OPPORTUNITY: {"006Y": 77}})
    on_account = to_forcemanager(TASK, {"WhatId": "001X"}, lookups)
    assert on_account.payload == {"accountId": 501}
    on_opportunity = to_forcemanager(TASK, {"WhatId": "006Y"}, lookups)
    assert on_opportunity.payload == {"opportunityId": 77}
    # Read back, the opportunity is the more specific parent.
    both = {"accountId": {"id": 501}, "opportunityId": {"id": 77}}
    assert from_forcemanager(TASK, both, lookups)["WhatId"] == "006Y"
    assert from_forcemanager(TASK, {"accountId": {"id": 501}}, lookups)["WhatId"] == "001X"
    cleared = to_forcemanager(TASK, {"WhatId": None}, lookups)
    assert cleared.payload == {"accountId": None, "opportunityId": None}
