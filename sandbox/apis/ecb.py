"""ECB Data Portal: GET /service/data/EXR/D.{CUR+CUR}.EUR.SP00.A?format=csvdata."""

import csv
import io

import orjson
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from sandbox.apis.common import Call, Sandbox, endpoint

COLUMNS = ["KEY", "FREQ", "CURRENCY", "CURRENCY_DENOM", "EXR_TYPE", "EXR_SUFFIX", "TIME_PERIOD", "OBS_VALUE",
           "OBS_STATUS", "OBS_CONF", "OBS_PRE_BREAK", "OBS_COM", "TIME_FORMAT", "BREAKS", "COLLECTION",
           "COMPILING_ORG", "DISS_ORG", "DOM_SER_IDS", "PUBL_ECB", "PUBL_MU", "PUBL_PUBLIC", "UNIT_INDEX_BASE",
           "COMPILATION", "COVERAGE", "DECIMALS", "NAT_TITLE", "SOURCE_AGENCY", "SOURCE_PUB", "TITLE",
           "TITLE_COMPL", "UNIT", "UNIT_MULT"]
NAMES = {"USD": "US dollar", "GBP": "UK pound sterling", "SEK": "Swedish krona", "CHF": "Swiss franc"}


def check_auth(call: Call) -> Response | None:
    """The ECB needs no credentials."""
    return None


def fault_response(call: Call, kind: str) -> Response:
    """The ECB answers overload with a plain 503 and Retry-After."""
    return PlainTextResponse("Service Unavailable", 503, headers={"Retry-After": call.wait_hint("1")})


def series(call: Call) -> Response:
    """Daily reference rates for the key's currencies between startPeriod and endPeriod, as CSV."""
    parts = call.request.path_params["key"].split(".")
    if len(parts) != 5 or parts[0] != "D" or parts[2:] != ["EUR", "SP00", "A"]:
        return PlainTextResponse("Bad request: sandbox serves keys D.<CUR+CUR>.EUR.SP00.A", 400)
    if call.params.get("format") != "csvdata":
        return PlainTextResponse("Not Acceptable: sandbox serves format=csvdata only", 406)
    wanted = [c for c in parts[1].split("+") if c]
    start, end = call.params.get("startPeriod", "0000-01-01"), call.params.get("endPeriod", "9999-12-31")
    where = "event_date between ? and ?"
    params: list = [start, end]
    if wanted:
        where += f" and substr(id, 1, 3) in ({','.join('?' * len(wanted))})"
        params += wanted
    rows = call.world.query("ecb/rates", "", where, params, order="substr(id, 1, 3), event_date", columns="payload")
    if not rows:
        return PlainTextResponse("No results found.", 404)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for (payload,) in rows:
        r = orjson.loads(payload)
        cur = r["currency"]
        title = f"{NAMES[cur]}/Euro"
        values = {"KEY": f"EXR.D.{cur}.EUR.SP00.A", "FREQ": "D", "CURRENCY": cur, "CURRENCY_DENOM": "EUR",
                  "EXR_TYPE": "SP00", "EXR_SUFFIX": "A", "TIME_PERIOD": r["date"], "OBS_VALUE": r["rate"],
                  "OBS_STATUS": "A", "OBS_CONF": "F", "TIME_FORMAT": "P1D", "COLLECTION": "A", "DECIMALS": "4",
                  "SOURCE_AGENCY": "4F0", "TITLE": title,
                  "TITLE_COMPL": f"ECB reference exchange rate, {title}, 2:15 pm (C.E.T.)", "UNIT": cur,
                  "UNIT_MULT": "0"}
        writer.writerow([values.get(c, "") for c in COLUMNS])
    return Response(out.getvalue(), 200, media_type="text/csv; charset=utf-8")


def routes(sandbox: Sandbox) -> list[Route]:
    """The ECB route (mounted under /ecb)."""
    return [endpoint(sandbox, "ecb", "/service/data/EXR/{key}", ["GET"], series, check_auth, fault_response)]
