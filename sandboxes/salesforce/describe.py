"""Fields and objects as the describe calls show them (the field keys are those of a recorded
v46 Account describe)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT_TYPES = {
    "string", "textarea", "phone", "url", "email", "picklist", "multipicklist", "combobox",
}
NUMBER_TYPES = {"double", "currency", "percent", "int"}
ID_TYPES = {"id", "reference"}

_SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "double": "xsd:double",
    "currency": "xsd:double", "percent": "xsd:double", "int": "xsd:int", "date": "xsd:date",
    "datetime": "xsd:dateTime",
}


@dataclass
class Field:
    name: str
    type: str
    label: str
    custom: bool = False
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    defaulted: bool = False
    length: int = 0
    picklist: list[str] = field(default_factory=list)
    restricted: bool = False
    reference_to: list[str] = field(default_factory=list)
    relationship_name: str | None = None
    name_field: bool = False
    hidden: bool = False  # kept internally (IsDeleted on User) but not described or queryable

    @property
    def required(self) -> bool:
        return self.createable and not self.nillable and not self.defaulted

    def describe(self) -> dict[str, Any]:
        text = self.type in TEXT_TYPES
        length = self.length or (255 if text else 18 if self.type in ID_TYPES else 0)
        long_text = self.type == "textarea" and length > 255
        precision, scale, digits = 0, 0, 0
        if self.type in ("double", "currency"):
            precision, scale = 18, 2
        elif self.type == "percent":
            precision, scale = 3, 0
        elif self.type == "int":
            digits = 9
        return {
            "aggregatable": not long_text,
            "aiPredictionField": False,
            "autoNumber": False,
            "byteLength": length * 3 if text else length,
            "calculated": False,
            "calculatedFormula": None,
            "cascadeDelete": False,
            "caseSensitive": False,
            "compoundFieldName": None,
            "controllerName": None,
            "createable": self.createable,
            "custom": self.custom,
            "defaultValue": None,
            "defaultValueFormula": None,
            "defaultedOnCreate": self.defaulted,
            "dependentPicklist": False,
            "deprecatedAndHidden": False,
            "digits": digits,
            "displayLocationInDecimal": False,
            "encrypted": False,
            "externalId": False,
            "extraTypeInfo": "plaintextarea" if self.type == "textarea" else None,
            "filterable": not long_text,
            "filteredLookupInfo": None,
            "formulaTreatNullNumberAsZero": False,
            "groupable": not long_text and self.type not in NUMBER_TYPES | {"datetime"},
            "highScaleNumber": False,
            "htmlFormatted": False,
            "idLookup": self.type == "id",
            "inlineHelpText": None,
            "label": self.label,
            "length": length,
            "mask": None,
            "maskType": None,
            "name": self.name,
            "nameField": self.name_field,
            "namePointing": False,
            "nillable": self.nillable,
            "permissionable": self.custom,
            "picklistValues": [
                {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
                for v in self.picklist
            ],
            "polymorphicForeignKey": len(self.reference_to) > 1,
            "precision": precision,
            "queryByDistance": False,
            "referenceTargetField": None,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "relationshipOrder": None,
            "restrictedDelete": False,
            "restrictedPicklist": self.restricted,
            "scale": scale,
            "searchPrefilterable": False,
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
            "sortable": not long_text,
            "type": self.type,
            "unique": False,
            "updateable": self.updateable,
            "writeRequiresMasterRead": False,
        }


@dataclass
class SObjectType:
    name: str
    label: str
    label_plural: str
    prefix: str
    fields: list[Field]
    createable: bool = True
    by_lower: dict[str, Field] = field(init=False)  # SOQL and REST field names ignore case
    positions: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.by_lower = {f.name.lower(): f for f in self.fields if not f.hidden}
        self.positions = {f.name: i for i, f in enumerate(self.fields)}

    @property
    def key_prefix(self) -> str:
        return self.prefix

    def field(self, name: str) -> Field | None:
        return self.by_lower.get(name.lower())

    def urls(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "rowTemplate": base + "/{ID}",
            "defaultValues": base + "/defaultValues?recordTypeId&fields",
            "describe": base + "/describe",
            "sobject": base,
        }

    def summary(self, version: str) -> dict[str, Any]:
        """The entry of describeGlobal."""
        return {
            "activateable": False,
            "createable": self.createable,
            "custom": False,
            "customSetting": False,
            "deletable": self.createable,
            "deprecatedAndHidden": False,
            "feedEnabled": True,
            "hasSubtypes": False,
            "isSubtype": False,
            "keyPrefix": self.key_prefix,
            "label": self.label,
            "labelPlural": self.label_plural,
            "layoutable": True,
            "mergeable": self.name in ("Account", "Contact"),
            "mruEnabled": True,
            "name": self.name,
            "queryable": True,
            "replicateable": True,
            "retrieveable": True,
            "searchable": True,
            "triggerable": True,
            "undeletable": self.createable,
            "updateable": True,
            "urls": self.urls(version),
        }

    def describe(self, version: str, children: list[dict[str, Any]]) -> dict[str, Any]:
        """The full describe; children: its childRelationships (they depend on the others)."""
        answer = self.summary(version)
        answer.update(
            {
                "actionOverrides": [],
                "childRelationships": children,
                "compactLayoutable": True,
                "fields": [f.describe() for f in self.fields if not f.hidden],
                "listviewable": None,
                "lookupLayoutable": None,
                "namedLayoutInfos": [],
                "networkScopeFieldName": None,
                "recordTypeInfos": [
                    {
                        "active": True,
                        "available": True,
                        "defaultRecordTypeMapping": True,
                        "developerName": "Master",
                        "master": True,
                        "name": "Master",
                        "recordTypeId": "012000000000000AAA",
                        "urls": {
                            "layout": f"/services/data/v{version}/sobjects/{self.name}"
                            "/describe/layouts/012000000000000AAA"
                        },
                    }
                ],
                "searchLayoutable": True,
                "supportedScopes": [
                    {"label": f"All {self.label_plural.lower()}", "name": "everything"},
                    {"label": f"My {self.label_plural.lower()}", "name": "mine"},
                ],
            }
        )
        return answer
