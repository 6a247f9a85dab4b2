"""Salesforce REST API: SOQL `query` and `queryAll` with `nextRecordsUrl` paging, Bulk API 2.0 query
jobs with CSV results, the daily request allocation in `Sforce-Limit-Info`, and Salesforce's errors.

Each behaviour copies Salesforce's own documentation:
- query / queryAll: up to 2,000 records a batch, `Sforce-Query-Options: batchSize=N` (200 to 2,000)
  asks for fewer; the answer carries `totalSize`, `done`, `records` and, while not done,
  `nextRecordsUrl` = `/services/data/vXX.X/query/<locator>-<offset>`
  (https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query.html,
  https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query-more-results.html);
  queryAll also returns deleted records, with `IsDeleted: true`
  (https://developer.salesforce.com/docs/platform/api-rest/guide/dome-queryall.html: its
  nextRecordsUrl still reads `query`).
- Bulk API 2.0 query jobs: POST /jobs/query, GET /jobs/query/{id} until `JobComplete`, GET
  /jobs/query/{id}/results (`locator`, `maxRecords`) as CSV with `Sforce-Locator` ('null' on the last
  set) and `Sforce-NumberOfRecords` (https://developer.salesforce.com/docs/platform/api-asynch/guide/query-get-job-results.html).
- Every answer carries `Sforce-Limit-Info: api-usage=N/M`, the org's requests in the last 24 hours
  and its allocation (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm);
  past the allocation a call gets 403 REQUEST_LIMIT_EXCEEDED. The sandbox's allocation, 100,000 a day,
  is the one that page's example shows; the sandbox counts fixed days of vendor time (`--time-scale`, sandbox/apis/limits.py), and
  POST /salesforce/_admin/allocation {"requests": N} sets the allocation (GET shows it, and the calls
  refused for it); POST /salesforce/_admin/batch {"records": N} makes query batches at most N long.
- Errors are a JSON array of {message, errorCode}: MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE,
  INVALID_QUERY_LOCATOR, INVALID_SESSION_ID (401), REQUEST_LIMIT_EXCEEDED (403), NOT_FOUND
  (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm); a
  retired API version (21.0 to 30.0 since Summer '25) answers 410 GONE
  (https://help.salesforce.com/s/articleView?id=000354473).
The sandbox's SOQL is the subset the connector sends: SELECT fields | COUNT() FROM object [WHERE
SystemModstamp <op> datetime [AND ...]] [ORDER BY SystemModstamp, Id | ORDER BY Id] [LIMIT n]
(COUNT() answers totalSize and no records:
https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_count.htm).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.apis.common import Call, Sandbox, burst_status, endpoint, json_response
from sandbox.apis.versions import judged_on
from sandbox.credentials import SANDBOX_CREDENTIALS
from sandbox.world.salesforce import RESOURCE, UTM_CAMPAIGN_FIELD, UTM_SOURCE_FIELD, stamp
from sandbox.world.timefmt import iso_ms, parse_iso

LATEST_VERSION = 67.0  # Summer '26
OLDEST_LIVE_VERSION = 31.0  # 21.0-30.0 retired in Summer '25
# 31.0-40.0 retire with the Summer '28 release (https://help.salesforce.com/s/articleView?id=005321531);
# the sandbox takes its first day as June 1st (Summer releases reach orgs from June).
SUMMER_28 = date(2028, 6, 1)
DEFAULT_BATCH, MIN_BATCH, MAX_BATCH = 2000, 200, 2000
DAILY_ALLOCATION = 100_000
DAY = 86_400.0
KEPT_CURSORS = 64  # open query locators and bulk jobs kept (Salesforce keeps them 15 minutes to days)
_COMMON = ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp")
FIELDS = {  # each object's fields the world fills (sandbox/world/salesforce.py)
    "Lead": (*_COMMON, "MasterRecordId", "FirstName", "LastName", "Email", "Company", "Status", "LeadSource",
             "IsConverted", "ConvertedContactId", "ConvertedDate", UTM_SOURCE_FIELD, UTM_CAMPAIGN_FIELD),
    "Contact": (*_COMMON, "MasterRecordId", "AccountId", "FirstName", "LastName", "Email", UTM_SOURCE_FIELD,
                UTM_CAMPAIGN_FIELD),
    "Account": (*_COMMON, "Name", "Website", "BillingCountryCode", "Industry", "Type"),
    "Opportunity": (*_COMMON, "Name", "AccountId", "StageName", "Probability", "IsClosed", "IsWon", "Amount",
                    "CurrencyIsoCode", "CloseDate", "LastStageChangeDate", "ForecastCategoryName", "Pricebook2Id"),
    "OpportunityLineItem": (*_COMMON, "OpportunityId", "ProductCode", "Name", "Quantity", "UnitPrice", "TotalPrice",
                            "CurrencyIsoCode"),
    "OpportunityContactRole": (*_COMMON, "OpportunityId", "ContactId", "Role", "IsPrimary"),
    "Campaign": (*_COMMON, "Name", "Type", "Status", "StartDate", "EndDate", "IsActive", "CurrencyIsoCode"),
}
SOQL = re.compile(r"^\s*select\s+(?P<fields>.+?)\s+from\s+(?P<object>\w+)(?:\s+where\s+(?P<where>.+?))?"
                  r"(?:\s+order\s+by\s+(?P<order>.+?))?(?:\s+limit\s+(?P<limit>\d+))?\s*$", re.I | re.S)
CONDITION = re.compile(r"^(SystemModstamp|LastModifiedDate)\s*(>=|<=|>|<|=)\s*(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d))$",
                       re.I)
ORDERS = {"systemmodstamp,id": "modified_at, id", "systemmodstamp": "modified_at, id", "id": "id"}


def errors(status: int, code: str, message: str) -> Response:
    """Salesforce's error body: a list of {message, errorCode}."""
    return json_response([{"message": message, "errorCode": code}], status)


