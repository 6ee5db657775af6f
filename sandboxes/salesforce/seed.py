"""Reproducible demo data: the same seed (and the same `now`) gives the same records.

Faker is slow per call, so it only fills small pools of names, streets, cities and sentences
once; records are then composed from the pools with a seeded random.Random, which keeps a
hundred thousand records within a few seconds."""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from faker import Faker

from sandboxes.people import generate_team
from sandboxes.salesforce.schema import (
    ACCOUNT_TYPES,
    FAMILIES,
    INDUSTRIES,
    INTERESTS,
    LEAD_SOURCES,
    OBJECTS,
    SEGMENTS,
    STAGES,
)
from sandboxes.salesforce.store import Row, Store
from sandboxes.salesforce.values import format_datetime

ADMIN_USERNAME = "admin@sandbox.example.com"

_POOL = 400
_NOT_ALNUM = re.compile(r"[\W_]+")
_SUFFIXES = ["", " Iberia", " Group", " Holdings", " Logistics", " Solutions", " Partners",
             " Industrial", " Retail", " Services", " International", " Labs", " Foods",
             " Energía", " Consulting", " Trading", " Systems", " Distribución"]
_SITES = [
    # (country, state, latitude range, longitude range, faker locale)
    ("Spain", None, (36.5, 43.4), (-8.8, 3.0), "es_ES"),
    ("United States", "state", (30.0, 47.0), (-122.0, -71.0), "en_US"),
]


@dataclass(frozen=True)
class SeedSizes:
    accounts: int = 30
    contacts: int | None = None  # None: twice the accounts
    opportunities: int | None = None  # None: as many as accounts
    tasks: int | None = None  # None: as many as accounts
    events: int | None = None  # None: half the accounts
    products: int = 20
    users: int = 12  # the sales team (sandboxes.people), plus the API admin user

    def resolved(self) -> dict[str, int]:
        a = self.accounts
        return {
            "Account": a,
            "Contact": 2 * a if self.contacts is None else self.contacts,
            "Opportunity": a if self.opportunities is None else self.opportunities,
            "Task": a if self.tasks is None else self.tasks,
            "Event": a // 2 if self.events is None else self.events,
            "Product2": self.products,
        }


@functools.lru_cache(maxsize=8)
def _pools(seed: int) -> _Pools:
    return _Pools(seed)


