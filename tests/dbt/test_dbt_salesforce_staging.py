"""Salesforce staging reads the org's UTM fields by the names HUB_SALESFORCE_UTM_*_FIELD give: the
pipelines pass them as dbt vars (`dbt_vars`) under crm=salesforce only, and stg_salesforce__contacts
reads them (its unit tests run in the same build)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from support.dbt_harness import dbt

from pipelines.transform.project import dbt_vars

ENV = {"HUB_CRM": "salesforce", "HUB_SALESFORCE_UTM_SOURCE_FIELD": "UTM_Source__c",
       "HUB_SALESFORCE_UTM_CAMPAIGN_FIELD": "UTM_Campaign__c"}


def lead(lead_id: str, **fields: object) -> dict[str, object]:
    return {"attributes": {"type": "Lead", "url": f"/services/data/v67.0/sobjects/Lead/{lead_id}"}, "Id": lead_id,
            "IsDeleted": False, "Email": f"{lead_id}@example.com", "CreatedDate": "2026-01-01T10:00:00.000+0000",
            "SystemModstamp": "2026-01-01T10:00:00.000+0000", **fields}


def test_a_configured_utm_field_reaches_the_staged_contacts(tmp_path: Path) -> None:
    assert not {"salesforce_utm_source_field", "salesforce_utm_campaign_field"} & set(dbt_vars({})), \
        "the default CRM's vars changed"
    chosen = dbt_vars(ENV)
    assert (chosen["salesforce_utm_source_field"], chosen["salesforce_utm_campaign_field"]) == \
        ("UTM_Source__c", "UTM_Campaign__c")
    records = [lead("00Q1", UTM_Source__c="facebook", UTM_Campaign__c="spring", pi__utm_source__c="google"),
               lead("00Q2", pi__utm_source__c="google", pi__utm_campaign__c="autumn")]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("create schema raw")
        con.execute("create table raw.salesforce__leads (_pk varchar, _scope varchar, _cursor varchar, _record json, "
                    "_run_id varchar, _loaded_at timestamp)")
        con.executemany("insert into raw.salesforce__leads values (?, '', ?, ?, 'fixture', current_timestamp)",
                        [(r["Id"], r["SystemModstamp"], json.dumps(r)) for r in records])
    dbt(["build", "--select", "stg_salesforce__contacts", "--vars", json.dumps(chosen)], tmp_path)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        staged = con.execute("select contact_id, utm_source, utm_campaign from main.stg_salesforce__contacts "
                             "order by contact_id").fetchall()
    assert staged == [("00Q1", "facebook", "spring"), ("00Q2", None, None)]
