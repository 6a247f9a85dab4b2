-- The configured CRM's deals (opportunities), one row per deal id.
select
    deal_id,
    deal_name,
    deal_stage,
    currency_code,
    amount,
    is_archived,
    created_at,
    created_date,
    closed_at,
    updated_at,
    _invalid_values,
    _loaded_at
from {{ ref(vendor_model('crm', 'deals')) }}