def check_auth(call: Call) -> Response | None:
    """`Authorization: Bearer <session id>`; anything else is an invalid session."""
    if call.request.headers.get("authorization") != f"Bearer {SANDBOX_CREDENTIALS['salesforce']['access_token']}":
        return errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
    return None


def fault_response(call: Call, kind: str) -> Response:
    """An overloaded server answers 503 ("the server is unavailable to handle the request ... currently
    overloaded": https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm);
    REQUEST_LIMIT_EXCEEDED is kept for the daily allocation, which waiting seconds does not cure."""
    if kind == "rate_limit":
        response = errors(503, "SERVER_UNAVAILABLE", "The server is unavailable to handle the request: try again later")
        response.headers["Retry-After"] = call.wait_hint("1")
        return response
    return errors(burst_status(call), "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this "
                  "ErrorId if you contact support: 1234567890-12345 (-1234567890)")


@dataclass(frozen=True)
class Query:
    """A parsed SOQL query of the supported subset."""

    sobject: str
    fields: tuple[str, ...]  # API names as Salesforce spells them
    where: str
    params: tuple[str, ...]
    order: str
    limit: int | None
    counting: bool = False  # SELECT COUNT(): the answer is totalSize with no records


def parse(soql: str) -> Query | Response:
    """The query, or Salesforce's MALFORMED_QUERY / INVALID_TYPE / INVALID_FIELD answer."""
    found = SOQL.match(soql or "")
    if not found:
        return errors(400, "MALFORMED_QUERY", f"unexpected token: {soql[:60]!r}")
    sobject = next((o for o in FIELDS if o.lower() == found["object"].lower()), None)
    if sobject is None:
        return errors(400, "INVALID_TYPE", f"\n{soql}\n^\nERROR at Row:1:Column:1\nsObject type '{found['object']}' "
                      "is not supported. If you are attempting to use a custom object, be sure to append the '__c' "
                      "after the entity name.")
    known = {f.lower(): f for f in FIELDS[sobject]}
    fields = []
    counting = re.fullmatch(r"count\(\s*\)", found["fields"].strip(), re.I) is not None  # totalSize only
    for name in () if counting else (f.strip() for f in found["fields"].split(",")):
        if name.lower() not in known:
            return errors(400, "INVALID_FIELD", f"\n{soql}\n^\nERROR at Row:1:Column:1\nNo such column '{name}' on "
                          f"entity '{sobject}'. If you are attempting to use a custom field, be sure to append the "
                          "'__c' after the custom field name.")
        fields.append(known[name.lower()])
    where, params = [], []
    for part in re.split(r"\s+and\s+", found["where"] or "", flags=re.I) if found["where"] else []:
        cond = CONDITION.match(part.strip())
        if not cond:
            return errors(400, "MALFORMED_QUERY", f"the sandbox supports SystemModstamp comparisons joined by AND "
                          f"in WHERE, not {part.strip()!r}")
        where.append(f"modified_at {cond[2]} ?")
        params.append(iso_ms(parse_iso(cond[3])))
    order = ORDERS.get(re.sub(r"\s+|asc", "", (found["order"] or "id").lower()))
    if order is None:
        return errors(400, "MALFORMED_QUERY", f"the sandbox orders by SystemModstamp, Id or by Id, not {found['order']!r}")
    return Query(sobject, tuple(fields), " and ".join(where), tuple(params), order,
                 int(found["limit"]) if found["limit"] else None, counting)


