{{ config(unique_key='label_id') }}

-- One row per tracked label: the /tracks/{carrier}/{tracking_number} body keyed by its transaction,
-- in the columns of stg_shipstation__tracking.
with source as (
    select * from {{ source('shippo', 'tracking') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        _pk as label_id,
        {{- json_fields('_record', {
            'tracking_number': ['tracking_number'],
            'tracking_status': ['tracking_status', 'status'],
            'status_description': ['tracking_status', 'status_details'],
            'status_date': ['tracking_status', 'status_date'],
            'eta': ['eta'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        label_id,
        tracking_number,
        -- TrackingStatusEnum as ShipEngine's status codes: DELIVERED 'DE', TRANSIT 'IT', PRE_TRANSIT
        -- 'AC' (accepted), RETURNED and FAILURE 'EX' (exception), UNKNOWN 'UN'
        case upper(tracking_status)
            when 'DELIVERED' then 'DE'
            when 'TRANSIT' then 'IT'
            when 'PRE_TRANSIT' then 'AC'
            when 'RETURNED' then 'EX'
            when 'FAILURE' then 'EX'
            else 'UN'
        end as status_code,
        status_description,
        -- the delivery time is the date of the DELIVERED status, the newest one
        case when upper(tracking_status) = 'DELIVERED' then {{ utc_timestamp('status_date') }} end as actual_delivery_at,
        {{ utc_timestamp('eta') }} as estimated_delivery_at,
        {{ invalid_values({
            'actual_delivery_at': ('timestamp', 'status_date'),
            'estimated_delivery_at': ('timestamp', 'eta'),
        }) }},
        _loaded_at
    from fields
)

select
    *,
    cast(actual_delivery_at as date) as actual_delivery_date,
    status_code = 'DE' as is_delivered
from renamed
