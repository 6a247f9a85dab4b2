{{ config(
    unique_key=['association_type', 'from_id'],
    pre_hook="{{ delete_rows_of_reloaded_records(source('hubspot', 'associations'), 'association_type, from_id',
        '_scope, ' ~ json_text('_record', ['from', 'id'])) }}",
) }}

-- One row per (from object, to object) pair; the raw row is one v4 batch-read result whose
-- _scope names the pair of object types, e.g. 'deals_contacts'.
with source as (
    select * from {{ source('hubspot', 'associations') }}
    {{ loaded_since_last_build() }}
),

pairs as (
    select
        source._scope as association_type,
        {{ json_text('source._record', ['from', 'id']) }} as from_id,
        {{ json_text('target.value', ['toObjectId']) }} as to_id,
        source._loaded_at
    from source
    {{ json_elements('source._record', ['to'], 'target') }}
),

renamed as (
    select
        association_type,
        {{ dbt.split_part('association_type', "'_'", 1) }} as from_object_type,
        substring(association_type, length({{ dbt.split_part('association_type', "'_'", 1) }}) + 2) as to_object_type,
        from_id,
        to_id,
        max(_loaded_at) as _loaded_at
    from pairs
    group by association_type, from_id, to_id
)

select * from renamed
