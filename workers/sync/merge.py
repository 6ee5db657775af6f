"""The three-way merge of one record pair, field by field.

Each side has its own base: the canonical values that side held right after the last sync
(RecordLink.synced_values["salesforce"] / ["forcemanager"]). Keeping one base per side makes
lossy mappings harmless: a Salesforce owner with no match lands on the fallback user in
ForceManager, and reading that fallback back is not a change.

- changed on one side only → flows to the other (ForceManager → Salesforce only when the
  entity is bidirectional);
- changed on both sides to different values → Salesforce wins; the losing ForceManager value
  is reported as a conflict;
- equal to the base (our own write coming back, or nobody edited) → nothing to do: echo
  suppression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Merge:
    to_forcemanager: dict[str, Any] = field(default_factory=dict)
    to_salesforce: dict[str, Any] = field(default_factory=dict)
    # {key: {"salesforce": winning value, "forcemanager": losing value}}
    conflicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # New bases for the fields no write will touch (changes that need no write).
    salesforce_base: dict[str, Any] = field(default_factory=dict)
    forcemanager_base: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.to_forcemanager and not self.to_salesforce


def merge(
    keys: list[str],
    salesforce_base: dict[str, Any],
    forcemanager_base: dict[str, Any],
    salesforce_now: dict[str, Any] | None,
    forcemanager_now: dict[str, Any] | None,
    *,
    bidirectional: bool,
) -> Merge:
    """salesforce_now / forcemanager_now: current canonical values, None when that side did
    not change since the last sync (it is then taken to equal its base)."""
    result = Merge()
    sf_now = salesforce_now if salesforce_now is not None else salesforce_base
    fm_now = forcemanager_now if forcemanager_now is not None else forcemanager_base
    for key in keys:
        sf_value, fm_value = sf_now.get(key), fm_now.get(key)
        sf_changed = salesforce_now is not None and sf_value != salesforce_base.get(key)
        fm_changed = forcemanager_now is not None and fm_value != forcemanager_base.get(key)
        if sf_changed and fm_changed:
            if sf_value == fm_value:
                result.salesforce_base[key] = sf_value
                result.forcemanager_base[key] = fm_value
            else:
                result.to_forcemanager[key] = sf_value
                result.conflicts[key] = {"salesforce": sf_value, "forcemanager": fm_value}
                result.salesforce_base[key] = sf_value
        elif sf_changed:
            result.salesforce_base[key] = sf_value
            if sf_value != fm_value:
                result.to_forcemanager[key] = sf_value
            else:
                result.forcemanager_base[key] = fm_value
        elif fm_changed:
            result.forcemanager_base[key] = fm_value
            if bidirectional and fm_value != sf_value:
                result.to_salesforce[key] = fm_value
            elif not bidirectional and fm_value != sf_value:
                # Salesforce is the only source: put its value back.
                result.to_forcemanager[key] = sf_value
    return result
