"""Business rules held by dbt tests reach Dagster as asset checks of the model they guard."""

import json

from dagster_dbt.asset_utils import get_asset_check_key_for_test

from pipelines.transform.project import dbt_project
from pipelines.transform.translator import HubDbtTranslator


def test_the_reconciliation_of_the_splits_is_an_asset_check_of_the_month_x_channel_mart(dbt_manifest: object) -> None:
    """The singular test reads three marts: without meta.dagster.ref dagster-dbt attaches it to none."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    test = manifest["nodes"]["test.hub.sales_vs_fulfilment_splits_reconcile"]
    assert len(test["depends_on"]["nodes"]) == 3
    assert test["config"]["severity"].lower() == "error"
    key = get_asset_check_key_for_test(manifest, HubDbtTranslator(), test["unique_id"], None)
    assert key is not None and (key.asset_key.to_user_string(), key.name) == (
        "mart_sales_vs_fulfilment", "sales_vs_fulfilment_splits_reconcile")
