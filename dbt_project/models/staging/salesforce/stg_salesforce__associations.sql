-- Each opportunity's account, line items and contacts, one row per pair, in HubSpot's association
-- types: deals_companies (Opportunity.AccountId), deals_line_items (OpportunityLineItem.OpportunityId)
-- and deals_contacts (OpportunityContactRole, its Contact resolved to the Lead it was converted
-- from by Lead.ConvertedContactId: the lead is the person stg_salesforce__contacts counts). Deleted
-- roles are left out. A table rebuilt every night: three small joins of raw tables.
{{ config(enabled=var('crm', 'hubspot') == 'salesforce', materialized='table') }}

with opportunities as (
    select
        {{- json_fields('_record', {'deal_id': ['Id'], 'account_id': ['AccountId']}) }},
        _loaded_at
    from {{ source('salesforce', 'opportunities') }}
),

line_items as (
    select
        {{- json_fields('_record', {'line_item_id': ['Id'], 'deal_id': ['OpportunityId']}) }},
        _loaded_at
    from {{ source('salesforce', 'opportunity_line_items') }}
),

roles as (
    select
        {{- json_fields('_record', {'deal_id': ['OpportunityId'], 'contact_id': ['ContactId'], 'is_deleted': ['IsDeleted']}) }},
        _loaded_at
    from {{ source('salesforce', 'opportunity_contact_roles') }}
),

converted as (
    select
        {{- json_fields('_record', {'lead_id': ['Id'], 'contact_id': ['ConvertedContactId']}) }}
    from {{ source('salesforce', 'leads') }}
),

pairs as (
    select 'deals_companies' as association_type, deal_id as from_id, account_id as to_id, _loaded_at
    from opportunities
    where nullif(account_id, '') is not null
    union all
    select 'deals_line_items', deal_id, line_item_id, _loaded_at
    from line_items
    where nullif(deal_id, '') is not null
    union all
    select 'deals_contacts', roles.deal_id, coalesce(leads.lead_id, roles.contact_id), roles._loaded_at
    from roles
    left join (
        select max(lead_id) as lead_id, contact_id from converted
        where nullif(contact_id, '') is not null group by contact_id
    ) as leads on roles.contact_id = leads.contact_id
    where coalesce(lower(roles.is_deleted), 'false') <> 'true'
)

select
    association_type,
    {{ dbt.split_part('association_type', "'_'", 1) }} as from_object_type,
    substring(association_type, length({{ dbt.split_part('association_type', "'_'", 1) }}) + 2) as to_object_type,
    from_id,
    to_id,
    max(_loaded_at) as _loaded_at
from pairs
group by association_type, from_id, to_id
