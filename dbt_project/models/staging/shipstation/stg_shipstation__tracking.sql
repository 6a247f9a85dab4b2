{{ config(unique_key='label_id') }}

-- One row per tracked label: the /v2/labels/{label_id}/track body keyed by the label it answers.
with source as (
    select * from {{ source('shipstation', 'tracking') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        _pk as label_id,
        {{ json_text('_record', ['tracking_number']) }} as tracking_number,
        upper({{ json_text('_record', ['status_code']) }}) as status_code,
        {{ json_text('_record', ['status_description']) }} as status_description,
        {{ utc_timestamp(json_text('_record', ['actual_delivery_date'])) }} as actual_delivery_at,
        {{ utc_timestamp(json_text('_record', ['estimated_delivery_date'])) }} as estimated_delivery_at,
        _loaded_at
    from source
)

select
    *,
    cast(actual_delivery_at as date) as actual_delivery_date,
    -- ShipEngine's summary code is 'DE'; the v2 spec also lists the detail code 'DELIVERED'
    (status_code in ('DE', 'DELIVERED') or lower(status_description) = 'delivered') as is_delivered
from renamed
