-- The configured CRM's links between records, one row per (association_type, from_id, to_id);
-- association_type is '<from objects>_<to objects>': the intermediate models read deals_contacts,
-- deals_companies and deals_line_items.
select
    association_type,
    from_object_type,
    to_object_type,
    from_id,
    to_id,
    _loaded_at
from {{ ref(vendor_model('crm', 'associations')) }}
