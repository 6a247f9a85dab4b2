-- Customer identity across systems, one row per contract: the CRM company of its deal when there
-- is one, else the DocuSign signer; the shipment's ship-to is matched to the contract by contract
-- number and checked against the signer's name. A customer id names the CRM it came from (var crm).
with contracts as (
    select * from {{ ref('int_contracts__joined') }}
),

deal_companies as (
    select from_id as deal_id, min(to_id) as company_id
    from {{ ref('stg_crm__associations') }}
    where association_type = 'deals_companies'
    group by from_id
),

first_signers as (
    select envelope_id, email, signer_name
    from (
        select
            *,
            row_number() over (partition by envelope_id order by routing_order, signer_position)
                as signer_rank
        from {{ ref('stg_docusign__signers') }}
    ) as ranked
    where signer_rank = 1
),

ship_to as (
    select
        external_order_id as contract_number,
        min(ship_to_name) as ship_to_name,
        min(ship_to_country) as ship_to_country
    from {{ ref('stg_fulfilment__shipments') }}
    group by external_order_id
)

select
    contracts.contract_number,
    contracts.envelope_id,
    contracts.deal_id,
    case
        when companies.company_id is not null then '{{ var("crm") }}:' || companies.company_id
        when first_signers.email is not null then 'docusign:' || first_signers.email
        else 'unknown:' || contracts.envelope_id
    end as customer_id,
    case
        when companies.company_id is not null then '{{ var("crm") }}_deal_company'
        when first_signers.email is not null then 'docusign_signer'
        else 'unmatched'
    end as match_method,
    companies.company_id,
    coalesce(companies.company_name, first_signers.signer_name) as customer_name,
    companies.domain,
    coalesce(companies.country, ship_to.ship_to_country) as country,
    first_signers.email as signer_email,
    first_signers.signer_name,
    ship_to.ship_to_name,
    ship_to.ship_to_name is not null as has_shipment,
    lower(ship_to.ship_to_name) = lower(first_signers.signer_name) as ship_to_matches_signer
from contracts
left join deal_companies on contracts.deal_id = deal_companies.deal_id
left join {{ ref('stg_crm__companies') }} as companies
    on deal_companies.company_id = companies.company_id
    and not companies.is_archived  -- a deleted company is no customer: the signer is
left join first_signers on contracts.envelope_id = first_signers.envelope_id
left join ship_to on contracts.contract_number = ship_to.contract_number