class _Pools:
    """Read-only lists of realistic values, shared by every sandbox with the same seed."""

    def __init__(self, seed: int) -> None:
        self.sites = []
        for country, state_kind, lat, lon, locale in _SITES:
            fake = Faker(locale)
            fake.seed_instance(seed)
            self.sites.append(
                {
                    "country": country,
                    "lat": lat,
                    "lon": lon,
                    "streets": [fake.street_address() for _ in range(_POOL)],
                    "cities": [fake.city() for _ in range(_POOL // 4)],
                    "postcodes": [fake.postcode() for _ in range(_POOL // 4)],
                    "states": [fake.state() if state_kind else fake.region()
                               for _ in range(40)],
                    "phones": [fake.phone_number() for _ in range(_POOL)],
                    "companies": [fake.company() for _ in range(_POOL)],
                    "first": [fake.first_name() for _ in range(_POOL)],
                    "last": [fake.last_name() for _ in range(_POOL)],
                }
            )
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.sentences = [fake.catch_phrase() + ". " + fake.sentence(12) for _ in range(_POOL)]
        self.titles = [fake.job() for _ in range(_POOL // 4)]
        self.words = [fake.word().capitalize() for _ in range(_POOL)]


class _Dice:
    """random.Random's choice/randrange without their rejection sampling: several times
    faster, which matters at a hundred thousand records, and just as reproducible."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self.random = self._rng.random

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def sample(self, population: Sequence[Any], k: int) -> list[Any]:
        return self._rng.sample(population, k)


def seed_store(store: Store, seed: int, sizes: SeedSizes, now: datetime) -> None:
    rng = _Dice(seed)
    pools = _pools(seed)
    maker = _Maker(store, rng, now)
    team = generate_team(seed, sizes.users)
    admin = maker.user("Sandbox", "Admin", ADMIN_USERNAME, ADMIN_USERNAME, True, "Europe/Madrid")
    store.admin_user_id = admin
    owners = [
        maker.user(p.first_name, p.last_name, p.email, p.email.replace("@", ".sf@"), p.active,
                   rng.choice(["Europe/Madrid", "Europe/London", "America/New_York"]))
        for p in team.salesforce
    ]
    store.bulk_load("User", maker.take())
    counts = sizes.resolved()

    account_ids = []
    account_names = set()
    for n in range(counts["Account"]):
        site = rng.choice(pools.sites)
        name = rng.choice(site["companies"]) + rng.choice(_SUFFIXES)
        if name in account_names:
            name = f"{name} {rng.choice(site['cities'])}"
        if name in account_names:
            name = f"{name} {n}"
        account_names.add(name)
        slug = _NOT_ALNUM.sub("", name.lower())[:24]
        account_ids.append(
            maker.row(
                "Account",
                owner=rng.choice(owners),
                Name=name,
                Type=rng.choice(ACCOUNT_TYPES),
                BillingStreet=rng.choice(site["streets"]),
                BillingCity=rng.choice(site["cities"]),
                BillingState=rng.choice(site["states"]),
                BillingPostalCode=rng.choice(site["postcodes"]),
                BillingCountry=site["country"],
                BillingLatitude=round(rng.uniform(*site["lat"]), 6),
                BillingLongitude=round(rng.uniform(*site["lon"]), 6),
                Phone=rng.choice(site["phones"]),
                AccountNumber=f"CD{rng.randrange(100000, 999999)}",
                Website=f"https://www.{slug}.example.com",
                Industry=rng.choice(INDUSTRIES),
                AnnualRevenue=float(rng.randrange(1, 5000) * 10000),
                NumberOfEmployees=rng.randrange(1, 5000),
                Description=rng.choice(pools.sentences),
                Rating=rng.choice(["Hot", "Warm", "Cold", None]),
                AccountSource=rng.choice(LEAD_SOURCES),
                CustomerPriority__c=rng.choice(["High", "Low", "Medium"]),
                SLA__c=rng.choice(["Gold", "Silver", "Platinum", "Bronze"]),
                Active__c=rng.choice(["Yes", "No"]),
                NumberofLocations__c=float(rng.randrange(1, 60)),
                SLASerialNumber__c=f"SLA{rng.randrange(1000000):07d}",
                SLAExpirationDate__c=(now.date() + timedelta(days=rng.randrange(-90, 720)))
                .isoformat(),
                Verified__c=rng.random() < 0.6,
                LastAuditDate__c=format_datetime(
                    now - timedelta(minutes=rng.randrange(1, 200_000))
                ),
                Segments__c=";".join(sorted(rng.sample(SEGMENTS, rng.randrange(1, 3)))),
            )
        )
    store.bulk_load("Account", maker.take())

    contact_ids = []
    for _ in range(counts["Contact"]):
        site = rng.choice(pools.sites)
        first, last = rng.choice(site["first"]), rng.choice(site["last"])
        email = f"{first}.{last}{rng.randrange(100)}@example.com".lower().replace(" ", "")
        contact_ids.append(
            maker.row(
                "Contact",
                owner=rng.choice(owners),
                AccountId=rng.choice(account_ids) if account_ids else None,
                FirstName=first,
                LastName=last,
                Salutation=rng.choice(["Mr.", "Ms.", "Mrs.", "Dr."]),
                Title=rng.choice(pools.titles)[:128],
                Email=email,
                Phone=rng.choice(site["phones"]),
                MobilePhone=rng.choice(site["phones"]),
                MailingStreet=rng.choice(site["streets"]),
                MailingCity=rng.choice(site["cities"]),
                MailingPostalCode=rng.choice(site["postcodes"]),
                MailingCountry=site["country"],
                Birthdate=(date(1960, 1, 1) + timedelta(days=rng.randrange(15000))).isoformat(),
                LeadSource=rng.choice(LEAD_SOURCES),
                Description=rng.choice(pools.sentences),
                Languages__c=rng.choice(["English", "Spanish", "English;Spanish", None]),
                Level__c=rng.choice(["Primary", "Secondary", "Tertiary"]),
                NewsletterOptIn__c=rng.random() < 0.4,
                Interests__c=";".join(sorted(rng.sample(INTERESTS, rng.randrange(0, 3))))
                or None,
            )
        )
    store.bulk_load("Contact", maker.take())

    opportunity_ids = []
    for _ in range(counts["Opportunity"]):
        stage = rng.choice(STAGES)
        opportunity_ids.append(
            maker.row(
                "Opportunity",
                owner=rng.choice(owners),
                AccountId=rng.choice(account_ids) if account_ids else None,
                Name=f"{rng.choice(pools.words)} {rng.choice(['renewal', 'expansion', 'pilot', 'rollout', 'upgrade'])}",  # noqa: E501
                Description=rng.choice(pools.sentences),
                StageName=stage,
                Amount=float(rng.randrange(5, 500) * 100),
                Probability=float(rng.choice([10, 20, 40, 60, 75, 90, 100])),
                CloseDate=(now.date() + timedelta(days=rng.randrange(-60, 180))).isoformat(),
                Type=rng.choice(["Existing Customer - Upgrade", "New Customer", None]),
                NextStep=rng.choice(["Send proposal", "Demo", "Call back", None]),
                LeadSource=rng.choice(LEAD_SOURCES),
                DeliveryInstallationStatus__c=rng.choice(["In progress", "Yet to begin", None]),
                TrackingNumber__c=f"TN{rng.randrange(10**9):09d}",
                MainCompetitors__c=rng.choice(["Acme", "Globex", "Initech", None]),
                Discount__c=round(rng.uniform(0, 25), 2),
            )
        )
    store.bulk_load("Opportunity", maker.take())

    whats = account_ids + opportunity_ids
    for _ in range(counts["Task"]):
        maker.row(
            "Task",
            owner=rng.choice(owners),
            WhoId=rng.choice(contact_ids) if contact_ids else None,
            WhatId=rng.choice(whats) if whats else None,
            Subject=rng.choice(["Call", "Send quote", "Follow up", "Email", "Prepare demo"]),
            Description=rng.choice(pools.sentences),
            ActivityDate=(now.date() + timedelta(days=rng.randrange(-30, 30))).isoformat(),
            Status=rng.choice(["Not Started", "In Progress", "Completed"]),
            Priority=rng.choice(["High", "Normal", "Low"]),
            TaskSubtype=rng.choice(["Task", "Email", "Call"]),
            Outcome__c=rng.choice(["Reached", "Left message", "No answer", None]),
        )
    store.bulk_load("Task", maker.take())

    for _ in range(counts["Event"]):
        start = now.replace(minute=0, second=0) + timedelta(hours=rng.randrange(-24 * 30, 24 * 30))
        maker.row(
            "Event",
            owner=rng.choice(owners),
            WhoId=rng.choice(contact_ids) if contact_ids else None,
            WhatId=rng.choice(whats) if whats else None,
            Subject=rng.choice(["Meeting", "Visit", "Lunch", "Demo"]),
            Description=rng.choice(pools.sentences),
            Location=rng.choice(pools.sites[0]["cities"]),
            ActivityDateTime=format_datetime(start),
            DurationInMinutes=rng.choice([30, 60, 90, 120]),
            ShowAs="Busy",
            MeetingType__c=rng.choice(["Visit", "Video call", "Demo"]),
        )
    store.bulk_load("Event", maker.take())

    for n in range(counts["Product2"]):
        maker.row(
            "Product2",
            owner=None,
            Name=f"{rng.choice(pools.words)} {rng.choice(['Pro', 'Lite', 'Max', 'Plus', 'One'])}"
            f" {n + 1}",
            ProductCode=f"P-{n + 1:05d}",
            Description=rng.choice(pools.sentences)[:4000],
            IsActive=rng.random() < 0.9,
            Family=rng.choice(FAMILIES),
            QuantityUnitOfMeasure=rng.choice(["Each", "Box", "Hour"]),
            ListPrice__c=float(rng.randrange(10, 5000)),
            Warranty__c=rng.choice(["1 year", "2 years", None]),
        )
    store.bulk_load("Product2", maker.take())


@functools.cache
def _template(sobject: str) -> tuple[Any, ...]:
    """An empty row: None everywhere but False in booleans."""
    return tuple(False if f.type == "boolean" else None for f in OBJECTS[sobject].fields)


class _Maker:
    """Builds complete rows with audit fields spread over the last 60 days."""

    def __init__(self, store: Store, rng: _Dice, now: datetime) -> None:
        self.store = store
        self.rng = rng
        self.now = now
        self.rows: list[Row] = []
        self.sobject = ""

    def take(self) -> list[Row]:
        rows, self.rows = self.rows, []
        return rows

    def user(self, first: str, last: str, email: str, username: str, active: bool,
             zone: str) -> str:
        alias = (first[:1] + last[:4]).lower()
        return self.row(
            "User", owner=None, FirstName=first, LastName=last, Email=email, Username=username,
            Alias=alias, IsActive=active, TimeZoneSidKey=zone,
            LanguageLocaleKey="es" if zone == "Europe/Madrid" else "en_US", UserType="Standard",
            Title="Sales Representative",
        )

    def row(self, sobject: str, owner: str | None, **values: Any) -> str:
        sob = OBJECTS[sobject]
        pos = sob.positions
        row: Row = list(_template(sobject))
        for name, value in values.items():
            row[pos[name]] = value
        row_id = self.store.new_id(sobject)
        created = self.now - timedelta(seconds=self.rng.randrange(86400, 86400 * 60))
        modified = created + timedelta(
            seconds=self.rng.randrange(0, int((self.now - created).total_seconds()))
        )
        author = owner or self.store.admin_user_id or row_id
        row[pos["Id"]] = row_id
        row[pos["CreatedDate"]] = format_datetime(created)
        row[pos["CreatedById"]] = author
        row[pos["LastModifiedDate"]] = row[pos["SystemModstamp"]] = format_datetime(modified)
        row[pos["LastModifiedById"]] = author
        if "OwnerId" in pos:
            row[pos["OwnerId"]] = owner or self.store.admin_user_id
        self.rows.append(row)
        return row_id
