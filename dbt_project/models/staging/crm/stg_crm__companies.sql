-- The configured CRM's companies (accounts), one row per company id.
select
    company_id,
    company_name,
    domain,
    country,
    is_archived,
    created_at,
    updated_at,
    _invalid_values,
    _loaded_at
from {{ ref(vendor_model('crm', 'companies')) }}
