-- One row per customer, with how it was identified and how well the systems agree on it.
select
    customer_id,
    min(match_method) as match_method,
    min(company_id) as company_id,
    min(customer_name) as customer_name,
    min(domain) as domain,
    min(country) as country,
    min(signer_email) as signer_email,
    count(*) as contracts,
    sum(case when has_shipment then 1 else 0 end) as contracts_shipped,
    -- the rate's numerator too, so BI re-totals it over customers by summing
    sum(case when ship_to_matches_signer then 1 else 0 end) as contracts_ship_to_matched,
    {{ safe_ratio('sum(case when ship_to_matches_signer then 1 else 0 end)',
                  'sum(case when has_shipment then 1 else 0 end)') }} as ship_to_match_rate
from {{ ref('int_customers__matched') }}
group by customer_id
