"""Salesforce CRM: leads, contacts, accounts, opportunities, their line items and contact roles, and
campaigns, each through the REST API's SOQL `queryAll`.

Every run asks for the records whose `SystemModstamp` is at or after the saved cursor minus an
overlap (HUB_SALESFORCE_OVERLAP_MINUTES: a long-running transaction's records carry its start time and
show only once it commits, so Salesforce's own replication call hands back an earlier start,
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_getupdated_getupdatedresult.htm),
ordered by it; the first run asks for all. `queryAll`
rather than `query`, so a deleted record (still in the recycle bin, 15 days) comes back with
`IsDeleted: true` and lands as the tombstone staging drops; a merged-away lead or contact also
names its survivor in `MasterRecordId`
(https://developer.salesforce.com/docs/platform/api-rest/guide/dome-queryall.html). A run
that misses a deletion for longer than the recycle bin keeps it keeps the record: run at least
fortnightly. Pages follow `nextRecordsUrl`, a path on the instance
(https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query-more-results.html).

A first sync of an object with more records than HUB_SALESFORCE_BULK_THRESHOLD (a `SELECT COUNT()`
says) runs as a Bulk API 2.0 queryAll job instead: one request per 50,000 records instead of per
2,000, and no query cursor to keep alive. Bulk API 2.0 is "designed to handle queries that return
large amounts of data (2,000 records or more)"
(https://developer.salesforce.com/docs/platform/api-asynch/guide/query-bulk-api-2-0.html); the
default threshold, 10,000, is five REST pages, below which the job's creation and polls cost as
many requests as they save. Its results are CSV and land as received, one result set a segment, its
keys line holding the job id, the locator it was asked with and what a query record's `attributes`
hold; the load types the CSV's text by the fields' API types (`FIELD_TYPES`), so a record loads
to the same raw row as from a query page (a CSV null is '').

Tokens come from the client-credentials grant on the org's My Domain
(https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.remoteaccess_oauth_client_credentials_flow_ca.htm);
the answer's `instance_url` must be the configured HUB_SALESFORCE_BASE_URL, else the token is not
used: the session would go to a host nobody configured. Every answer's `Sforce-Limit-Info:
api-usage=N/M` is read, and a stream stops clearly, before the org's daily allocation runs out,
when less than HUB_SALESFORCE_API_RESERVE_PERCENT of it is left
(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm).
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import orjson

from connectors.config import ConnectorSettings
from connectors.errors import BrokenPage, RequestError
from connectors.http import Response, VendorClient, VendorRefused
from connectors.landing import csv_records
from connectors.limits import BULK_RECORDS
from connectors.pages import KeyedList
from connectors.pagination import PageRequest
from connectors.spec import Check, CsvRecords, FetchContext, RecordShape, StreamSpec
from connectors.systems.salesforce_org import LIVE_VERSION, retirement_warning
from connectors.windows import parse_timestamp

# Records every SOQL query of an object asks for, besides the UTM fields on leads and contacts.
FIELDS: Mapping[str, tuple[str, ...]] = {
    "Lead": ("Id", "IsDeleted", "MasterRecordId", "FirstName", "LastName", "Email", "Company", "Status",
             "LeadSource", "IsConverted", "ConvertedContactId", "ConvertedDate", "CreatedDate",
             "LastModifiedDate", "SystemModstamp"),
    "Contact": ("Id", "IsDeleted", "MasterRecordId", "AccountId", "FirstName", "LastName", "Email", "CreatedDate",
                "LastModifiedDate", "SystemModstamp"),
    "Account": ("Id", "IsDeleted", "Name", "Website", "BillingCountryCode", "Industry", "CreatedDate",
                "LastModifiedDate", "SystemModstamp"),
    "Opportunity": ("Id", "IsDeleted", "Name", "AccountId", "StageName", "IsClosed", "IsWon", "Amount",
                    "CurrencyIsoCode", "CloseDate", "LastStageChangeDate", "CreatedDate", "LastModifiedDate",
                    "SystemModstamp"),
    "OpportunityLineItem": ("Id", "IsDeleted", "OpportunityId", "ProductCode", "Name", "Quantity", "UnitPrice",
                            "TotalPrice", "CurrencyIsoCode", "CreatedDate", "LastModifiedDate", "SystemModstamp"),
    "OpportunityContactRole": ("Id", "IsDeleted", "OpportunityId", "ContactId", "Role", "IsPrimary", "CreatedDate",
                               "LastModifiedDate", "SystemModstamp"),
    "Campaign": ("Id", "IsDeleted", "Name", "Type", "Status", "StartDate", "EndDate", "IsActive", "CreatedDate",
                 "LastModifiedDate", "SystemModstamp"),
}
# The API types of the fields above that JSON carries as other than text, by the object reference
# (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/primitive_data_types.htm:
# boolean; double, which currency fields are too); the UTM fields are text.
FIELD_TYPES: Mapping[str, str] = {
    **dict.fromkeys(("IsDeleted", "IsConverted", "IsClosed", "IsWon", "IsPrimary", "IsActive"), "boolean"),
    **dict.fromkeys(("Amount", "Quantity", "UnitPrice", "TotalPrice"), "double"),
}
log = logging.getLogger(__name__)
WITH_UTM = ("Lead", "Contact")
ORDER = " ORDER BY SystemModstamp, Id"
# Bulk API 2.0 results: as many records a request as the job gives (limits.BULK_RECORDS as maxRecords),
# polls of the job's state spaced out to at most a minute, for at most a day of waiting
# (https://developer.salesforce.com/docs/platform/api-asynch/guide/query-get-job-results.html).
BULK_POLL_SECONDS = (0.5, 1, 2, 5, 10, 30, 60)
BULK_MAX_WAIT_SECONDS = 86_400


@dataclass(frozen=True)
class QueryPage:
    """A query answer: `records` always, and `nextRecordsUrl` exactly while `done` is false
    (resources-query above). A page not done without a next link would end the listing early."""

    page: KeyedList = KeyedList("records", "Salesforce", next_path=("nextRecordsUrl",))

    def check(self, request: PageRequest, data: Any) -> None:
        self.page.check(request, data)
        if data.get("done") is not True and not data.get("nextRecordsUrl"):
            raise BrokenPage(f"the page says done is {data.get('done')!r} but has no nextRecordsUrl")

    def count(self, data: Any) -> int:
        return self.page.count(data)


QUERY_PAGE = QueryPage()
LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")


def _settings(ctx: FetchContext) -> ConnectorSettings:
    return ctx.config.settings or ConnectorSettings.from_env(ctx.config.env)


def soql(sobject: str, settings: ConnectorSettings, since: str | None) -> str:
    """The query of one object: its fields, modified since `since` (an ISO instant), in cursor order."""
    fields = FIELDS[sobject]
    if sobject in WITH_UTM:
        fields = (*fields, settings.salesforce_utm_source_field, settings.salesforce_utm_campaign_field)
    where = f" WHERE SystemModstamp >= {since}" if since else ""
    return f"SELECT {', '.join(fields)} FROM {sobject}{where}{ORDER}"


def since_cursor(cursor: str | None, overlap_minutes: int) -> str | None:
    """The SOQL dateTime literal (UTC, whole seconds, `Z`) `overlap_minutes` before the cursor."""
    if not cursor:
        return None
    try:
        at = parse_timestamp(cursor.replace("+0000", "+00:00"))
    except ValueError:
        raise RequestError(f"Salesforce cursor {cursor!r} is no SystemModstamp: the saved cursor is damaged; reset the "
                           f"stream's row in raw._cursors to load it again in full") from None
    return (at - timedelta(minutes=overlap_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def api_usage(headers: Mapping[str, str]) -> tuple[int, int] | None:
    """(requests used, daily allocation) from `Sforce-Limit-Info`, or None without one."""
    found = LIMIT_INFO.search(headers.get("sforce-limit-info", ""))
    return (int(found[1]), int(found[2])) if found else None


@dataclass(frozen=True)
class NextRecords:
    """Follows `nextRecordsUrl`, a path on the instance, checked to stay on the configured one, unless
    the org's daily allocation is nearly spent: the check runs before each next request is sent (the
    pages are fetched ahead of their landing, so a check after landing would come too late)."""

    client: VendorClient
    reserve_percent: float

    def next_request(self, request: PageRequest, response: Response) -> PageRequest | None:
        _guard_allocation(self.client.stream, response, self.reserve_percent)
        link = response.data.get("nextRecordsUrl")
        if not link:
            return None
        if not isinstance(link, str) or not link.startswith("/services/data/"):
            raise RequestError(f"{self.client.stream}: Salesforce answered nextRecordsUrl {link!r}, not a path under "
                               f"/services/data/; stopped. Nothing of this fetch was loaded")
        # the path is the instance's: under the configured base URL (the sandbox serves an instance at a path)
        return replace(request, url=self.client.check_link(self.client.url(link)), params={})


def _guard_allocation(stream: str, response: Response, reserve_percent: float) -> None:
    """Stop before the org's daily allocation runs out (its other integrations share it)."""
    usage = api_usage(response.headers)
    if usage is None:
        return
    used, allocation = usage
    if allocation - used < allocation * reserve_percent / 100:
        raise RequestError(
            f"{stream}: the Salesforce org has used {used} of its {allocation} daily API requests "
            f"(Sforce-Limit-Info); stopped with less than HUB_SALESFORCE_API_RESERVE_PERCENT={reserve_percent:g}% left, "
            f"before REQUEST_LIMIT_EXCEEDED. Nothing of this fetch was loaded and the cursor did not move: run it "
            f"again once the 24-hour window frees requests, or lower the reserve")


