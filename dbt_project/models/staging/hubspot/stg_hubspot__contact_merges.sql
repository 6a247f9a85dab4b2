-- Contacts merged into another: each id in a live contact's `hs_merged_object_ids` (';'-separated)
-- resolves to that contact. HubSpot keeps no record of the merged-away id (lists and search omit
-- it) and points its associations at the survivor; reads of the old id return the survivor:
-- https://developers.hubspot.com/changelog/updated-merge-functionality-for-contacts-and-companies
-- A survivor deleted later keeps its merges (its tombstone carries them): the ids merged into it
-- are gone with it. A table rebuilt every night from the raw rows that name a merge (a text
-- filter, so the JSON of the other contacts is not parsed); up to `max_merged` ids per survivor.
{{ config(materialized='table') }}
{%- set max_merged = 50 %}

with survivors as (
    select
        {{ json_text('_record', ['id']) }} as survivor_contact_id,
        {{ json_text('_record', ['properties', 'hs_merged_object_ids']) }} as merged_object_ids
    from {{ source('hubspot', 'contacts') }}
    where cast(_record as varchar) like '%hs_merged_object_ids%'
),

merged as (
    {%- for n in range(1, max_merged + 1) %}
    select survivor_contact_id, trim({{ dbt.split_part('merged_object_ids', "';'", n) }}) as merged_contact_id
    from survivors
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

-- A chain (a survivor merged again later) names an id under two contacts: the latest merge,
-- HubSpot's newest id (ids grow; its current merges create a new one), is where it lives now.
select
    merged_contact_id,
    max(survivor_contact_id) as survivor_contact_id
from merged
where merged_contact_id is not null and merged_contact_id <> '' and merged_contact_id <> survivor_contact_id
group by merged_contact_id
