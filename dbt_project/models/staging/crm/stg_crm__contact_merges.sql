-- The configured CRM's merged-away contact ids, each with the contact it now lives on.
select
    merged_contact_id,
    survivor_contact_id
from {{ ref(vendor_model('crm', 'contact_merges')) }}
