"""`python -m pipelines.report [MARTS_FILE] [REPORT_DIR]`: rebuild the report from published marts."""

import argparse
import logging
import os
from pathlib import Path

from pipelines.report.page import write_report


def main(argv: list[str] | None = None) -> int:
    """Write the report from the published marts file (defaults under `HUB_DATA_DIR`)."""
    data_dir = Path(os.environ.get("HUB_DATA_DIR", "data"))
    parser = argparse.ArgumentParser(prog="python -m pipelines.report", description=__doc__)
    parser.add_argument("marts_file", nargs="?", type=Path, default=data_dir / "marts.duckdb")
    parser.add_argument("report_dir", nargs="?", type=Path, default=data_dir / "report")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write_report(args.marts_file, args.report_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
