"""The three-way merge (pure): one-sided changes flow, Salesforce wins conflicts, echoes
are no change."""

from __future__ import annotations

from workers.sync.merge import merge

KEYS = ["Name", "Phone", "Website"]
BASE = {"Name": "Acme", "Phone": "1", "Website": "a.example"}


def test_echo_of_our_own_write_is_no_change() -> None:
    result = merge(KEYS, BASE, BASE, dict(BASE), dict(BASE), bidirectional=True)
    assert result.empty and not result.conflicts


def test_salesforce_change_flows_to_forcemanager() -> None:
    result = merge(KEYS, BASE, BASE, {**BASE, "Phone": "2"}, None, bidirectional=True)
    assert result.to_forcemanager == {"Phone": "2"} and not result.to_salesforce


def test_forcemanager_change_flows_back_only_when_bidirectional() -> None:
    fm = {**BASE, "Website": "b.example"}
    both_ways = merge(KEYS, BASE, BASE, None, fm, bidirectional=True)
    assert both_ways.to_salesforce == {"Website": "b.example"}
    one_way = merge(KEYS, BASE, BASE, None, fm, bidirectional=False)
    assert not one_way.to_salesforce
    assert one_way.to_forcemanager == {"Website": "a.example"}


def test_field_changed_on_both_sides_salesforce_wins_and_the_loser_is_kept() -> None:
    result = merge(
        KEYS, BASE, BASE,
        {**BASE, "Phone": "sf"}, {**BASE, "Phone": "fm", "Website": "fm.example"},
        bidirectional=True,
    )
    assert result.to_forcemanager == {"Phone": "sf"}
    assert result.to_salesforce == {"Website": "fm.example"}
    assert result.conflicts == {"Phone": {"salesforce": "sf", "forcemanager": "fm"}}


def test_same_new_value_on_both_sides_is_no_conflict() -> None:
    result = merge(KEYS, BASE, BASE, {**BASE, "Name": "X"}, {**BASE, "Name": "X"},
                   bidirectional=True)
    assert result.empty and not result.conflicts
    assert result.salesforce_base["Name"] == result.forcemanager_base["Name"] == "X"


def test_lossy_side_bases_do_not_echo() -> None:
    # The Salesforce owner had no match: ForceManager holds the fallback user.
    sf_base = {"OwnerId": "005Z"}
    fm_base = {"OwnerId": "fm:99"}
    result = merge(["OwnerId"], sf_base, fm_base, dict(sf_base), dict(fm_base),
                   bidirectional=True)
    assert result.empty
