"""`pipelines.rebuild` on a hub of the vendors outside the default pair: it replays the configured streams."""

from __future__ import annotations

import shutil

import pytest
from connector_helpers import NEW_VENDOR_STREAMS, new_vendor_env, raw_rows

from connectors.config import HubConfig


def test_a_rebuild_of_a_salesforce_and_shippo_hub_gives_the_same_raw_rows(
    tiny_sandbox, clean_tiny_new_vendor_tables, tmp_path_factory: pytest.TempPathFactory, tmp_path
) -> None:
    from pipelines.rebuild import rebuild_raw

    # The landing of the session's clean Salesforce and Shippo run (clean_tiny_new_vendor_tables' folder).
    (landing,) = tmp_path_factory.getbasetemp().glob("clean-new[0-9]*/landing")
    shutil.copytree(landing, tmp_path / "data" / "landing")
    config = HubConfig.from_env(new_vendor_env(tiny_sandbox.url, tmp_path / "data",
                                               HUB_CRM="salesforce", HUB_FULFILMENT="shippo"))
    said: list[str] = []

    reports = rebuild_raw(config, said.append)

    assert sorted(report.stream for report in reports) == sorted(NEW_VENDOR_STREAMS), said
    assert {name: raw_rows(config, name) for name in NEW_VENDOR_STREAMS} == clean_tiny_new_vendor_tables
    assert "hubspot__contacts: nothing landed" not in said  # the default CRM's streams are not asked for
