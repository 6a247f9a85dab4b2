-- The configured fulfilment vendor's labels (the carrier's cost and tracking number), one row per label id.
select
    label_id,
    shipment_id,
    label_status,
    is_voided,
    tracking_number,
    tracking_status,
    cost_currency_code,
    shipment_cost,
    ship_date,
    created_at,
    _invalid_values,
    _loaded_at
from {{ ref(vendor_model('fulfilment', 'labels')) }}
