-- The configured fulfilment vendor's shipments (orders shipped), one row per shipment id;
-- external_order_id is the contract number.
select
    shipment_id,
    external_order_id,
    shipment_status,
    ship_to_name,
    ship_to_company,
    ship_to_email,
    ship_to_country,
    ship_date,
    is_counted,
    created_at,
    modified_at,
    _invalid_values,
    _loaded_at
from {{ ref(vendor_model('fulfilment', 'shipments')) }}
