{{ config(unique_key='campaign_day_id') }}

-- One row per customer x campaign x day (latest conversion restatement); cost from micros.
with source as (
    select * from {{ source('google_ads', 'campaign_days') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        _pk as campaign_day_id,
        coalesce(
            {{ json_text('_record', ['customer', 'id']) }},
            nullif(_scope, '')
        ) as customer_id,
        {{ json_text('_record', ['campaign', 'id']) }} as campaign_id,
        {{ json_text('_record', ['campaign', 'name']) }} as campaign_name,
        upper({{ json_text('_record', ['customer', 'currencyCode']) }}) as reported_currency_code,
        -- int64 fields arrive as JSON strings; micros -> units by exact decimal multiplication
        cast(
            cast({{ json_text('_record', ['metrics', 'costMicros']) }} as decimal(38, 0)) * 0.000001
            as decimal(18, 6)
        ) as cost,
        cast({{ json_text('_record', ['metrics', 'impressions']) }} as bigint) as impressions,
        cast({{ json_text('_record', ['metrics', 'clicks']) }} as bigint) as clicks,
        cast({{ json_text('_record', ['metrics', 'conversions']) }} as decimal(18, 6)) as conversions,
        {{ iso_date(json_text('_record', ['segments', 'date'])) }} as ad_date,
        _loaded_at
    from source
)

select * from renamed
