{{ config(enabled=var('crm', 'hubspot') == 'salesforce', unique_key='line_item_id') }}

-- Salesforce opportunity line items as the CRM's deal lines: ProductCode is the SKU. The product's
-- Product2Id is not read (the SKU identifies the product, as HubSpot's hs_sku does).
with source as (
    select * from {{ source('salesforce', 'opportunity_line_items') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        {{- json_fields('_record', {
            'line_item_id': ['Id'],
            'sku': ['ProductCode'],
            'product_name': ['Name'],
            'quantity': ['Quantity'],
            'price': ['UnitPrice'],
            'is_deleted': ['IsDeleted'],
            'createdate': ['CreatedDate'],
            'updated_at': ['SystemModstamp'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        line_item_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        nullif(sku, '') as sku,
        nullif(product_name, '') as product_name,
        -- JSON numbers (REST) or their text (Bulk CSV): exact decimals keep the values to the cent
        {{ to_decimal("nullif(quantity, '')") }} as quantity,
        {{ to_decimal("nullif(price, '')") }} as unit_price,
        coalesce(lower(is_deleted) = 'true', false) as is_archived,
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
