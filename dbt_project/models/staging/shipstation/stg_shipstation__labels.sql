{{ config(unique_key='label_id') }}

with source as (
    select * from {{ source('shipstation', 'labels') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        {{ json_text('_record', ['label_id']) }} as label_id,
        {{ json_text('_record', ['shipment_id']) }} as shipment_id,
        lower({{ json_text('_record', ['status']) }}) as label_status,
        {{ json_text('_record', ['voided']) }} = 'true' as is_voided,
        {{ json_text('_record', ['tracking_number']) }} as tracking_number,
        lower({{ json_text('_record', ['tracking_status']) }}) as tracking_status,
        upper({{ json_text('_record', ['shipment_cost', 'currency']) }}) as cost_currency_code,
        {{ to_decimal(json_text('_record', ['shipment_cost', 'amount'])) }} as shipment_cost,
        {{ iso_date(json_text('_record', ['ship_date'])) }} as ship_date,
        {{ utc_timestamp(json_text('_record', ['created_at'])) }} as created_at,
        _loaded_at
    from source
)

select * from renamed
