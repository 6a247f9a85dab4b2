{{ config(
    unique_key='shipment_id',
    pre_hook="{{ delete_rows_of_reloaded_records(source('shippo', 'orders'), 'shipment_id', '_pk') }}",
) }}

-- One row per line item of a Shippo order (line_items[]), in the columns of stg_shipstation__shipment_items.
with source as (
    select * from {{ source('shippo', 'orders') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        _pk as shipment_id,
        element_position as item_position,
        sku,
        item_name,
        quantity,
        _loaded_at
    from {{ json_array_fields('source', '_record', ['line_items'], {
        'sku': ['sku'],
        'item_name': ['title'],
        'quantity': ['quantity'],
    }, carry=['_pk', '_loaded_at']) }} as items
),

renamed as (
    select
        shipment_id || ':' || cast(item_position as {{ dbt.type_string() }}) as shipment_item_id,
        shipment_id,
        item_position,
        sku,
        item_name,
        {{ to_decimal('quantity', 18, 6) }} as quantity,
        {{ invalid_values({'quantity': ('decimal', 'quantity')}) }},
        _loaded_at
    from fields
)

select * from renamed
