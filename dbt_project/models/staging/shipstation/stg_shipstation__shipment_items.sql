{{ config(unique_key='shipment_id') }}

-- One row per item of a shipment (items[]).
with source as (
    select * from {{ source('shipstation', 'shipments') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        source._pk as shipment_id,
        item.position as item_position,
        {{- json_fields('item.value', {
            'sku': ['sku'],
            'item_name': ['name'],
            'quantity': ['quantity'],
        }) }},
        source._loaded_at
    from source
    {{ json_elements('source._record', ['items'], 'item') }}
),

renamed as (
    select
        shipment_id || ':' || cast(item_position as varchar) as shipment_item_id,
        shipment_id,
        item_position,
        sku,
        item_name,
        cast(quantity as decimal(18, 6)) as quantity,
        _loaded_at
    from fields
)

select * from renamed
