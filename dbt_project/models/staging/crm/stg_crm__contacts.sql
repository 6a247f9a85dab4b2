-- The configured CRM's contacts (leads), one row per contact id. A view: the personal data it shows is
-- the vendor staging table's (marked in _crm__models.yml, so the privacy inventory lists it here too).
select
    contact_id,
    email,
    first_name,
    last_name,
    company_name,
    utm_source,
    utm_campaign,
    is_archived,
    created_at,
    created_date,
    updated_at,
    _invalid_values,
    _loaded_at
from {{ ref(vendor_model('crm', 'contacts')) }}
