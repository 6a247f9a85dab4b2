"""No email address or person's name leaves the warehouse by default (issue 17, personal data).

Reads the served night's files (conftest.py, no run of its own): every text cell of the published
DuckDB file is scanned for the emails and full names the vendors sent (taken from the raw layer)
and for anything shaped like an email. A hit names the column to mark in its yml.
"""

import json
import re

import duckdb
import pytest

from pipelines.privacy.inventory import places
from pipelines.privacy.markings import personal_columns
from pipelines.transform.project import dbt_project
from serving_helpers import ServedNight, text_hits

pytestmark = pytest.mark.slow  # the session's served night of the small world

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
PSEUDONYM = re.compile(r"p_[0-9a-f]{24}")
# Every person the vendors named: HubSpot contacts, DocuSign signers, ShipStation ship-to names.
PEOPLE_SQL = """
select properties ->> 'email' from (select _record -> 'properties' as properties from raw.hubspot__contacts)
union select concat_ws(' ', properties ->> 'firstname', properties ->> 'lastname')
    from (select _record -> 'properties' as properties from raw.hubspot__contacts)
union select unnest(json_extract_string(_record, '$.recipients.signers[*].name')) from raw.docusign__envelopes
union select unnest(json_extract_string(_record, '$.recipients.signers[*].email')) from raw.docusign__envelopes
union select _record -> 'ship_to' ->> 'name' from raw.shipstation__shipments
"""


def people_in_raw(served: ServedNight) -> set[str]:
    """Emails and full names (two words or more) the raw layer holds."""
    with duckdb.connect(str(served.data_dir / "warehouse.duckdb"), read_only=True) as con:
        values = {value for (value,) in con.execute(PEOPLE_SQL).fetchall() if value}
    return {value for value in values if "@" in value or len(value.split()) >= 2}


def test_no_published_cell_holds_an_email_or_a_persons_name(served: ServedNight) -> None:
    people = people_in_raw(served)
    assert sum("@" in value for value in people) > 20 and sum("@" not in value for value in people) > 20, (
        "the raw layer should name many people; the scan below would prove nothing"
    )
    with duckdb.connect(str(served.marts_file), read_only=True) as con:
        con.execute("create temp table people as select unnest(?::varchar[]) as value", [sorted(people)])
        hits = text_hits(con, "regexp_matches({column}, ?) or exists (select 1 from temp.main.people p where contains({column}, p.value))",
                         [EMAIL.pattern])
    found = [f"{table}.{column} holds {value!r}" for schema, table, column, value in hits if schema == "main"]
    assert not found, (
        "published columns look like personal data but are not marked: mark each in its model's yml "
        f"(config: {{meta: {{personal_data: email|name|identifier}}}}): {found}"
    )


def test_marked_columns_are_pseudonyms_that_still_join(served: ServedNight) -> None:
    marked = personal_columns(json.loads(dbt_project.manifest_path.read_text()))
    assert {"dim_customer", "fct_shipments", "mart_sales_vs_fulfilment_by_customer"} <= set(marked)
    with duckdb.connect(str(served.marts_file), read_only=True) as con:
        for table, columns in marked.items():
            for column in columns:
                values = [value for (value,) in con.execute(f'select distinct "{column}" from main."{table}"').fetchall()]
                bad = [value for value in values if value is not None and not PSEUDONYM.fullmatch(value)]
                assert values and not bad, f"{table}.{column} is published in the clear: {bad[:3]}"
        unjoined = con.execute(
            "select count(*) from mart_sales_vs_fulfilment_by_customer m "
            "left join dim_customer c using (customer_id) where c.customer_id is null"
        ).fetchone()[0]
    assert unjoined == 0, "a pseudonymised customer_id no longer finds its dim_customer row"


def test_every_warehouse_column_holding_emails_is_marked_and_listed(served: ServedNight) -> None:
    """The inventory (python -m pipelines.privacy.inventory) is complete: no unmarked column holds an email."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    listed = {(place.where, place.column) for place in places(manifest)}
    with duckdb.connect(str(served.data_dir / "warehouse.duckdb"), read_only=True) as con:
        hits = text_hits(con, "regexp_matches({column}, ?)", [EMAIL.pattern])
    unmarked = [f"{schema}.{table}.{column} holds {value[:60]!r}"
                for schema, table, column, value in hits if (f"{schema}.{table}", column) not in listed]
    assert not unmarked, f"mark these in their yml (config.meta.personal_data) so the inventory lists them: {unmarked}"
    assert {"raw.hubspot__contacts", "raw.docusign__envelopes", "raw.shipstation__shipments"} <= {w for w, _ in listed}
    assert any(place.layer == "landing" and "docusign/envelopes" in place.where for place in places(manifest))
