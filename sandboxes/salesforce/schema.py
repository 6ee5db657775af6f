"""The objects the sandbox knows: their fields, picklists and key prefixes."""

from __future__ import annotations

from typing import Any

from sandboxes.salesforce.describe import Field, SObjectType

API_VERSION = "59.0"


def _child_relationships(parent: str) -> list[dict[str, Any]]:
    children = []
    for child in OBJECTS.values():
        for f in child.fields:
            if parent in f.reference_to and f.name not in ("CreatedById", "LastModifiedById"):
                children.append(
                    {
                        "cascadeDelete": False,
                        "childSObject": child.name,
                        "deprecatedAndHidden": False,
                        "field": f.name,
                        "junctionIdListNames": [],
                        "junctionReferenceTo": [],
                        "relationshipName": _plural(child.name)
                        if f.name != "ParentId"
                        else "ChildAccounts",
                        "restrictedDelete": False,
                    }
                )
    return children


def _plural(name: str) -> str:
    return {"Opportunity": "Opportunities", "Product2": "Products"}.get(name, name + "s")


def _system_fields(owner: bool = True, deletable: bool = True) -> list[Field]:
    fields = [
        Field("Id", "id", "Record ID", createable=False, updateable=False, nillable=False,
              defaulted=True),
        Field("IsDeleted", "boolean", "Deleted", createable=False, updateable=False,
              nillable=False, defaulted=True, hidden=not deletable),
    ]
    if owner:
        fields.append(
            Field("OwnerId", "reference", "Owner ID", nillable=False, defaulted=True,
                  reference_to=["User"], relationship_name="Owner")
        )
    audit = dict(createable=False, updateable=False, nillable=False, defaulted=True)
    fields += [
        Field("CreatedDate", "datetime", "Created Date", **audit),
        Field("CreatedById", "reference", "Created By ID", reference_to=["User"],
              relationship_name="CreatedBy", **audit),
        Field("LastModifiedDate", "datetime", "Last Modified Date", **audit),
        Field("LastModifiedById", "reference", "Last Modified By ID", reference_to=["User"],
              relationship_name="LastModifiedBy", **audit),
        Field("SystemModstamp", "datetime", "System Modstamp", **audit),
    ]
    return fields


def _derived(name: str, type_: str, label: str, **kw: Any) -> Field:
    return Field(name, type_, label, createable=False, updateable=False, **kw)


INDUSTRIES = [
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
    "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
    "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare",
    "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit",
    "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation",
    "Utilities", "Other",
]
ACCOUNT_TYPES = [
    "Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller",
    "Installation Partner", "Technology Partner", "Other",
]
LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
STAGES = [
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
    "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review",
    "Closed Won", "Closed Lost",
]
SEGMENTS = ["SMB", "Mid-Market", "Enterprise", "Public Sector"]
INTERESTS = ["Events", "Product news", "Training", "Partnerships"]
FAMILIES = ["Hardware", "Software", "Services", "Consumables"]

_ACCOUNT = SObjectType(
    "Account", "Account", "Accounts", "001",
    _system_fields()
    + [
        Field("Name", "string", "Account Name", nillable=False, name_field=True),
        Field("Type", "picklist", "Account Type", picklist=ACCOUNT_TYPES),
        Field("ParentId", "reference", "Parent Account ID", reference_to=["Account"],
              relationship_name="Parent"),
        Field("BillingStreet", "textarea", "Billing Street"),
        Field("BillingCity", "string", "Billing City", length=40),
        Field("BillingState", "string", "Billing State/Province", length=80),
        Field("BillingPostalCode", "string", "Billing Zip/Postal Code", length=20),
        Field("BillingCountry", "string", "Billing Country", length=80),
        Field("BillingLatitude", "double", "Billing Latitude"),
        Field("BillingLongitude", "double", "Billing Longitude"),
        Field("Phone", "phone", "Account Phone", length=40),
        Field("Fax", "phone", "Account Fax", length=40),
        Field("AccountNumber", "string", "Account Number", length=40),
        Field("Website", "url", "Website"),
        Field("Industry", "picklist", "Industry", picklist=INDUSTRIES),
        Field("AnnualRevenue", "currency", "Annual Revenue"),
        Field("NumberOfEmployees", "int", "Employees"),
        Field("Description", "textarea", "Account Description", length=32000),
        Field("Rating", "picklist", "Account Rating", picklist=["Hot", "Warm", "Cold"]),
        Field("AccountSource", "picklist", "Account Source", picklist=LEAD_SOURCES),
        Field("CustomerPriority__c", "picklist", "Customer Priority", custom=True,
              picklist=["High", "Low", "Medium"]),
        Field("SLA__c", "picklist", "SLA", custom=True,
              picklist=["Gold", "Silver", "Platinum", "Bronze"]),
        Field("Active__c", "picklist", "Active", custom=True, picklist=["No", "Yes"]),
        Field("NumberofLocations__c", "double", "Number of Locations", custom=True),
        Field("SLASerialNumber__c", "string", "SLA Serial Number", custom=True, length=10),
        Field("SLAExpirationDate__c", "date", "SLA Expiration Date", custom=True),
        Field("Verified__c", "boolean", "Verified", custom=True, nillable=False,
              defaulted=True),
        Field("LastAuditDate__c", "datetime", "Last Audit", custom=True),
        Field("Segments__c", "multipicklist", "Segments", custom=True, length=4099,
              picklist=SEGMENTS),
    ],
)

