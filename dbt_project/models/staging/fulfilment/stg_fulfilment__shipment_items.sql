-- The configured fulfilment vendor's shipment lines, one row per shipment item id.
select
    shipment_item_id,
    shipment_id,
    item_position,
    sku,
    item_name,
    quantity,
    _invalid_values,
    _loaded_at
from {{ ref(vendor_model('fulfilment', 'shipment_items')) }}
