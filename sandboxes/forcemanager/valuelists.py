"""The value lists (branches, countries, types, statuses…) in the shapes of the swagger's
*Response models. They are the same for every seed: a customer's lists rarely change."""

from __future__ import annotations

from typing import Any

LANGS = ("ES", "EN", "US", "IT", "DE", "FR", "BR", "DK", "PT", "RU")

_GENERIC: dict[str, list[str]] = {
    "accountTypes": ["Customer", "Prospect", "Partner", "Distributor", "Competitor", "Other"],
    "accountSegments": ["Enterprise", "Mid-market", "Small business", "Public sector"],
    "contactTypes": ["Decision maker", "Buyer", "Technical", "Influencer", "Other"],
    "opportunityTypes": ["New business", "Existing business", "Renewal", "Upsell"],
    "activityTypes": ["Visit", "Call", "Email", "Meeting", "Task", "Check-in"],
    "productFamilies": ["Hardware", "Software", "Services", "Training", "Spare parts"],
    "rates": ["Standard", "Wholesale", "Premium"],
    "genders": ["Male", "Female", "Other"],
    "userTypes": ["Administrator", "Manager", "Sales rep"],
}

_BRANCHES = ["Madrid", "Barcelona", "Valencia", "Lisboa", "Ciudad de México"]

_COUNTRIES = [
    ("Spain", "ES", "ESP", 724, "34"),
    ("Portugal", "PT", "PRT", 620, "351"),
    ("France", "FR", "FRA", 250, "33"),
    ("Italy", "IT", "ITA", 380, "39"),
    ("Germany", "DE", "DEU", 276, "49"),
    ("United Kingdom", "GB", "GBR", 826, "44"),
    ("United States", "US", "USA", 840, "1"),
    ("Mexico", "MX", "MEX", 484, "52"),
    ("Colombia", "CO", "COL", 170, "57"),
    ("Argentina", "AR", "ARG", 32, "54"),
]

_CURRENCIES = [("Euro", "EUR", "€"), ("US Dollar", "USD", "$"), ("Pound sterling", "GBP", "£"),
               ("Mexican peso", "MXN", "$")]

_TIMEZONES = [("Europe/Madrid", "CET", "(UTC+01:00) Madrid"),
              ("Europe/Lisbon", "WET", "(UTC+00:00) Lisbon"),
              ("America/Mexico_City", "CST", "(UTC-06:00) Mexico City"),
              ("UTC", "UTC", "(UTC) Coordinated Universal Time")]

_ACCOUNT_STATUSES = [("Active", False, False), ("Lead", False, False),
                     ("Won customer", True, False), ("Lost", False, True),
                     ("Inactive", False, False)]

# (description, won: 1 won / 2 lost / 0 open, endStatus)
_OPPORTUNITY_STATUSES = [("Prospecting", 0, False), ("Qualification", 0, False),
                         ("Proposal", 0, False), ("Negotiation", 0, False),
                         ("Closed Won", 1, True), ("Closed Lost", 2, True)]

_SALESORDER_STATUSES = [("Draft", False, False), ("Sent", False, False),
                        ("Accepted", True, False), ("Rejected", False, True)]


def _base(i: int, description: str, stamp: str, *, ordered: bool = True) -> dict[str, Any]:
    row: dict[str, Any] = {"id": i}
    if ordered:
        row["order"] = i
    row["deleted"] = False
    row["description"] = description
    for lang in LANGS:
        row[f"description{lang}"] = description
    row |= {
        "dateCreated": stamp,
        "dateUpdated": stamp,
        "dateDeleted": None,
        "salesRepIdCreated": 1,
        "salesRepIdUpdated": 1,
        "salesRepIdDeleted": None,
    }
    return row


def _details(row: dict[str, Any], text: str) -> dict[str, Any]:
    row["statusDetails"] = text
    for lang in LANGS[1:]:
        row[f"statusDetails{lang}"] = text
    return row


def build_value_lists(stamp: str) -> dict[str, list[dict[str, Any]]]:
    """All value lists, rows in id order, stamped with one creation date."""
    lists: dict[str, list[dict[str, Any]]] = {}
    for name, labels in _GENERIC.items():
        lists[name] = [
            _base(i, label, stamp)
            | {"branchVisibility": [], "internal": False, "computeSfm": False, "visitCycle": 0}
            for i, label in enumerate(labels, 1)
        ]
    lists["branches"] = [
        _base(i, label, stamp)
        | {"default": i == 1, "imperialSystem": False, "mainEnvironment": i == 1,
           "currencyId": {"id": 1, "value": "Euro"}, "timeZoneId": {"id": 1, "value": "CET"}}
        for i, label in enumerate(_BRANCHES, 1)
    ]
    lists["countries"] = [
        _base(i, name, stamp)
        | {"iso2": iso2, "iso3": iso3, "isoNum": num, "phoneCode": phone, "strName": name}
        for i, (name, iso2, iso3, num, phone) in enumerate(_COUNTRIES, 1)
    ]
    lists["currencies"] = [
        _base(i, name, stamp) | {"isoCode": code, "symbol": symbol}
        for i, (name, code, symbol) in enumerate(_CURRENCIES, 1)
    ]
    lists["timezones"] = [
        _base(i, short, stamp, ordered=False)
        | {"idIanaZone": iana, "shortDescription": short, "fullDescription": full}
        for i, (iana, short, full) in enumerate(_TIMEZONES, 1)
    ]
    lists["accountStatuses"] = [
        _base(i, label, stamp) | {"branchVisibility": [], "won": won, "lost": lost}
        for i, (label, won, lost) in enumerate(_ACCOUNT_STATUSES, 1)
    ]
    lists["opportunityStatuses"] = [
        _details(_base(i, label, stamp), label)
        | {"branchVisibility": [], "idParent": 0, "won": won, "endStatus": end}
        for i, (label, won, end) in enumerate(_OPPORTUNITY_STATUSES, 1)
    ]
    lists["salesorderStatuses"] = [
        _details(_base(i, label, stamp), label)
        | {"branchVisibility": [], "won": won, "lost": lost}
        for i, (label, won, lost) in enumerate(_SALESORDER_STATUSES, 1)
    ]
    return lists


VALUE_LISTS = tuple(sorted({*_GENERIC, "branches", "countries", "currencies", "timezones",
                            "accountStatuses", "opportunityStatuses", "salesorderStatuses"}))
