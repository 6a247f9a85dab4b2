{{ config(unique_key='shipment_id') }}

with source as (
    select * from {{ source('shipstation', 'shipments') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        {{ json_text('_record', ['shipment_id']) }} as shipment_id,
        nullif(trim({{ json_text('_record', ['external_order_id']) }}), '') as external_order_id,
        lower({{ json_text('_record', ['shipment_status']) }}) as shipment_status,
        {{ json_text('_record', ['ship_to', 'name']) }} as ship_to_name,
        {{ json_text('_record', ['ship_to', 'company_name']) }} as ship_to_company,
        lower(trim({{ json_text('_record', ['ship_to', 'email']) }})) as ship_to_email,
        {{ json_text('_record', ['ship_to', 'country_code']) }} as ship_to_country,
        -- ShipStation pins ship_date's time to 00:00 UTC: the date part is the ship day
        {{ iso_date(json_text('_record', ['ship_date'])) }} as ship_date,
        {{ utc_timestamp(json_text('_record', ['created_at'])) }} as created_at,
        {{ utc_timestamp(json_text('_record', ['modified_at'])) }} as modified_at,
        _loaded_at
    from source
)

select
    *,
    -- CONTRACTS §5: only purchased labels with a ship date count; cancelled/pending count nothing
    (shipment_status = 'label_purchased' and ship_date is not null) as is_counted
from renamed
