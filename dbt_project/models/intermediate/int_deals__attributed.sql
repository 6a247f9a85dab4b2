-- Each deal's channel: that of its associated contact created first (ties: lowest id). Deleted
-- deals and contacts count nowhere; a contact merged into another is that contact.
with deals as (
    select * from {{ ref('stg_crm__deals') }}
    where not is_archived
        -- a creation time that did not parse places the deal in no month: it is left out (listed
        -- in dq_quarantined_values), and a contract signed for it has no deal, until it is sent valid
        and created_at is not null
),

deal_contacts as (
    select
        associations.from_id as deal_id,
        contacts.contact_id,
        contacts.created_at,
        contacts.channel,
        contacts.campaign_name,
        row_number() over (
            partition by associations.from_id
            -- decimal-string ids (HubSpot's) order numerically by length then text; others stably
            order by contacts.created_at, length(contacts.contact_id), contacts.contact_id
        ) as contact_rank
    from {{ ref('stg_crm__associations') }} as associations
    left join {{ ref('stg_crm__contact_merges') }} as merges
        on associations.to_id = merges.merged_contact_id
    inner join {{ ref('int_contacts__attributed') }} as contacts
        on coalesce(merges.survivor_contact_id, associations.to_id) = contacts.contact_id
    where associations.association_type = 'deals_contacts'
)

select
    deals.deal_id,
    deals.deal_name,
    deals.deal_stage,
    deals.currency_code,
    deals.amount,
    deals.created_at,
    deals.created_date,
    deals.closed_at,
    first_contact.contact_id as first_contact_id,
    coalesce(first_contact.channel, 'unattributed') as channel,
    first_contact.campaign_name
from deals
left join deal_contacts as first_contact
    on deals.deal_id = first_contact.deal_id
    and first_contact.contact_rank = 1
