"""The sandbox's `where` language, checked directly on rows (no server needed)."""

from __future__ import annotations

import pytest

from sandboxes.forcemanager.fields import Kind
from sandboxes.forcemanager.timefmt import format_time, parse_time
from sandboxes.forcemanager.where import WhereError, compile_where, parse_order

KINDS = {"id": Kind.INT, "name": Kind.TEXT, "total": Kind.DECIMAL, "deleted": Kind.BOOL,
         "dateUpdated": Kind.DATETIME, "branchId": Kind.FK}
ROWS = [
    {"id": 1, "name": "Alpha", "total": 10.5, "deleted": False, "branchId": 1,
     "dateUpdated": parse_time("2025-01-01T10:00:00Z")},
    {"id": 2, "name": "beta", "total": 3, "deleted": True, "branchId": 2,
     "dateUpdated": parse_time("2025-01-02T10:00:00.250Z")},
    {"id": 3, "name": "Gamma's", "deleted": False,
     "dateUpdated": parse_time("2025-01-03T00:00:00Z")},
]


def matching(where: str) -> list[int]:
    plan = compile_where(where, KINDS.get)
    return [r["id"] for r in ROWS if plan.predicate(r)]


@pytest.mark.parametrize(
    ("where", "ids"),
    [
        ("", [1, 2, 3]),
        ("id = 2", [2]),
        ("id <> 2", [1, 3]),
        ("id IN (1,3)", [1, 3]),
        ("id not in (1, 3)", [2]),
        ("deleted = true", [2]),
        ("deleted = 0", [1, 3]),
        ("total > 3", [1]),
        ("total >= 3", [1, 2]),
        ("total IS NULL", [3]),
        ("branchId is not null and branchId = 2", [2]),
        ("name = 'Gamma''s'", [3]),
        ("name LIKE 'a%'", [1]),
        ("name like '_eta'", [2]),
        ("name NOT LIKE '%a%'", []),
        ("id = 1 OR id = 2 AND deleted = false", [1]),  # AND binds tighter than OR
        ("(id = 1 OR id = 2) AND deleted = false", [1]),
        ("NOT (id = 1 OR id = 3)", [2]),
        ("dateUpdated > '2025-01-02T10:00:00.250Z'", [3]),
        ("dateUpdated >= '2025-01-02T10:00:00.250Z'", [2, 3]),
        ("dateUpdated > '2025-01-02T10:00:00.2499Z'", [2, 3]),  # sub-millisecond is exact
        ("dateUpdated > '2025-01-02T12:00:00+02:00'", [2, 3]),  # offsets are honoured
        ("dateUpdated < '2025-01-02'", [1]),
        ("name = null", []),
        ("name != null", [1, 2, 3]),
    ],
)
def test_filters_select_the_rows_they_describe(where, ids):
    assert matching(where) == ids


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("colour = 'red'", "unknown field 'colour'"),
        ("id =", "expected a value"),
        ("id = 1 AND", "unexpected end"),
        ("(id = 1", "expected )"),
        ("id = 1)", "unexpected ')'"),
        ("id = 'one'", "not a valid integer"),
        ("total = true", "not a valid decimal"),
        ("dateUpdated > 5", "not a valid datetime"),
        ("dateUpdated > 'last week'", "not a valid datetime"),
        ("name > null", "IS NULL"),
        ("id = 1 # comment", "unexpected character"),
        ("name LIKE 5", "expected a 'quoted' text"),
        ("= 5", "expected a field name"),
        ("id 5", "expected a comparison"),
        ("id NOT = 1", "expected IN or LIKE"),
    ],
)
def test_filters_it_cannot_read_say_why(where, says):
    with pytest.raises(WhereError) as caught:
        compile_where(where, KINDS.get)
    assert says in str(caught.value)


def test_the_plan_names_what_an_index_can_narrow():
    plan = compile_where(
        "dateUpdated > '2025-01-01T00:00:00Z' AND dateUpdated >= '2025-02-01T00:00:00Z' "
        "AND id IN (1, 2, 3) AND id = 2", KINDS.get
    )
    assert plan.updated_after == parse_time("2025-02-01T00:00:00Z")
    assert plan.ids == {2}
    # Under OR nothing can be narrowed: every row must be looked at.
    loose = compile_where("dateUpdated > '2025-01-01T00:00:00Z' OR id = 1", KINDS.get)
    assert loose.updated_after is None and loose.ids is None


def test_order_parsing():
    assert parse_order("name DESC, id", KINDS.get) == [("name", True), ("id", False)]
    assert parse_order(None, KINDS.get) == []
    for bad in ("colour", "name sideways", "name DESC,"):
        with pytest.raises(WhereError):
            parse_order(bad, KINDS.get)


def test_times_round_trip_in_the_wire_format():
    stamp = "2025-03-01T10:15:30.123Z"
    assert format_time(parse_time(stamp)) == stamp
    assert format_time(parse_time("2025-03-01T11:15:30.123+01:00")) == stamp
    assert format_time(None) is None
