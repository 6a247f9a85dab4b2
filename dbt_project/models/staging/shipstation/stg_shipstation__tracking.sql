{{ config(unique_key='label_id') }}

-- One row per tracked label: the /v2/labels/{label_id}/track body keyed by the label it answers.
with source as (
    select * from {{ source('shipstation', 'tracking') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        _pk as label_id,
        {{- json_fields('_record', {
            'tracking_number': ['tracking_number'],
            'status_code': ['status_code'],
            'status_description': ['status_description'],
            'actual_delivery_date': ['actual_delivery_date'],
            'estimated_delivery_date': ['estimated_delivery_date'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        label_id,
        tracking_number,
        upper(status_code) as status_code,
        status_description,
        {{ utc_timestamp('actual_delivery_date') }} as actual_delivery_at,
        {{ utc_timestamp('estimated_delivery_date') }} as estimated_delivery_at,
        {{ invalid_values({
            'actual_delivery_at': ('timestamp', 'actual_delivery_date'),
            'estimated_delivery_at': ('timestamp', 'estimated_delivery_date'),
        }) }},
        _loaded_at
    from fields
)

select
    *,
    cast(actual_delivery_at as date) as actual_delivery_date,
    -- ShipEngine's summary code is 'DE'; the v2 spec also lists the detail code 'DELIVERED'
    (status_code in ('DE', 'DELIVERED') or lower(status_description) = 'delivered') as is_delivered
from renamed