def _project(payload: str, query: Query, version: str) -> dict:
    record = orjson.loads(payload)
    out: dict = {"attributes": {"type": query.sobject,
                                "url": f"/services/data/v{version}/sobjects/{query.sobject}/{record['Id']}"}}
    for name in query.fields:
        out[name] = record.get(name)
    return out


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Results:
    """One query's records as of the moment it ran (a locator or a bulk job pages through them)."""

    query: Query
    version: str
    rowids: list[int]
    kind: str  # 'query' | 'queryAll'
    polls: int = 0  # bulk jobs: status reads so far


@dataclass
class OrgState:
    """Open locators and jobs, and the org's request count per vendor day."""

    allocation: int = DAILY_ALLOCATION
    most_records: int = MAX_BATCH  # the largest batch answered (POST /_admin/batch: fewer, as a busy org may)
    refused: int = 0  # calls answered REQUEST_LIMIT_EXCEEDED for the allocation (GET /_admin/allocation)
    open: OrderedDict = field(default_factory=OrderedDict)
    used: dict[int, int] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, prefix: str, results: Results) -> str:
        """Remember `results` under a new id (`prefix` is the key prefix: 01g locators, 750 jobs)."""
        with self.lock:
            key = f"{prefix}Hb{next(self.ids):010d}"
            self.open[key] = results
            while len(self.open) > KEPT_CURSORS:
                self.open.popitem(last=False)
        return key

    def spend(self, day: int) -> int:
        """Count one request on vendor day `day`; the requests of that day so far."""
        with self.lock:
            self.used[day] = self.used.get(day, 0) + 1
            return self.used[day]


def _version(call: Call) -> str | Response:
    """The path's API version if Salesforce serves it, else its answer (410 retired, 404 unknown).
    Judged on `--version-date` like the other vendors: 31.0-40.0 retire with Summer '28."""
    text = call.request.path_params["version"]
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    oldest = OLDEST_LIVE_VERSION if judged_on(call) < SUMMER_28 else 41.0
    if 0 < number < oldest:
        return errors(410, "GONE", f"API version {text} has been retired: use version {oldest} or later")
    if number < oldest or number > LATEST_VERSION or not re.fullmatch(r"\d+\.0", text):
        return errors(404, "NOT_FOUND", "The requested resource does not exist")
    return text


def _run(call: Call, query: Query, kind: str) -> list[int]:
    where = query.where
    if kind == "query":
        where = " and ".join(p for p in (where, "json_extract(payload, '$.IsDeleted') = 0") if p)
    rows = call.world.query(RESOURCE + query.sobject, "", where, query.params, order=query.order,
                            limit=query.limit, columns="rowid")
    return [r for r, in rows]