def fetch_object(ctx: FetchContext) -> None:
    """queryAll of the stream's object since the cursor minus the overlap, every page landed; a large
    first sync as a Bulk API 2.0 job."""
    settings = _settings(ctx)
    sobject = OBJECTS[ctx.spec.stream]
    version = settings.salesforce_api_version or LIVE_VERSION
    if warning := retirement_warning(version):
        log.warning("%s: %s", ctx.spec.name, warning)
    since = since_cursor(ctx.cursor_before, settings.salesforce_overlap_minutes)
    query_url = ctx.client.url(f"/services/data/{version}/queryAll")
    try:
        threshold = settings.salesforce_bulk_threshold
        if since is None and threshold and _count(ctx, query_url, sobject) > threshold:
            _bulk(ctx, version, soql(sobject, settings, None).removesuffix(ORDER))
            return None
        first = PageRequest("GET", query_url, {"q": soql(sobject, settings, since)})
        for _ in ctx.land_pages("", first, NextRecords(ctx.client, settings.salesforce_api_reserve_percent), QUERY_PAGE):
            pass
    except VendorRefused as exc:
        if exc.status == 410:
            raise RequestError(f"{ctx.spec.name}: Salesforce no longer serves API {version} (410 GONE, retired): set "
                               f"HUB_SALESFORCE_API_VERSION to a live version such as {LIVE_VERSION}, or unset it") from exc
        raise
    return None