_CONTACT = SObjectType(
    "Contact", "Contact", "Contacts", "003",
    _system_fields()
    + [
        Field("AccountId", "reference", "Account ID", reference_to=["Account"],
              relationship_name="Account"),
        Field("LastName", "string", "Last Name", nillable=False, length=80),
        Field("FirstName", "string", "First Name", length=40),
        Field("Salutation", "picklist", "Salutation", picklist=["Mr.", "Ms.", "Mrs.", "Dr."]),
        _derived("Name", "string", "Full Name", length=121, name_field=True, nillable=False),
        Field("Title", "string", "Title", length=128),
        Field("Department", "string", "Department", length=80),
        Field("Email", "email", "Email", length=80),
        Field("Phone", "phone", "Business Phone", length=40),
        Field("MobilePhone", "phone", "Mobile Phone", length=40),
        Field("MailingStreet", "textarea", "Mailing Street"),
        Field("MailingCity", "string", "Mailing City", length=40),
        Field("MailingPostalCode", "string", "Mailing Zip/Postal Code", length=20),
        Field("MailingCountry", "string", "Mailing Country", length=80),
        Field("Birthdate", "date", "Birthdate"),
        Field("LeadSource", "picklist", "Lead Source", picklist=LEAD_SOURCES),
        Field("Description", "textarea", "Contact Description", length=32000),
        Field("Languages__c", "string", "Languages", custom=True, length=100),
        Field("Level__c", "picklist", "Level", custom=True,
              picklist=["Primary", "Secondary", "Tertiary"]),
        Field("NewsletterOptIn__c", "boolean", "Newsletter opt-in", custom=True,
              nillable=False, defaulted=True),
        Field("Interests__c", "multipicklist", "Interests", custom=True, length=4099,
              picklist=INTERESTS),
    ],
)

_OPPORTUNITY = SObjectType(
    "Opportunity", "Opportunity", "Opportunities", "006",
    _system_fields()
    + [
        Field("AccountId", "reference", "Account ID", reference_to=["Account"],
              relationship_name="Account"),
        Field("Name", "string", "Name", nillable=False, length=120, name_field=True),
        Field("Description", "textarea", "Description", length=32000),
        Field("StageName", "picklist", "Stage", nillable=False, picklist=STAGES,
              restricted=True),
        Field("Amount", "currency", "Amount"),
        Field("Probability", "percent", "Probability (%)"),
        Field("CloseDate", "date", "Close Date", nillable=False),
        Field("Type", "picklist", "Opportunity Type",
              picklist=["Existing Customer - Upgrade", "Existing Customer - Replacement",
                        "New Customer"]),
        Field("NextStep", "string", "Next Step"),
        Field("LeadSource", "picklist", "Lead Source", picklist=LEAD_SOURCES),
        _derived("IsClosed", "boolean", "Closed", nillable=False, defaulted=True),
        _derived("IsWon", "boolean", "Won", nillable=False, defaulted=True),
        Field("DeliveryInstallationStatus__c", "picklist", "Delivery/Installation Status",
              custom=True, picklist=["In progress", "Yet to begin", "Completed"]),
        Field("TrackingNumber__c", "string", "Tracking Number", custom=True, length=12),
        Field("MainCompetitors__c", "string", "Main Competitor(s)", custom=True, length=100),
        Field("Discount__c", "double", "Discount", custom=True),
    ],
)

_ACTIVITY_LINKS = [
    Field("WhoId", "reference", "Name ID", reference_to=["Contact"], relationship_name="Who"),
    Field("WhatId", "reference", "Related To ID", reference_to=["Account", "Opportunity"],
          relationship_name="What"),
    Field("Subject", "combobox", "Subject"),
    Field("Description", "textarea", "Description", length=32000),
]

