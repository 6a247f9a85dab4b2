-- One row per day of the report months.
with bounds as (
    select min(report_month) as first_day, max(month_end) as last_day
    from {{ ref('int_report_months__spined') }}
),

days as (
    {{ day_spine('bounds', 'first_day', 'last_day') }}
)

select
    date_day,
    {{ month_of('date_day') }} as month,
    cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
    extract(year from date_day) as year,
    extract(month from date_day) as month_of_year,
    extract(day from date_day) as day_of_month
from days
where date_day is not null
