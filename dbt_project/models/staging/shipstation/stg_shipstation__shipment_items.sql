{{ config(unique_key='shipment_id') }}

-- One row per item of a shipment (items[]).
with source as (
    select * from {{ source('shipstation', 'shipments') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        source._pk || ':' || cast(item.position as varchar) as shipment_item_id,
        source._pk as shipment_id,
        item.position as item_position,
        {{ json_text('item.value', ['sku']) }} as sku,
        {{ json_text('item.value', ['name']) }} as item_name,
        cast({{ json_text('item.value', ['quantity']) }} as decimal(18, 6)) as quantity,
        source._loaded_at
    from source
    {{ json_elements('source._record', ['items'], 'item') }}
)

select * from renamed