_TASK = SObjectType(
    "Task", "Task", "Tasks", "00T",
    _system_fields()
    + _ACTIVITY_LINKS
    + [
        Field("ActivityDate", "date", "Due Date Only"),
        Field("Status", "picklist", "Status", nillable=False, defaulted=True,
              picklist=["Not Started", "In Progress", "Completed", "Waiting on someone else",
                        "Deferred"]),
        Field("Priority", "picklist", "Priority", nillable=False, defaulted=True,
              picklist=["High", "Normal", "Low"]),
        Field("TaskSubtype", "picklist", "Task Subtype", picklist=["Task", "Email", "Call"]),
        Field("Outcome__c", "picklist", "Outcome", custom=True,
              picklist=["Reached", "Left message", "No answer"]),
    ],
)

_EVENT = SObjectType(
    "Event", "Event", "Events", "00U",
    _system_fields()
    + _ACTIVITY_LINKS
    + [
        Field("Location", "string", "Location"),
        Field("ActivityDateTime", "datetime", "Due Date Time", nillable=False),
        Field("DurationInMinutes", "int", "Duration", nillable=False),
        _derived("ActivityDate", "date", "Due Date Only"),
        _derived("StartDateTime", "datetime", "Start Date Time"),
        _derived("EndDateTime", "datetime", "End Date Time"),
        Field("IsAllDayEvent", "boolean", "All-Day Event", nillable=False, defaulted=True),
        Field("ShowAs", "picklist", "Show Time As", picklist=["Busy", "OutOfOffice", "Free"]),
        Field("MeetingType__c", "picklist", "Meeting type", custom=True,
              picklist=["Visit", "Video call", "Demo"]),
    ],
)

_PRODUCT = SObjectType(
    "Product2", "Product", "Products", "01t",
    _system_fields(owner=False)
    + [
        Field("Name", "string", "Product Name", nillable=False, name_field=True),
        Field("ProductCode", "string", "Product Code"),
        Field("Description", "textarea", "Product Description", length=4000),
        Field("IsActive", "boolean", "Active", nillable=False, defaulted=True),
        Field("Family", "picklist", "Product Family", picklist=FAMILIES),
        Field("QuantityUnitOfMeasure", "picklist", "Quantity Unit Of Measure",
              picklist=["Each", "Box", "Hour"]),
        Field("ListPrice__c", "double", "List price", custom=True),
        Field("Warranty__c", "string", "Warranty", custom=True, length=50),
    ],
)

_USER = SObjectType(
    "User", "User", "Users", "005",
    _system_fields(owner=False, deletable=False)
    + [
        Field("Username", "string", "Username", nillable=False, length=80),
        Field("LastName", "string", "Last Name", nillable=False, length=80),
        Field("FirstName", "string", "First Name", length=40),
        _derived("Name", "string", "Full Name", length=121, name_field=True, nillable=False),
        Field("Email", "email", "Email", nillable=False, length=128),
        Field("Alias", "string", "Alias", nillable=False, length=8),
        Field("IsActive", "boolean", "Active", nillable=False, defaulted=True),
        Field("Title", "string", "Title", length=80),
        Field("Department", "string", "Department", length=80),
        Field("Phone", "phone", "Phone", length=40),
        Field("TimeZoneSidKey", "picklist", "Time Zone", nillable=False,
              picklist=["Europe/Madrid", "Europe/London", "America/New_York"]),
        Field("LanguageLocaleKey", "picklist", "Language", nillable=False,
              picklist=["en_US", "es"]),
        Field("UserType", "picklist", "User Type", createable=False, updateable=False,
              picklist=["Standard"]),
    ],
    createable=False,
)

OBJECTS: dict[str, SObjectType] = {
    o.name: o for o in (_ACCOUNT, _CONTACT, _OPPORTUNITY, _TASK, _EVENT, _PRODUCT, _USER)
}
KEY_PREFIXES = {name: o.prefix for name, o in OBJECTS.items()}
_BY_LOWER = {name.lower(): o for name, o in OBJECTS.items()}


def sobject(name: str) -> SObjectType | None:
    return _BY_LOWER.get(name.lower())


def describe(sob: SObjectType, version: str) -> dict[str, Any]:
    return sob.describe(version, _child_relationships(sob.name))


def describe_global(version: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [o.summary(version) for o in OBJECTS.values()],
    }
