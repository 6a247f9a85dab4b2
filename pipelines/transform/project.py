"""The dbt project as Dagster sees it: one `DbtProject`, its manifest prepared when the definitions load.

Under `dagster dev` (and wherever the manifest is missing, as in a fresh clone) loading the project
parses it with the hub's vars (`prepare_when_loaded`); `python -m pipelines` parses it before it
loads the definitions. Each choice of vendors (HUB_CRM, HUB_FULFILMENT) has its own manifest.
"""

import json
import os
import sys
from collections.abc import Mapping, Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev
from filelock import FileLock
from packaging import version

from connectors.config import VENDORS
from connectors.streams import configured_vendors
from pipelines.settings import load_settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# dbt from this interpreter's environment, so a PATH without the venv still finds it.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


def vendors_target_path(vendors: Mapping[str, str]) -> Path:
    """Where dbt writes the manifest and partial parse of a choice of vendors (HUB_CRM, HUB_FULFILMENT):
    `target` for the defaults, `target/<crm>-<fulfilment>` for any other, so a manifest never describes
    vendors other than the configured ones and switching back and forth re-parses nothing."""
    if all(vendors[kind] == choices[0] for kind, choices in VENDORS.items()):
        return Path("target")
    return Path("target") / "-".join(vendors[kind] for kind in VENDORS)


dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=vendors_target_path(configured_vendors())
)


class HubDbtCliResource(DbtCliResource):
    """dagster-dbt's CLI resource without two start-up costs the hub never uses.

    Before each build dagster-dbt runs `dbt --version` in a subprocess (a second dbt start-up)
    and loads a dbt adapter with every macro into the Dagster process, only to fetch row counts
    and column metadata through it. Our dbt is the pinned dbt-core of this environment, so its
    version is the installed package's; and dbt logs each model's row count itself
    (pipelines/transform/metadata.py), so no adapter is needed (what that saves: bench/README.md,
    "What changed the nightly"). Both overrides are checked against dagster-dbt's behaviour
    in tests/pipelines/test_pipelines_units.py, so an upgrade that changes them fails there.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def dbt_cli() -> DbtCliResource:
    """The dbt CLI resource every dbt call of the hub goes through."""
    return HubDbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))


# Settings the Salesforce staging reads as dbt vars of the same names (HUB_SALESFORCE_UTM_*_FIELD).
SALESFORCE_VARS = ("salesforce_utm_source_field", "salesforce_utm_campaign_field")


def dbt_vars(env: Mapping[str, str]) -> dict[str, str]:
    """The dbt vars the environment decides, checked (SettingsError if bad): the reporting currency,
    the vendor of each kind (HUB_CRM, HUB_FULFILMENT) when it is not the default, and under
    crm=salesforce the org's UTM field names.

    The models write the vars into SQL text, so only validated values reach them: a currency is three
    letters, upper case, EUR or a currency the ECB publishes and HUB_ECB_CURRENCIES pulls; a vendor is
    one of connectors.config.VENDORS. A default vendor is left to dbt_project.yml (which declares the
    same defaults), so the default configuration's vars, and so its partial parse, stay as they were.

    Parse and build must pass the same vars: dbt throws its partial parse away when the CLI vars
    differ and parses the whole project again (several seconds on every nightly). So the report
    clock is not a var: the models read HUB_AS_OF through `env_var`, which makes dbt re-parse only
    the files that use it when it changes.
    """
    settings = load_settings(env)
    chosen = {kind: getattr(settings.connectors, kind) for kind in VENDORS}
    vendors = {kind: vendor for kind, vendor in chosen.items() if vendor != VENDORS[kind][0]}
    if chosen["crm"] == "salesforce":  # the org's UTM fields (API names, checked by their pattern)
        vendors |= {var: getattr(settings.connectors, var) for var in SALESFORCE_VARS}
    return {"reporting_currency": settings.dbt.reporting_currency, **vendors}


def vars_arg(env: Mapping[str, str]) -> list[str]:
    """`--vars` with our vars as JSON (keeps quoting safe; sorted, so the text is stable)."""
    return ["--vars", json.dumps(dbt_vars(env), sort_keys=True)]


def prepare_dbt_project() -> Path:
    """Parse the dbt project into `target/manifest.json`, which the dbt assets are built from,
    leaving a partial parse every build of the same vars starts from."""
    dbt_cli().cli(["parse", "--quiet", *vars_arg(os.environ)], target_path=dbt_project.target_path).wait()
    return dbt_project.manifest_path


def prepare_when_loaded() -> None:
    """dagster-dbt's `prepare_if_dev` with the hub's parse: under `dagster dev`, and wherever the manifest
    is missing (a fresh clone, any loader, the first run on other vendors), parse before the dbt
    assets are built from it. One parse at a time: the webserver's and the daemon's code servers
    load the definitions together."""
    if not using_dagster_dev() and dbt_project.manifest_path.exists():
        return
    dbt_project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(dbt_project.manifest_path.with_suffix(".lock")):
        prepare_dbt_project()


prepare_when_loaded()
