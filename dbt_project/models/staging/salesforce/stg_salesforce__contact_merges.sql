-- Leads merged into another: Salesforce deletes the merged-away lead and names the survivor in its
-- MasterRecordId (https://developer.salesforce.com/docs/atlas.en-us.api.meta/object_ref/sforce_api_calls_queryall.htm),
-- which queryAll still returns. A table rebuilt every night from the raw rows that name a merge.
{{ config(enabled=var('crm', 'hubspot') == 'salesforce', materialized='table') }}

with merged as (
    select
        {{ json_text('_record', ['Id']) }} as merged_contact_id,
        {{ json_text('_record', ['MasterRecordId']) }} as survivor_contact_id
    from {{ source('salesforce', 'leads') }}
)

select
    merged_contact_id,
    max(survivor_contact_id) as survivor_contact_id
from merged
where nullif(survivor_contact_id, '') is not null and survivor_contact_id <> merged_contact_id
group by merged_contact_id
