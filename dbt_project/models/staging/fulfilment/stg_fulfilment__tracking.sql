-- The configured fulfilment vendor's latest tracking per label, one row per label id.
select
    label_id,
    tracking_number,
    status_code,
    status_description,
    actual_delivery_at,
    actual_delivery_date,
    estimated_delivery_at,
    is_delivered,
    _invalid_values,
    _loaded_at
from {{ ref(vendor_model('fulfilment', 'tracking')) }}