def _count(ctx: FetchContext, query_url: str, sobject: str) -> int:
    """How many records (deleted ones too) queryAll of `sobject` would return: `SELECT COUNT()`."""
    response = ctx.client.send("GET", query_url, params={"q": f"SELECT COUNT() FROM {sobject}"})
    total = response.data.get("totalSize") if isinstance(response.data, dict) else None
    if not isinstance(total, int):
        raise RequestError(f"{ctx.spec.name}: Salesforce answered SELECT COUNT() FROM {sobject} without a totalSize; "
                           f"set HUB_SALESFORCE_BULK_THRESHOLD=0 to sync it by REST pages")
    return total


def _bulk(ctx: FetchContext, version: str, soql_text: str) -> None:
    """A Bulk API 2.0 queryAll job: created, polled until JobComplete, its CSV result sets landed."""
    jobs = ctx.client.url(f"/services/data/{version}/jobs/query")
    job = ctx.client.send("POST", jobs, json={"operation": "queryAll", "query": soql_text}).data
    status_url = f"{jobs}/{job['id']}"
    waited = 0.0
    for wait in itertools.chain(BULK_POLL_SECONDS, itertools.repeat(BULK_POLL_SECONDS[-1])):
        state = ctx.client.send("GET", status_url).data.get("state")
        if state == "JobComplete":
            break
        if state in ("Failed", "Aborted") or waited > BULK_MAX_WAIT_SECONDS:
            raise RequestError(f"{ctx.spec.name}: the Bulk API 2.0 job {job['id']} ended {state} after {waited:.0f}s; "
                               f"nothing was loaded: run it again, or set HUB_SALESFORCE_BULK_THRESHOLD=0 for REST pages")
        ctx.on_progress(f"{ctx.spec.name}: Bulk API job {job['id']} is {state}")
        time.sleep(wait)  # the job runs on Salesforce's side: nothing to do but wait
        waited += wait
    locator: str | None = None
    while locator != "null":
        params = {"maxRecords": BULK_RECORDS, **({"locator": locator} if locator else {})}
        response = ctx.client.send("GET", f"{status_url}/results", params=params, parse=None)
        rows = csv_records(response.content)
        expected = response.headers.get("sforce-numberofrecords")
        if expected is not None and int(expected) != rows:
            raise RequestError(f"{ctx.spec.name}: a Bulk API result set holds {rows} rows but says "
                               f"Sforce-NumberOfRecords {expected}; nothing was loaded: run it again")
        sobject = OBJECTS[ctx.spec.stream]
        key = {"job": job["id"], "locator": locator, "type": sobject, "url": f"/services/data/{version}/sobjects/{sobject}/"}
        ctx.land("", response, rows, key=orjson.dumps(key).decode(), extension="csv")
        locator = response.headers.get("sforce-locator") or "null"


