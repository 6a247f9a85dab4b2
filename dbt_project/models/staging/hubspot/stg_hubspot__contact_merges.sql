-- Contacts merged into another: each id in a live contact's `hs_merged_object_ids` (';'-separated)
-- resolves to that contact. HubSpot keeps no record of the merged-away id (lists and search omit
-- it) and points its associations at the survivor; reads of the old id return the survivor:
-- https://developers.hubspot.com/changelog/updated-merge-functionality-for-contacts-and-companies
-- A survivor deleted later keeps its merges (its tombstone carries them): the ids merged into it
-- are gone with it. A table rebuilt every night from the raw rows that name a merge (a text
-- filter, so the JSON of the other contacts is not parsed).
{{ config(materialized='table') }}

with survivors as (
    select
        {{ json_text('_record', ['id']) }} as survivor_contact_id,
        {{ json_text('_record', ['properties', 'hs_merged_object_ids']) }} as merged_object_ids
    from {{ source('hubspot', 'contacts') }}
    where cast(_record as {{ dbt.type_string() }}) like '%hs_merged_object_ids%'
),

merged as (
    select survivor_contact_id, trim(merged_contact_id) as merged_contact_id
    from (select survivor_contact_id, {{ split_rows('merged_object_ids', "';'") }} as merged_contact_id from survivors) as parts
)

select
    merged_contact_id,
    max(survivor_contact_id) as survivor_contact_id
from merged
where merged_contact_id is not null and merged_contact_id <> '' and merged_contact_id <> survivor_contact_id
group by merged_contact_id
