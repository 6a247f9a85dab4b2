{{ config(enabled=var('crm', 'hubspot') == 'salesforce', unique_key='deal_id') }}

-- Salesforce opportunities as the CRM's deals. The stage comes out as the HubSpot pipeline stage
-- the intermediates know: closed ones by IsClosed and IsWon (an org may rename Closed Won), open
-- ones from the default Sales Process's StageName picklist values (the sandbox's mapping is
-- sandbox/world/salesforce.py STAGES); an org's own open stage keeps its name.
-- closed_at is LastStageChangeDate once closed: CloseDate is a date, and an expected one while open.
with source as (
    select * from {{ source('salesforce', 'opportunities') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        {{- json_fields('_record', {
            'deal_id': ['Id'],
            'deal_name': ['Name'],
            'stage_name': ['StageName'],
            'is_closed': ['IsClosed'],
            'is_won': ['IsWon'],
            'currency_iso_code': ['CurrencyIsoCode'],
            'amount': ['Amount'],
            'is_deleted': ['IsDeleted'],
            'createdate': ['CreatedDate'],
            'last_stage_change': ['LastStageChangeDate'],
            'updated_at': ['SystemModstamp'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        deal_id,
        nullif(deal_name, '') as deal_name,
        case
            when lower(is_closed) = 'true' and lower(is_won) = 'true' then 'closedwon'
            when lower(is_closed) = 'true' then 'closedlost'
            when stage_name = 'Prospecting' then 'appointmentscheduled'
            when stage_name = 'Qualification' then 'qualifiedtobuy'
            when stage_name in ('Needs Analysis', 'Value Proposition') then 'presentationscheduled'
            when stage_name in ('Id. Decision Makers', 'Perception Analysis') then 'decisionmakerboughtin'
            when stage_name in ('Proposal/Price Quote', 'Negotiation/Review') then 'contractsent'
            else nullif(stage_name, '')
        end as deal_stage,
        -- multi-currency orgs carry each record's currency (CurrencyIsoCode)
        upper(trim(currency_iso_code)) as currency_code,
        {{ to_decimal("nullif(amount, '')") }} as amount,
        coalesce(lower(is_deleted) = 'true', false) as is_archived,
        {{ utc_timestamp('createdate') }} as created_at,
        case when lower(is_closed) = 'true' then {{ utc_timestamp('last_stage_change') }} end as closed_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ invalid_values({
            'amount': ('decimal', 'amount'),
            'created_at': ('timestamp', 'createdate'),
            'closed_at': ('timestamp', 'last_stage_change'),
            'updated_at': ('timestamp', 'updated_at'),
        }) }},
        _loaded_at
    from fields
)

select
    *,
    cast(created_at as date) as created_date
from renamed
