"""Record ↔ canonical values, both ways, for one entity map.

Owners go through the user matches (an unmatched Salesforce owner becomes the fallback
ForceManager user and the record is flagged), references through the record links, and
picklists through ForceManager value lists. A value the other side cannot hold (a
ForceManager owner with no match, a parent that was never synced) is left out of the write
rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.entities import Entity
from workers.sync import convert
from workers.sync.fields import EntityMap, Field, Kind

# Canonical placeholder for a ForceManager id with no Salesforce counterpart.
UNLINKED = "fm:"

# The kinds as module constants: `Kind.X` goes through the enum's metaclass (~8x a global),
# and these are compared for every non-plain value of every record converted.
_STREET, _OWNER, _REFERENCE, _WHAT = Kind.STREET, Kind.OWNER, Kind.REFERENCE, Kind.WHAT
_VALUE_LIST, _DATE_AS_DATETIME, _MULTI = Kind.VALUE_LIST, Kind.DATE_AS_DATETIME, Kind.MULTI


@dataclass
class Lookups:
    owners: dict[str, int] = field(default_factory=dict)  # Salesforce user → FM user
    fallback_owner: int | None = None
    # Per parent entity: Salesforce id → ForceManager id (kept in step by the engine).
    links: dict[Entity, dict[str, int]] = field(default_factory=dict)
    value_lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._item_index: dict[str, tuple[list[dict[str, Any]], dict[str, int]]] = {}
        self._label_index: dict[str, tuple[list[dict[str, Any]], dict[Any, str | None]]] = {}
        self._owners_back = {fm: sf for sf, fm in self.owners.items()}
        self._links_back: dict[Entity, dict[int, str]] = {}
        for entity, pairs in list(self.links.items()):
            self._links_back[entity] = {fm: sf for sf, fm in pairs.items()}

    def snapshot(self) -> Lookups:
        """A copy whose links stay put while the engine loads the next batch's into this
        one (owners, value lists and their indexes are shared, not copied)."""
        copy = Lookups.__new__(Lookups)
        copy.owners, copy.fallback_owner = self.owners, self.fallback_owner
        copy.value_lists = self.value_lists
        copy.links = {entity: dict(pairs) for entity, pairs in self.links.items()}
        copy._links_back = {entity: dict(pairs) for entity, pairs in self._links_back.items()}
        copy._owners_back, copy._item_index = self._owners_back, self._item_index
        copy._label_index = self._label_index
        return copy

    def owner_to_salesforce(self, fm_user: int) -> str:
        return self._owners_back.get(fm_user, f"{UNLINKED}{fm_user}")

    def forget_links(self) -> None:
        """Called per batch: the engine loads the links each batch needs, so memory does not
        grow with the org's size."""
        self.links.clear()
        self._links_back.clear()

    def add_links(self, entity: Entity, pairs: dict[str, int]) -> None:
        self.links.setdefault(entity, {}).update(pairs)
        self._links_back.setdefault(entity, {}).update({fm: sf for sf, fm in pairs.items()})

    def link_to_salesforce(self, entity: Entity, fm_id: int) -> str:
        return self._links_back.get(entity, {}).get(fm_id, f"{UNLINKED}{fm_id}")

    def label(self, value_list: str, item_id: int) -> str | None:
        """The label of the first item with this id; built once per list object like
        _item_ids (a create's read-back asks this for every value-list field)."""
        items = self.value_lists.get(value_list, [])
        cached = self._label_index.get(value_list)
        if cached is None or cached[0] is not items:
            index: dict[Any, str | None] = {}
            for item in items:
                index.setdefault(item.get("id"),
                                 convert.text(item.get("value") or item.get("description")))
            cached = self._label_index[value_list] = (items, index)
        return cached[1].get(item_id)

    def item_id(self, value_list: str, label: str) -> int | None:
        return self._item_ids(value_list).get(label.strip().casefold())

    def _item_ids(self, value_list: str) -> dict[str, int]:
        """Casefolded label → id (the first item of a label wins), built once per list
        object: a scan per value of every record written was a hot spot of a load."""
        items = self.value_lists.get(value_list, [])
        cached = self._item_index.get(value_list)
        if cached is not None and cached[0] is items:
            return cached[1]
        index: dict[str, int] = {}
        for item in items:
            name = convert.text(item.get("value") or item.get("description"))
            if name is not None:
                index.setdefault(name.casefold(), int(item["id"]))
        self._item_index[value_list] = (items, index)
        return index


