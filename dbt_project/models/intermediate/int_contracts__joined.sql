-- Signed contracts (completed envelopes) with their deal and channel (CONTRACTS §5).
with envelopes as (
    select * from {{ ref('stg_docusign__envelopes') }}
    where envelope_status = 'completed'
        -- a signing time that did not parse places the contract in no month: it is left out (listed
        -- in dq_quarantined_values; its shipments count as orphans) until DocuSign sends it valid
        and completed_at is not null
)

select
    envelopes.envelope_id,
    envelopes.contract_number,
    envelopes.deal_id as envelope_deal_id,
    deals.deal_id,
    deals.currency_code,
    deals.first_contact_id,
    envelopes.completed_at as signed_at,
    envelopes.completed_date as signed_date,
    envelopes.promised_delivery_date,
    coalesce(deals.channel, 'unattributed') as channel,
    deals.campaign_name
from envelopes
left join {{ ref('int_deals__attributed') }} as deals
    on envelopes.deal_id = deals.deal_id
