"""The world's CRM half in Salesforce's shapes: Lead, Contact, Account, Opportunity, OpportunityLineItem,
OpportunityContactRole and Campaign records, as the REST query resource returns them.

How the world maps (sandbox/README.md, Salesforce):
- every world contact is a Lead (the marketing record: its creation time and UTM fields), converted
  when it is created into a Contact of the same number (an org whose marketing automation converts
  every inbound lead; the world renders one object at a time, so a conversion cannot wait for the
  first deal): the lead's `ConvertedContactId` ties the two;
- a deal is an Opportunity, tied to its contacts by OpportunityContactRoles;
- a company is an Account, a deal line an OpportunityLineItem (ProductCode = the SKU), an ad
  campaign a Campaign;
- a deleted record stays with `IsDeleted: true` (queryAll returns it, query does not:
  https://developer.salesforce.com/docs/platform/api-rest/guide/dome-queryall.html); a merged
  lead is deleted with `MasterRecordId` naming the lead it was merged into
  (https://developer.salesforce.com/docs/atlas.en-us.api.meta/object_ref/sforce_api_calls_queryall.htm),
  and the survivor's SystemModstamp moves; deleting an opportunity deletes its line items and roles.
Ids are 18-character Salesforce ids, the same for the same world object in every run (`sf_id`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from sandbox.world.model import Campaign, Company, Contact, Deal
from sandbox.world.timefmt import DAY, day_str

if TYPE_CHECKING:  # payloads imports this module
    from sandbox.world.payloads import Version

RESOURCE = "salesforce/"  # + the sObject name: salesforce/Lead, salesforce/Opportunity, ...
KEY_PREFIX = {"Account": "001", "Contact": "003", "Opportunity": "006", "OpportunityContactRole": "00K",
              "OpportunityLineItem": "00k", "Lead": "00Q", "Product2": "01t", "PricebookEntry": "01u",
              "Campaign": "701"}
POD = "Hb0"  # the instance part of every id after the key prefix
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

# The default Sales Process's StageName picklist values for the world's
# HubSpot pipeline stages, with their default probabilities; stg_salesforce__opportunities maps back.
STAGES = {"appointmentscheduled": ("Prospecting", 10), "qualifiedtobuy": ("Qualification", 10),
          "presentationscheduled": ("Value Proposition", 50), "decisionmakerboughtin": ("Id. Decision Makers", 60),
          "contractsent": ("Proposal/Price Quote", 75), "closedwon": ("Closed Won", 100),
          "closedlost": ("Closed Lost", 0)}
# The converted status of the default lead Status picklist.
CONVERTED_STATUS = "Closed - Converted"
# Salesforce captures no UTM parameters itself: an org stores them in Lead and Contact fields, Account
# Engagement's (Pardot) `pi__utm_*__c` when it syncs prospects (it records a prospect's UTM parameters:
# http://help.pardot.com/customer/en/portal/articles/2133719 ; the prospect-to-lead/contact field sync:
# https://help.salesforce.com/apex/HTViewHelpDoc?id=mktg.pardot_default_prospect_field_mapping.htm), else
# custom ones such as `UTM_Source__c`: the connector's HUB_SALESFORCE_UTM_*_FIELD settings choose.
UTM_SOURCE_FIELD = "pi__utm_source__c"
UTM_CAMPAIGN_FIELD = "pi__utm_campaign__c"
# Web-to-Lead's Company when the form leaves it blank (Company is required):
# https://help.salesforce.com/apex/HTViewSolution?id=000171026
NOT_PROVIDED = "[not provided]"
OPEN_CLOSE_DAYS = 30  # an open opportunity's expected CloseDate, days after its creation


def sf_id(sobject: str, number: int) -> str:
    """The 18-character id of world object `number`: key prefix, instance, base62 number, and the
    3-character case-safe suffix Salesforce computes from the 15-character id (its CASESAFEID)."""
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    short = KEY_PREFIX[sobject] + POD + digits.rjust(9, "0")
    suffix = ""
    for chunk in (short[0:5], short[5:10], short[10:15]):
        bits = sum(1 << k for k, ch in enumerate(chunk) if ch.isupper())
        suffix += _SUFFIX[bits]
    return short + suffix


def stamp(t: int) -> str:
    """'2026-03-01T10:00:00.000+0000': Salesforce's dateTime in JSON."""
    s = t % DAY
    return f"{day_str(t // DAY)}T{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}.000+0000"


def _record(id_: str, created: int, modified: int, fields: dict) -> dict:
    return {"Id": id_, "IsDeleted": False, **fields, "CreatedDate": stamp(created),
            "LastModifiedDate": stamp(modified), "SystemModstamp": stamp(modified)}


def _version(sobject: str, id_: str, t: int, payload: dict | None) -> Version:
    return (RESOURCE + sobject, "", id_, t, t, None, payload)


def _deleted(last: dict, at: int, **fields: object) -> dict:
    return {**last, **fields, "IsDeleted": True, "LastModifiedDate": stamp(at), "SystemModstamp": stamp(at)}


