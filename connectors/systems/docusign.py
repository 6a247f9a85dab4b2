"""DocuSign eSignature: envelopes with custom fields and recipients, by status-change date."""

from __future__ import annotations

from connectors.pages import OffsetPage
from connectors.pagination import OffsetPaginator, PageRequest
from connectors.spec import Check, FetchContext, RecordShape, StreamSpec
from connectors.windows import overlap_start

PAGE_COUNT = 100


def fetch_envelopes(ctx: FetchContext) -> None:
    """Envelopes changed since the cursor minus the overlap (HUB_DOCUSIGN_OVERLAP_MINUTES)."""
    account = ctx.system.credentials["account_id"]
    first = PageRequest(
        "GET",
        ctx.client.url(f"/restapi/v2.1/accounts/{account}/envelopes"),
        {
            "from_date": overlap_start(ctx.cursor_before, ctx.config.docusign_overlap_minutes, ctx.config.start_date),
            "include": "custom_fields,recipients",
            "count": PAGE_COUNT,
            "start_position": 0,
            "order_by": "last_modified",
            "order": "asc",
        },
    )
    paginator = OffsetPaginator(records_key="envelopes", total_key="totalSetSize", end_key="endPosition")
    for _ in ctx.land_pages(account, first, paginator, OffsetPage()):
        pass
    return None


STREAMS = (
    StreamSpec(
        name="docusign__envelopes",
        system="docusign",
        description="DocuSign envelopes (contracts) with custom fields (deal id, contract number) and recipients.",
        primary_key="`envelopeId`",
        cursor_field="`lastModifiedDateTime`: the next run asks from_date = highest loaded minus the overlap",
        shape=RecordShape(
            records_path="$.envelopes[*]",
            pk_parts=("envelopeId",),
            cursor_path="lastModifiedDateTime",
            checks=(Check("lastModifiedDateTime", "date"),),  # the cursor only: values are parsed in dbt staging
        ),
        fetch=fetch_envelopes,
    ),
)
