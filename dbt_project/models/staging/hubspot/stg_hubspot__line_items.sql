{{ config(unique_key='line_item_id') }}

with source as (
    select * from {{ source('hubspot', 'line_items') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        {{ json_text('_record', ['id']) }} as line_item_id,
        {{ json_text('_record', ['properties', 'hs_product_id']) }} as product_id,
        {{ json_text('_record', ['properties', 'hs_sku']) }} as sku,
        {{ json_text('_record', ['properties', 'name']) }} as product_name,
        -- HubSpot sends numbers as strings; exact decimals keep the contract values to the cent
        {{ to_decimal(json_text('_record', ['properties', 'quantity'])) }} as quantity,
        {{ to_decimal(json_text('_record', ['properties', 'price'])) }} as unit_price,
        {{ json_text('_record', ['archived']) }} = 'true' as is_archived,
        {{ utc_timestamp(json_text('_record', ['properties', 'createdate'])) }} as created_at,
        {{ utc_timestamp(json_text('_record', ['updatedAt'])) }} as updated_at,
        _loaded_at
    from source
)

select * from renamed