def lead_versions(c: Contact) -> Iterator[Version]:
    """A Lead per world contact, converted at once into a Contact of the same number; leads merged
    into it; its deletion (the contact's too) or its merge (the contacts merge alike)."""
    id_, contact_id = sf_id("Lead", int(c.id)), sf_id("Contact", int(c.id))
    person = {"FirstName": c.firstname, "LastName": c.lastname, "Email": c.email,
              UTM_SOURCE_FIELD: c.utm_source, UTM_CAMPAIGN_FIELD: c.utm_campaign, "MasterRecordId": None}
    times = sorted({t for t, _ in c.versions} | {t for t, _ in c.absorbed})
    lead: dict = {}
    for t in times:
        lead = _record(id_, c.created, t, {
            **person, "Company": NOT_PROVIDED, "Status": CONVERTED_STATUS, "LeadSource": "Web", "IsConverted": True,
            "ConvertedContactId": contact_id, "ConvertedDate": day_str(c.created // DAY)})
        yield _version("Lead", id_, t, lead)
    contact = _record(contact_id, c.created, c.created, {**person, "AccountId": None})
    yield _version("Contact", contact_id, c.created, contact)
    if c.archived is not None:
        yield _version("Lead", id_, c.archived, _deleted(lead, c.archived))
        yield _version("Contact", contact_id, c.archived, _deleted(contact, c.archived))
    elif c.merged_into is not None:
        at, survivor = c.merged_into
        yield _version("Lead", id_, at, _deleted(lead, at, MasterRecordId=sf_id("Lead", int(survivor))))
        yield _version("Contact", contact_id, at, _deleted(contact, at, MasterRecordId=sf_id("Contact", int(survivor))))


def account_versions(c: Company) -> Iterator[Version]:
    """An Account per world company, and its deletion."""
    id_ = sf_id("Account", int(c.id))
    record = _record(id_, c.created, c.created, {
        "Name": c.name, "Website": f"https://{c.domain}", "BillingCountryCode": c.country, "Industry": "Machinery",
        "Type": "Customer"})
    yield _version("Account", id_, c.created, record)
    if c.archived is not None:
        yield _version("Account", id_, c.archived, _deleted(record, c.archived))


def _amount(value: Decimal) -> float:
    return float(value)  # Salesforce currency fields are JSON numbers


def opportunity_versions(d: Deal) -> Iterator[Version]:
    """An Opportunity per world deal (a version per stage), its line items, contacts and roles."""
    number = int(d.id)
    id_ = sf_id("Opportunity", number)
    account = sf_id("Account", int(d.company_id)) if d.company_id else None
    record: dict = {}
    for t, stage in d.versions:
        name, probability = STAGES[stage]
        closed = stage in ("closedwon", "closedlost")
        record = _record(id_, d.created, t, {
            "Name": d.name, "AccountId": account, "StageName": name, "Probability": probability,
            "IsClosed": closed, "IsWon": stage == "closedwon", "Amount": _amount(d.amount),
            "CurrencyIsoCode": d.currency, "CloseDate": day_str((t if closed else d.created + OPEN_CLOSE_DAYS * DAY) // DAY),
            "LastStageChangeDate": stamp(t), "ForecastCategoryName": "Closed" if stage == "closedwon" else
            "Omitted" if stage == "closedlost" else "Pipeline", "Pricebook2Id": None})
        yield _version("Opportunity", id_, t, record)
    gone = d.archived
    if gone is not None:
        yield _version("Opportunity", id_, gone, _deleted(record, gone))
    for li in d.lines:
        line_id = sf_id("OpportunityLineItem", int(li.id))
        line = _record(line_id, d.created, d.created, {
            "OpportunityId": id_, "ProductCode": li.sku, "Name": li.name, "Quantity": float(li.quantity),
            "UnitPrice": _amount(li.price), "TotalPrice": _amount(li.price * li.quantity),
            "CurrencyIsoCode": d.currency})
        yield _version("OpportunityLineItem", line_id, d.created, line)
        if gone is not None:
            yield _version("OpportunityLineItem", line_id, gone, _deleted(line, gone))
    for k, contact in enumerate(d.contact_ids):
        # one role per (deal, contact): ids from the deal's number, unique in the world
        role_id = sf_id("OpportunityContactRole", (number - 70_000_000) * 4 + k)
        role = _record(role_id, d.created, d.created, {
            "OpportunityId": id_, "ContactId": sf_id("Contact", int(contact)), "Role": "Decision Maker",
            "IsPrimary": k == 0})
        yield _version("OpportunityContactRole", role_id, d.created, role)
        if gone is not None:
            yield _version("OpportunityContactRole", role_id, gone, _deleted(role, gone))


def campaign_versions(c: Campaign) -> Iterator[Version]:
    """A Campaign per world ad campaign (Type Advertisement)."""
    number = int("".join(ch for ch in c.id if ch.isdigit()) or 0)
    id_ = sf_id("Campaign", number)
    created = c.first_day * DAY
    yield _version("Campaign", id_, created, _record(id_, created, created, {
        "Name": c.name, "Type": "Advertisement", "Status": "Completed", "StartDate": day_str(c.first_day),
        "EndDate": day_str(c.last_day), "IsActive": True, "CurrencyIsoCode": c.currency}))


def versions(item: object) -> Iterator[Version]:
    """The Salesforce records of one world object (none for objects outside the CRM)."""
    if isinstance(item, Contact):
        return lead_versions(item)
    if isinstance(item, Deal):
        return opportunity_versions(item)
    if isinstance(item, Company):
        return account_versions(item)
    if isinstance(item, Campaign):
        return campaign_versions(item)
    return iter(())
