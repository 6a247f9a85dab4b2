{{ config(unique_key='line_item_id') }}

with source as (
    select * from {{ source('hubspot', 'line_items') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        {{- json_fields('_record', {
            'line_item_id': ['id'],
            'product_id': ['properties', 'hs_product_id'],
            'sku': ['properties', 'hs_sku'],
            'product_name': ['properties', 'name'],
            'quantity': ['properties', 'quantity'],
            'price': ['properties', 'price'],
            'archived': ['archived'],
            'createdate': ['properties', 'createdate'],
            'updated_at': ['updatedAt'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        line_item_id,
        product_id,
        sku,
        product_name,
        -- HubSpot sends numbers as strings; exact decimals keep the contract values to the cent
        {{ to_decimal('quantity') }} as quantity,
        {{ to_decimal('price') }} as unit_price,
        coalesce(archived = 'true', false) as is_archived,
        {{ utc_timestamp('createdate') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ invalid_values({
            'quantity': ('decimal', 'quantity'),
            'unit_price': ('decimal', 'price'),
            'created_at': ('timestamp', 'createdate'),
            'updated_at': ('timestamp', 'updated_at'),
        }) }},
        _loaded_at
    from fields
)

select * from renamed