OBJECTS = {"leads": "Lead", "contacts": "Contact", "accounts": "Account", "opportunities": "Opportunity",
           "opportunity_line_items": "OpportunityLineItem", "opportunity_contact_roles": "OpportunityContactRole",
           "campaigns": "Campaign"}


def bulk_result_rows(sobject: str) -> CsvRecords:
    """How a Bulk result set of `sobject` loads: its fields typed, and the `attributes` a query record
    carries, from the keys line landed beside it."""
    return CsvRecords(
        types=tuple((name, FIELD_TYPES[name]) for name in FIELDS[sobject] if name in FIELD_TYPES),
        members="attributes := struct_pack(type := page_key->>'type', url := (page_key->>'url') || \"Id\")",
    )


def _stream(stream: str, description: str) -> StreamSpec:
    return StreamSpec(
        name=f"salesforce__{stream}",
        system="salesforce",
        description=description,
        primary_key="The 18-character Salesforce record id (`Id`)",
        cursor_field="`SystemModstamp`: the next run asks for records modified since the highest one loaded, minus "
                     "HUB_SALESFORCE_OVERLAP_MINUTES",
        shape=RecordShape(records_path="$.records[*]", pk_parts=("Id",), cursor_path="SystemModstamp",
                          checks=(Check("SystemModstamp", "date"),), csv=bulk_result_rows(OBJECTS[stream])),
        fetch=fetch_object,
    )


STREAMS = (
    _stream("leads", "Salesforce leads with their UTM fields; deleted and merged ones as tombstones (IsDeleted, MasterRecordId)."),
    _stream("contacts", "Salesforce contacts (converted leads), tied to opportunities by contact roles."),
    _stream("accounts", "Salesforce accounts (customers)."),
    _stream("opportunities", "Salesforce opportunities with amount, currency and stage."),
    _stream("opportunity_line_items", "Salesforce opportunity line items: product code, quantity and unit price."),
    _stream("opportunity_contact_roles", "Salesforce opportunity contact roles: which contacts an opportunity has."),
    _stream("campaigns", "Salesforce campaigns."),
)