def _batch_size(call: Call, most: int) -> int:
    """The header's batchSize (clamped to 200..2,000), at most `most`: Salesforce may return fewer
    records than asked "based on the size and complexity of records queried" (resources-query)."""
    options = call.request.headers.get("sforce-query-options", "")
    found = re.search(r"batchSize\s*=\s*(\d+)", options)
    return min(most, MAX_BATCH, max(MIN_BATCH, int(found[1])) if found else DEFAULT_BATCH)


def _page(call: Call, results: Results, locator: str | None, offset: int, size: int) -> Response:
    start = offset - 1 if offset and call.page_fault() else offset  # duplicate fault: one record again
    rowids = results.rowids[start:offset + size]
    records = [_project(p, results.query, results.version) for p in call.world.payloads(rowids)]
    end = offset + size
    body: dict = {"totalSize": len(results.rowids), "done": end >= len(results.rowids), "records": records}
    if not body["done"]:
        body["nextRecordsUrl"] = f"/services/data/v{results.version}/query/{locator}-{end}"
    return json_response(body)


async def _posted_number(request: Request, route: str, key: str, lo: int, hi: int) -> int | Response:
    """The whole number `key` of an admin POST body, or a 400 saying what the route needs."""
    try:
        value = int((await request.json())[key])
        if not lo <= value <= hi:
            raise ValueError(f"outside {lo}..{hi}")
    except (ValueError, KeyError, TypeError) as exc:
        return json_response({"error": f'POST /salesforce/_admin/{route} needs {{"{key}": N}}, {lo} <= N <= {hi}: {exc}'}, 400)
    return value


