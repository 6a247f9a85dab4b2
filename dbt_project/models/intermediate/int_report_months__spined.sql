-- The months the report covers: from the first month with any fact to the month of the clock
-- minus one day. The clock is var('as_of'), else the environment's HUB_AS_OF, else the latest day
-- the data shows (ads and FX rows exist for every day up to the clock), so the marts never read
-- the wall clock. A daily clock is best given as HUB_AS_OF: dbt re-parses only this file when an
-- environment variable it reads changes, but the whole project (~2 s) when any var changes.
{%- set as_of = var('as_of') or env_var('HUB_AS_OF', '') %}
with recursive evidence as (
    -- the ad days straight from staging: the converted view would run its FX joins for two dates
    select max(ad_date) as last_day, min(ad_date) as first_day from {{ ref('stg_meta__insights') }}
    union all
    select max(ad_date), min(ad_date) from {{ ref('stg_google_ads__campaign_days') }}
    union all
    select max(rate_date), null from {{ ref('stg_ecb__rates') }}
    union all
    select max(created_date), min(created_date) from {{ ref('stg_crm__contacts') }} where not is_archived
    union all
    select max(created_date), min(created_date) from {{ ref('stg_crm__deals') }} where not is_archived
    union all
    select max(completed_date), min(completed_date) from {{ ref('stg_docusign__envelopes') }}
    union all
    select max(cast(created_at as date)), min(ship_date) from {{ ref('stg_fulfilment__shipments') }}
),

bounds as (
    select
        {{ month_of('min(first_day)') }} as first_month,
        {% if as_of %}
        cast('{{ as_of }}' as date) as as_of_date
        {% else %}
        cast({{ dbt.dateadd('day', 1, 'max(last_day)') }} as date) as as_of_date
        {% endif %}
    from evidence
),

clock as (
    select
        first_month,
        {{ month_of(dbt.dateadd('day', -1, 'as_of_date')) }} as last_month,
        as_of_date
    from bounds
),

months as (
    select first_month as report_month from clock
    union all
    select cast({{ dbt.dateadd('month', 1, 'months.report_month') }} as date)
    from months
    cross join clock
    where months.report_month < clock.last_month
)

select
    months.report_month,
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'months.report_month')) }} as date) as month_end,
    -- the last month ends at the clock, not at its calendar end: its backlog is as of now
    clock.as_of_date
from months
cross join clock
