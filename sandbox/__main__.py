"""CLI: `python -m sandbox generate|serve|truth` (see sandbox/README.md)."""

import argparse
import logging
import os
import sys
from datetime import date

import orjson

from sandbox.apis.faults import HELP as FAULTS_HELP
from sandbox.world import DEFAULT_AS_OF, DEFAULT_SEED
from sandbox.apis.common import META_MAX_ROWS
from sandbox.apis.limits import DEFAULT_TIME_SCALE
from sandbox.apis.hubspot import DEFAULT_SEARCH_LAG_SECONDS
from sandbox.world.scales import SCALES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def world_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--seed", type=int, default=DEFAULT_SEED)
        p.add_argument("--scale", choices=list(SCALES), default="tiny")
        p.add_argument("--data-dir", default=None, help="where world stores live (default $HUB_DATA_DIR/sandbox)")

    gen = sub.add_parser("generate", help="write the world store (reused when already complete)")
    world_args(gen)
    srv = sub.add_parser("serve", help="serve the vendor APIs over HTTP")
    world_args(srv)
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8765)
    srv.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF,
                     help=f"the clock: show the world as it stood on this date (default {DEFAULT_AS_OF})")
    srv.add_argument("--faults", default=None, help=FAULTS_HELP)
    srv.add_argument("--slow-seconds", type=float, default=2.0, help="delay of the 'slow' fault")
    srv.add_argument("--retry-after", default=None,
                     help="the wait every throttling answer asks for, sent as given (hostile values too: 0, -5, nan, "
                          "inf, an HTTP date): Retry-After, X-RateLimit-Reset, Meta's estimated_time_to_regain_access "
                          "(seconds here), Google's retryDelay")
    # HUB_API_VERSION_DATE is the connectors' day for the same calendar: one setting moves both.
    srv.add_argument("--version-date", type=date.fromisoformat, default=os.environ.get("HUB_API_VERSION_DATE") or None,
                     help="the date Google Ads and Meta API versions are judged by (default: HUB_API_VERSION_DATE, "
                          "else today, UTC); a sunset or unreleased version gets the vendor's error")
    srv.add_argument("--meta-max-rows", type=int, default=META_MAX_ROWS,
                     help=f"Meta insights answer 'reduce the amount of data' (code 100, subcode 1487534) to a call "
                          f"over this many rows (default {META_MAX_ROWS}; 0: never)")
    srv.add_argument("--token-seconds", type=float, default=None,
                     help="lifetime of issued OAuth tokens (default: each vendor's: Google 3599, HubSpot 1800, "
                          "DocuSign 3600 JWT / 28800 refresh)")
    srv.add_argument("--token-uses", type=int, default=None,
                     help="an issued OAuth token expires after this many API calls (default: never)")
    srv.add_argument("--hubspot-search-lag", type=int, default=None, metavar="SECONDS",
                     help=f"the most HubSpot's search index lags behind writes: each record version becomes "
                          f"searchable a deterministic 0..SECONDS after it was written (default "
                          f"{DEFAULT_SEARCH_LAG_SECONDS}; 0: search sees every write at once; "
                          f"POST /hubspot/_admin/search-lag changes it while serving)")
    srv.add_argument("--time-scale", type=float,
                     default=float(os.environ.get("HUB_SANDBOX_TIME_SCALE") or DEFAULT_TIME_SCALE),
                     help=f"vendor seconds per real second of the vendors' rate limits, which are always enforced "
                          f"(sandbox/apis/limits.py; default: HUB_SANDBOX_TIME_SCALE, else {DEFAULT_TIME_SCALE:g}: a "
                          f"vendor minute per second); rate-limit headers give waits in real seconds")
    srv.add_argument("--no-limits", action="store_true",
                     help="serve without the vendors' rate limits and their headers (benchmarks of our own "
                          "throughput, bench/ingest.py); every other behaviour stays")
    tru = sub.add_parser("truth", help="print the ground truth JSON (CONTRACTS §5)")
    world_args(tru)
    tru.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    tru.add_argument("--currency", default="EUR")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one CLI command; returns the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    if args.command == "generate":
        from sandbox.world.store import ensure_world

        print(ensure_world(args.seed, args.scale, args.data_dir))
    elif args.command == "serve":
        from sandbox.server import make_sandbox, serve

        try:
            sandbox = make_sandbox(args.seed, args.scale, args.as_of, args.faults, args.data_dir, args.slow_seconds,
                                   args.retry_after, args.version_date, args.meta_max_rows, args.token_seconds,
                                   args.token_uses, args.hubspot_search_lag, args.time_scale, not args.no_limits)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        serve(args.host, args.port, sandbox)
    else:
        from sandbox.truth import compute_truth

        sys.stdout.write(orjson.dumps(compute_truth(args.seed, args.scale, args.as_of, args.currency),
                                      option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
