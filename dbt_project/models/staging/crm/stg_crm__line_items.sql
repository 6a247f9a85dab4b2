-- The configured CRM's deal lines (products sold on a deal), one row per line item id.
select
    line_item_id,
    product_id,
    sku,
    product_name,
    quantity,
    unit_price,
    is_archived,
    created_at,
    updated_at,
    _invalid_values,
    _loaded_at
from {{ ref(vendor_model('crm', 'line_items')) }}
