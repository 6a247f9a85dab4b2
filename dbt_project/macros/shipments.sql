{#- The body of a fulfilment vendor's shipment-items staging model: one row per element of the
    array `items_key` of each raw record of `source_relation`, in the columns stg_fulfilment__shipment_items
    lists (docs/CONTRACTS.md §7). The vendors differ only in where the items sit and what names an
    item (ShipStation `items[].name`, Shippo `line_items[].title`), so one body serves both. -#}
{% macro shipment_items_of(source_relation, items_key, name_key) -%}
with source as (
    select * from {{ source_relation }}
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
    from {{ json_array_fields('source', '_record', [items_key], {
        'sku': ['sku'],
        'item_name': [name_key],
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
{%- endmacro %}