def routes(sandbox: Sandbox) -> list[Route]:
    """The Salesforce routes (mounted under /salesforce) and `/_admin/allocation`."""
    org = OrgState()

    def metered(handler):  # noqa: ANN001, ANN202 - a Handler wrapper
        def run(call: Call) -> Response:
            used = org.spend(int(sandbox.limits.vendor_now() // DAY))
            if used > org.allocation:
                org.refused += 1
                response = errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            else:
                version = _version(call)
                response = version if isinstance(version, Response) else handler(call, version)
            response.headers["Sforce-Limit-Info"] = f"api-usage={min(used, org.allocation)}/{org.allocation}"
            return response
        return run

    def ep(path: str, methods: list[str], handler) -> Route:  # noqa: ANN001
        return endpoint(sandbox, "salesforce", "/services/data/v{version}" + path, methods, metered(handler),
                        check_auth, fault_response)

    def query(call: Call, version: str, kind: str) -> Response:
        parsed = parse(call.params.get("q", ""))
        if isinstance(parsed, Response):
            return parsed
        results = Results(parsed, version, _run(call, parsed, kind), kind)
        if parsed.counting:
            return json_response({"totalSize": len(results.rowids), "done": True, "records": []})
        size = _batch_size(call, org.most_records)
        locator = org.keep("01g", results) if len(results.rowids) > size else None
        return _page(call, results, locator, 0, size)

    def more(call: Call, version: str) -> Response:
        locator, _, offset = call.request.path_params["locator"].rpartition("-")
        results = org.open.get(locator)
        if results is None or not offset.isdigit():
            return errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return _page(call, results, locator, int(offset), _batch_size(call, org.most_records))

    def job_info(key: str, results: Results, state: str) -> dict:
        return {"id": key, "operation": results.kind, "object": results.query.sobject,
                "createdById": "005Hb0000000001AAA", "createdDate": stamp(int(time.time())),
                "systemModstamp": stamp(int(time.time())), "state": state, "concurrencyMode": "Parallel",
                "contentType": "CSV", "apiVersion": float(results.version), "lineEnding": "LF",
                "columnDelimiter": "COMMA", "numberRecordsProcessed": len(results.rowids) if state == "JobComplete" else 0}

    def create_job(call: Call, version: str) -> Response:
        try:
            body = call.json_body() or {}
        except ValueError as exc:
            return errors(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}")
        kind = body.get("operation")
        if kind not in ("query", "queryAll"):
            return errors(400, "INVALIDJOB", f"Invalid operation: {kind!r}, expected query or queryAll")
        parsed = parse(body.get("query", ""))
        if isinstance(parsed, Response):
            return parsed
        if parsed.counting or re.search(r"\sorder\s+by\s", body.get("query", ""), re.I):
            # Bulk API 2.0 takes neither aggregate functions nor ORDER BY
            # (https://developer.salesforce.com/docs/platform/api-asynch/guide/queries.html)
            return errors(400, "API_ERROR", "Aggregate functions and ORDER BY are not supported by Bulk API 2.0 query")
        results = Results(parsed, version, _run(call, parsed, kind), kind)
        key = org.keep("750", results)
        return json_response(job_info(key, results, "UploadComplete"))

    def job(call: Call, version: str) -> Response:
        key = call.request.path_params["job"]
        results = org.open.get(key)
        if results is None or not key.startswith("750"):
            return errors(404, "NOT_FOUND", "The requested resource does not exist")
        results.polls += 1  # the first read finds it still running, as a real job would be
        return json_response(job_info(key, results, "InProgress" if results.polls == 1 else "JobComplete"))

    def job_results(call: Call, version: str) -> Response:
        key = call.request.path_params["job"]
        results = org.open.get(key)
        if results is None or not key.startswith("750"):
            return errors(404, "NOT_FOUND", "The requested resource does not exist")
        if results.version != version:
            return errors(409, "INVALIDJOBSTATE", "Use the same API version to get query results as the query job")
        if results.polls < 2:
            return errors(400, "INVALIDJOBSTATE", "Job is not complete yet")
        start = int(call.params.get("locator") or 0)
        size = int(call.params.get("maxRecords") or 50_000)
        rowids = results.rowids[start:start + size]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(results.query.fields)
        for payload in call.world.payloads(rowids):
            record = orjson.loads(payload)
            writer.writerow([_csv_value(record.get(f)) for f in results.query.fields])
        end = start + size
        headers = {"Sforce-Locator": str(end) if end < len(results.rowids) else "null",
                   "Sforce-NumberOfRecords": str(len(rowids))}
        return Response(out.getvalue(), 200, headers, media_type="text/csv")

    async def allocation(request: Request) -> Response:
        if request.method == "POST":
            requests = await _posted_number(request, "allocation", "requests", 1, 10**9)
            if isinstance(requests, Response):
                return requests
            with org.lock:
                org.allocation, org.used = requests, {}
        return json_response({"requests": org.allocation, "refused": org.refused})

    async def batch(request: Request) -> Response:
        if request.method == "POST":
            records = await _posted_number(request, "batch", "records", 1, MAX_BATCH)
            if isinstance(records, Response):
                return records
            org.most_records = records
        return json_response({"records": org.most_records})

    async def versions(request: Request) -> Response:  # GET /services/data/: not counted, needs no session
        listed = [{"label": "Summer '26" if v == LATEST_VERSION else f"v{v:.1f}", "url": f"/services/data/v{v:.1f}",
                   "version": f"{v:.1f}"} for v in (float(n) for n in range(int(OLDEST_LIVE_VERSION), int(LATEST_VERSION) + 1))]
        return json_response(listed)

    return [
        ep("/query", ["GET"], lambda call, version: query(call, version, "query")),
        ep("/queryAll", ["GET"], lambda call, version: query(call, version, "queryAll")),
        ep("/query/{locator}", ["GET"], more),
        ep("/queryAll/{locator}", ["GET"], more),
        ep("/jobs/query", ["POST"], create_job),
        ep("/jobs/query/{job}", ["GET"], job),
        ep("/jobs/query/{job}/results", ["GET"], job_results),
        Route("/services/data/", versions),
        Route("/_admin/allocation", allocation, methods=["GET", "POST"]),
        Route("/_admin/batch", batch, methods=["GET", "POST"]),
    ]
