"""Seeded demo data: the customer's ForceManager as it is before the integration is enabled.

Faker fills small pools of names, streets and companies once per seed; rows are then drawn
from the pools with a seeded random generator, which keeps several hundred thousand rows
fast to build and the same for the same seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from faker import Faker

from sandboxes.forcemanager.store import Store
from sandboxes.forcemanager.timefmt import format_time, to_ms
from sandboxes.people import generate_team

# Seeded dates are spread over the two years before this instant, whatever today is, so the
# same seed gives the same data; writes made later are stamped with the real time.
ANCHOR = datetime(2025, 6, 1, tzinfo=UTC)
_TWO_YEARS_MS = 730 * 24 * 3600 * 1000
_POOL = 300


@dataclass(frozen=True)
class Sizes:
    accounts: int = 40
    contacts: int | None = None  # default: 2 per account
    opportunities: int | None = None  # default: 1 per account
    activities: int | None = None  # default: 2 per account
    products: int = 25
    salesorders: int | None = None  # default: 1 per 4 accounts
    users: int = 12
    deleted_share: float = 0.03

    def of(self, name: str) -> int:
        value = getattr(self, name)
        if value is not None:
            return value
        per_account = {"contacts": 2, "opportunities": 1, "activities": 2, "salesorders": 0.25}
        return int(self.accounts * per_account[name])


@dataclass(frozen=True)
class _Pools:
    companies: tuple[str, ...]
    streets: tuple[str, ...]
    places: tuple[tuple[str, str, str], ...]  # city, postcode, region
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    words: tuple[str, ...]
    phones: tuple[str, ...]


@lru_cache(maxsize=8)
def _pools(seed: int) -> _Pools:
    fake = Faker(["es_ES", "en_US"])
    fake.seed_instance(seed)
    es = fake["es_ES"]
    return _Pools(
        companies=tuple(dict.fromkeys(fake.company() for _ in range(_POOL))),
        streets=tuple(es.street_address() for _ in range(_POOL)),
        places=tuple((es.city(), es.postcode(), es.state()) for _ in range(_POOL // 3)),
        first_names=tuple(fake.first_name() for _ in range(_POOL)),
        last_names=tuple(fake.last_name() for _ in range(_POOL)),
        words=tuple(fake.word() for _ in range(_POOL)),
        phones=tuple(es.phone_number() for _ in range(_POOL)),
    )


class _Seeder:
    def __init__(self, store: Store, seed: int, sizes: Sizes) -> None:
        self.store = store
        self.seed = seed
        self.rng = random.Random(seed)
        self.pools = _pools(seed)
        self.sizes = sizes
        self.anchor = to_ms(ANCHOR)
        self.user_ids: list[int] = []

    def stamps(self) -> dict[str, Any]:
        created = self.anchor - self.rng.randrange(_TWO_YEARS_MS)
        updated = created + self.rng.randrange(self.anchor - created + 1)
        row: dict[str, Any] = {"dateCreated": created, "dateUpdated": updated, "deleted": False}
        owner = self.rng.choice(self.user_ids) if self.user_ids else None
        if owner:
            row["salesRepIdCreated"] = owner
            row["salesRepIdUpdated"] = owner
        if self.rng.random() < self.sizes.deleted_share:
            row["deleted"] = True
            row["dateDeleted"] = updated
            row["salesRepIdDeleted"] = owner
        return row

    def address(self) -> dict[str, Any]:
        city, postcode, region = self.rng.choice(self.pools.places)
        return {
            "address1": self.rng.choice(self.pools.streets),
            "city": city,
            "postcode": postcode,
            "region": region,
            "countryId": 1 if self.rng.random() < 0.8 else self.rng.randint(2, 10),
        }

    def pick(self, count: int) -> int:
        return self.rng.randint(1, count)

    def users(self) -> None:
        team = generate_team(self.seed, size=self.sizes.users)
        rows = []
        for i, person in enumerate(team.forcemanager, 1):
            rows.append({
                "id": i,
                "name": person.first_name,
                "lastName": person.last_name,
                "email": person.email,
                "isActive": person.active,
                "idPrefix": "",
                "phone": self.rng.choice(self.pools.phones),
                "locale": "es-ES",
                "dbLanguage": "es",
                "uiLanguage": "es",
                "level": 1 if i == 1 else 3,
                "billable": True,
                "computeSfm": True,
                "branchRestriction": False,
                "branches": 1 + (i % 3),
                "userTypeId": 1 if i == 1 else 3,
                "managerId": None if i == 1 else 1,
                "dateCreated": self.anchor - (400 - i) * 86_400_000,
                "dateUpdated": self.anchor - (400 - i) * 86_400_000,
                "lastPasswordChangeDate": self.anchor - 30 * 86_400_000,
                "deleted": False,
            })
        self.store.load("users", rows)
        self.user_ids = [r["id"] for r in rows if r["isActive"]]
        self.store.api_user_id = 1

    def accounts(self) -> None:
        p, rng = self.pools, self.rng
        rows = []
        for i in range(1, self.sizes.accounts + 1):
            name = rng.choice(p.companies)
            if rng.random() < 0.5:
                name = f"{name} {rng.choice(p.places)[0]}"
            domain = "".join(c for c in name.lower() if c.isascii() and c.isalnum())[:20]
            row = {
                "id": i,
                "name": name,
                "branchId": self.pick(5),
                "salesRepId1": rng.choice(self.user_ids),
                "typeId": self.pick(6),
                "statusId": self.pick(5),
                "phone": rng.choice(p.phones),
                "email": f"info@{domain or 'company'}.example.com",
                "website": f"https://www.{domain or 'company'}.example.com",
                "vatNumber": f"B{rng.randrange(10**7, 10**8)}",
                "latitude": round(rng.uniform(36.0, 43.5), 6),
                "longitude": round(rng.uniform(-9.0, 3.2), 6),
                "geocoded": True,
                **self.address(),
                **self.stamps(),
            }
            if rng.random() < 0.2:
                row["salesRepId2"] = rng.choice(self.user_ids)
            if rng.random() < 0.3:
                row["comment"] = " ".join(rng.sample(p.words, 6)).capitalize() + "."
            if rng.random() < 0.7:
                row["Z_Potencial"] = rng.choice(("Alto", "Medio", "Bajo"))
            if rng.random() < 0.5:
                row["Z_NumeroVisitas"] = rng.randint(0, 40)
            rows.append(row)
        self.store.load("accounts", rows)

    def contacts(self) -> None:
        p, rng = self.pools, self.rng
        accounts = self.sizes.accounts
        rows = []
        for i in range(1, self.sizes.of("contacts") + 1):
            first, last = rng.choice(p.first_names), rng.choice(p.last_names)
            row = {
                "id": i,
                "firstName": first,
                "lastName": last,
                "email": f"{first}.{last}@example.com".lower().replace(" ", ""),
                "phone1": rng.choice(p.phones),
                "salesRepId": rng.choice(self.user_ids),
                "typeId": self.pick(5),
                **self.stamps(),
            }
            if accounts:
                row["accountId"] = self.pick(accounts)
            rows.append(row)
        self.store.load("contacts", rows)

    def opportunities(self) -> None:
        p, rng = self.pools, self.rng
        accounts = self.sizes.accounts
        rows = []
        for i in range(1, self.sizes.of("opportunities") + 1):
            status = self.pick(6)
            stamps = self.stamps()
            row = {
                "id": i,
                "reference": f"{rng.choice(p.words).capitalize()} {rng.choice(p.words)} #{i}",
                "statusId": status,
                "type_id": self.pick(4),
                "salesRepId": rng.choice(self.user_ids),
                "total": round(rng.uniform(500, 250_000), 2),
                "currencyId": 1,
                "salesProbability": (10, 25, 50, 75, 100, 0)[status - 1],
                "salesForeCastDate": stamps["dateCreated"] + rng.randrange(90) * 86_400_000,
                "branchId": self.pick(5),
                **stamps,
            }
            if accounts:
                row["accountId1"] = self.pick(accounts)
            if status == 5:
                row["wonDate"] = row["closedDate"] = stamps["dateUpdated"]
            elif status == 6:
                row["lostDate"] = row["closedDate"] = stamps["dateUpdated"]
            rows.append(row)
        self.store.load("opportunities", rows)

    def activities(self) -> None:
        p, rng = self.pools, self.rng
        accounts, contacts = self.sizes.accounts, self.sizes.of("contacts")
        kinds = ("Visit", "Call", "Email", "Meeting", "Task", "Check-in")
        rows = []
        for i in range(1, self.sizes.of("activities") + 1):
            type_id = self.pick(6)
            stamps = self.stamps()
            row = {
                "id": i,
                "subject": f"{kinds[type_id - 1]}: {rng.choice(p.words)}",
                "typeId": type_id,
                "activityDate": stamps["dateCreated"],
                "durationMinutes": rng.choice((15, 30, 45, 60, 90)),
                "salesRepId": rng.choice(self.user_ids),
                "completed": stamps["dateCreated"] < self.anchor - 7 * 86_400_000,
                **stamps,
            }
            if accounts:
                row["accountId"] = self.pick(accounts)
            if contacts and rng.random() < 0.6:
                row["contactId"] = self.pick(contacts)
            rows.append(row)
        self.store.load("activities", rows)

    def products(self) -> None:
        p, rng = self.pools, self.rng
        rows = []
        for i in range(1, self.sizes.products + 1):
            price = round(rng.uniform(5, 5_000), 2)
            rows.append({
                "id": i,
                "name": f"{rng.choice(p.words).capitalize()} {rng.choice(p.words)} {i}",
                "productCode": f"P-{i:05d}",
                "familyId": self.pick(5),
                "price": price,
                "cost": round(price * rng.uniform(0.4, 0.8), 2),
                "currencyId": 1,
                "available": rng.random() < 0.9,
                **self.stamps(),
            })
        self.store.load("products", rows)

    def salesorders(self) -> None:
        rng = self.rng
        accounts, products = self.sizes.accounts, self.sizes.products
        orders, lines = [], []
        for i in range(1, self.sizes.of("salesorders") + 1):
            if not accounts:
                break
            stamps = self.stamps()
            order = {
                "id": i,
                "reference": f"SO-{i:06d}",
                "number": i,
                "year": 2025,
                "statusId": self.pick(4),
                "accountId": self.pick(accounts),
                "salesRepId": rng.choice(self.user_ids),
                "currencyId": 1,
                "branchId": self.pick(5),
                **stamps,
            }
            total = 0.0
            for n in range(rng.randint(1, 3) if products else 0):
                quantity, price = rng.randint(1, 20), round(rng.uniform(5, 500), 2)
                total += quantity * price
                lines.append({
                    "id": len(lines) + 1,
                    "salesOrderId": i,
                    "productId": self.pick(products),
                    "quantity": quantity,
                    "price": price,
                    "total": round(quantity * price, 2),
                    "order": n + 1,
                    **{k: v for k, v in stamps.items() if not k.startswith("salesRep")},
                })
            order["total"] = round(total, 2)
            orders.append(order)
        self.store.load("salesorders", orders)
        self.store.load("salesordersLines", lines)


def seed_store(store: Store, seed: int = 1, sizes: Sizes | None = None) -> None:
    sizes = sizes or Sizes()
    seeder = _Seeder(store, seed, sizes)
    stamp = format_time(seeder.anchor - 800 * 86_400_000) or ""
    store.load_value_lists(stamp)
    created = seeder.anchor - 500 * 86_400_000
    store.add_extra_field("accounts", "Z_Potencial", "list", "Potencial",
                          ["Alto", "Medio", "Bajo"], stamp=created)
    store.add_extra_field("accounts", "Z_NumeroVisitas", "decimal", "Número de visitas",
                          stamp=created)
    store.add_extra_field("contacts", "Z_Aficiones", "text", "Aficiones", stamp=created)
    seeder.users()
    seeder.accounts()
    seeder.contacts()
    seeder.opportunities()
    seeder.activities()
    seeder.products()
    seeder.salesorders()
