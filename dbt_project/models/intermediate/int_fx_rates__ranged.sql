-- Each published rate with the days it governs: from its own date up to the next publication
-- (exclusive), so "the latest rate on or before a day" is a portable range join (CONTRACTS §5).
-- EUR is the base of every ECB quote and is 1 on every day.
with rates as (
    select currency_code, rate_date, rate_scaled
    from {{ ref('stg_ecb__rates') }}
    where currency_code <> 'EUR'
        -- a rate or day that did not parse is quarantined: the previous rate governs the day
        and rate_scaled is not null and rate_date is not null
),

ranged as (
    select
        currency_code,
        rate_date as valid_from,
        lead(rate_date) over (partition by currency_code order by rate_date) as valid_to,
        rate_scaled
    from rates
),

base as (
    select
        'EUR' as currency_code,
        cast('1900-01-01' as date) as valid_from,
        cast(null as date) as valid_to,
        cast({{ fx_rate_scale() }} as bigint) as rate_scaled
)

select * from ranged
union all
select * from base