def _scalar(kind: Kind, value: Any) -> Any:
    if kind is Kind.NUMBER:
        return convert.number(value)
    if kind is Kind.BOOL:
        return convert.boolean(value)
    if kind is Kind.DATE:
        return convert.date_value(value)
    if kind is Kind.DATE_AS_DATETIME:
        return convert.date_value(value)
    if kind is Kind.DATETIME:
        return convert.datetime_value(value)
    if kind is Kind.MULTI:
        return convert.multi(value)
    return convert.text(value)


def from_salesforce(emap: EntityMap, record: dict[str, Any]) -> dict[str, Any]:
    get = record.get
    # Every converter reads None as None: an empty field costs no call.
    return {
        key: None if (value := get(key)) is None else read(value)
        for key, read in emap.readers
    }


def from_forcemanager(
    emap: EntityMap, record: dict[str, Any], lookups: Lookups
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in emap.fields:
        values[f.key] = _read_fm(f, record, lookups)
    return values


def _read_fm(f: Field, record: dict[str, Any], lookups: Lookups) -> Any:
    kind = f.kind
    if kind is _STREET:
        first, second = (convert.text(record.get(name)) for name in f.forcemanager_fields)
        return "\n".join(line for line in (first, second) if line) or None
    raw = record.get(f.forcemanager_fields[0])
    if kind is _OWNER:
        user = convert.reference_id(raw)
        return None if user is None else lookups.owner_to_salesforce(user)
    if kind is _REFERENCE or kind is _WHAT:
        # The most specific parent first (an activity's opportunity before its account).
        for entity, _, name in reversed(f.targets):
            parent = convert.reference_id(record.get(name))
            if parent is not None:
                return lookups.link_to_salesforce(entity, parent)
        return None
    if kind is _VALUE_LIST:
        if isinstance(raw, dict) and raw.get("value") is not None:
            return convert.text(raw.get("value"))
        item = convert.reference_id(raw)
        return None if item is None else lookups.label(f.value_list or "", item)
    return _scalar(kind, raw)


def forcemanager_readback(
    emap: EntityMap, payload: dict[str, Any], lookups: Lookups
) -> dict[str, Any]:
    """The canonical values ForceManager will show for the fields a write payload sets
    (defaults included), so the next read of that record is recognised as our echo."""
    return {
        f.key: _read_fm(f, payload, lookups)
        for f in emap.fields
        if (any if f.kind is Kind.WHAT else all)(name in payload for name in f.forcemanager_fields)
    }


def created_readback(
    emap: EntityMap, out: Outgoing, payload: dict[str, Any], lookups: Lookups
) -> dict[str, Any]:
    """What forcemanager_readback gives for a create's payload (every mapped field, None
    when not written), without reading back what to_forcemanager already knows: its
    readback is what ForceManager shows for those fields, except value lists (ForceManager
    names the item its own way) and fields only the create defaults set."""
    written = out.readback
    readback = dict.fromkeys(emap.salesforce_keys)
    readback.update(written)
    for f, names, need_all, value_list in emap.payload_reads:
        if not value_list and f.key in written:
            continue
        if len(names) == 1:
            present = names[0] in payload
        else:
            present = (all if need_all else any)(name in payload for name in names)
        if present:
            readback[f.key] = _read_fm(f, payload, lookups)
    return readback


@dataclass
class Outgoing:
    """A write for one side: the payload, the canonical values that side will read back
    for the fields written, and whether the owner fell back."""

    payload: dict[str, Any]
    readback: dict[str, Any]
    owner_fallback: bool = False


def to_forcemanager(emap: EntityMap, values: dict[str, Any], lookups: Lookups) -> Outgoing:
    if values.keys() == emap.key_set:
        # A whole record (a load, a new record): the plain fields in two C-level zips.
        plain = list(map(values.__getitem__, emap.plain_keys))
        out = Outgoing(dict(zip(emap.plain_names, plain, strict=True)),
                       dict(zip(emap.plain_keys, plain, strict=True)))
        for f in emap.special_fields:
            _write_special(out, f, values[f.key], lookups)
        return out
    out = Outgoing({}, {})
    plain_names = emap.plain_forcemanager
    for key, value in values.items():
        name = plain_names.get(key)
        if name is not None:
            out.payload[name] = value
            out.readback[key] = value
        else:
            _write_special(out, emap.field(key), value, lookups)
    return out


def _write_special(out: Outgoing, f: Field, value: Any, lookups: Lookups) -> None:
    """Write one field that is not plain (see EntityMap.plain_forcemanager) into `out`."""
    payload = out.payload
    kind = f.kind
    if kind is _STREET:
        first, _, rest = (value or "").partition("\n")
        second = rest.replace("\n", " ") if _ else None
        names = f.forcemanager_fields
        payload[names[0]] = first = first or None
        payload[names[1]] = second
        if first and second:
            out.readback[f.key] = f"{first}\n{second}"
        else:
            out.readback[f.key] = first or second or None
    elif kind is _OWNER:
        user = lookups.owners.get(value) if value else None
        if user is None and lookups.fallback_owner is not None:
            user = lookups.fallback_owner
            out.owner_fallback = True
        if user is not None:
            payload[f.forcemanager_fields[0]] = user
            out.readback[f.key] = lookups.owner_to_salesforce(user)
    elif kind is _REFERENCE or kind is _WHAT:
        if value is None:
            for _, _, name in f.targets:
                payload[name] = None
            out.readback[f.key] = None
            return
        for entity, prefix, name in f.targets:
            if value.startswith(prefix):
                parent = lookups.links.get(entity, {}).get(value)
                if parent is not None:
                    payload[name] = parent
                    out.readback[f.key] = value
                break
    elif kind is _VALUE_LIST:
        item = lookups.item_id(f.value_list or "", value) if value else None
        if item is not None or value is None:
            payload[f.forcemanager_fields[0]] = item
            out.readback[f.key] = value
    else:
        payload[f.forcemanager_fields[0]] = _fm_scalar(kind, value)
        out.readback[f.key] = value


def _fm_scalar(kind: Kind, value: Any) -> Any:
    if kind is _DATE_AS_DATETIME:
        return convert.fm_date_as_datetime(value)
    if kind is _MULTI:
        return value.split(";") if value else []
    return value


def to_salesforce(emap: EntityMap, values: dict[str, Any]) -> Outgoing:
    out = Outgoing({}, {})
    for key, value in values.items():
        f = emap.field(key)
        if not f.to_salesforce:
            continue
        if isinstance(value, str) and value.startswith(UNLINKED) and f.kind in (
            Kind.OWNER,
            Kind.REFERENCE,
            Kind.WHAT,
        ):
            continue  # no Salesforce counterpart: leave Salesforce's value alone
        if f.kind is Kind.DATETIME:
            out.payload[key] = convert.sf_datetime(value)
        else:
            out.payload[key] = value
        out.readback[key] = value
    return out


def record_name(emap: EntityMap, values: dict[str, Any]) -> str | None:
    name = values.get(emap.name_field)
    if emap.entity is Entity.CONTACT and values.get("FirstName"):
        name = f"{values['FirstName']} {name or ''}".strip()
    return None if name is None else str(name)[:300]
