"""The sales team both sandboxes share, from one seed, so their users line up the way a real
customer's do: most names equal, some equal only ignoring case, accents or spaces, some
spelled differently, and some people present in only one CRM."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from faker import Faker


@dataclass(frozen=True)
class SandboxUser:
    first_name: str
    last_name: str
    email: str
    active: bool = True

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Team:
    salesforce: list[SandboxUser]
    forcemanager: list[SandboxUser]


def generate_team(seed: int = 1, size: int = 12) -> Team:
    """size people; roughly: 60% same name, 10% same ignoring case/accents/spaces,
    10% spelled differently, 10% Salesforce only, 10% ForceManager only."""
    fake = Faker(["es_ES", "en_US"])
    fake.seed_instance(seed)
    rng = random.Random(seed)
    salesforce: list[SandboxUser] = []
    forcemanager: list[SandboxUser] = []
    seen: set[str] = set()
    i = 0
    while len(seen) < size:
        first, last = fake.first_name(), fake.last_name()
        if f"{first} {last}".lower() in seen:
            continue
        seen.add(f"{first} {last}".lower())
        email = f"{first}.{last}@example.com".lower().replace(" ", "")
        person = SandboxUser(first, last, email)
        kind = i % 10
        i += 1
        if kind == 7:  # only in Salesforce
            salesforce.append(person)
        elif kind == 8:  # only in ForceManager
            forcemanager.append(person)
        elif kind == 5:  # same name but for case and stray spaces
            salesforce.append(person)
            forcemanager.append(SandboxUser(first.upper(), f" {_plain(last)}  ", email))
        elif kind == 6:  # spelled differently: a person must match these by hand
            salesforce.append(person)
            forcemanager.append(SandboxUser(first[:1] + ".", last, email))
        else:
            salesforce.append(person)
            forcemanager.append(person)
    rng.shuffle(forcemanager)
    return Team(salesforce, forcemanager)


def _plain(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
