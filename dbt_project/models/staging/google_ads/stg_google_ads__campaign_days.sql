{{ config(unique_key='campaign_day_id') }}

-- One row per customer x campaign x day (latest conversion restatement); cost from micros.
with source as (
    select * from {{ source('google_ads', 'campaign_days') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        _pk as campaign_day_id,
        _scope,
        {{- json_fields('_record', {
            'record_customer_id': ['customer', 'id'],
            'campaign_id': ['campaign', 'id'],
            'campaign_name': ['campaign', 'name'],
            'currency_code': ['customer', 'currencyCode'],
            'cost_micros': ['metrics', 'costMicros'],
            'impressions': ['metrics', 'impressions'],
            'clicks': ['metrics', 'clicks'],
            'conversions': ['metrics', 'conversions'],
            'segment_date': ['segments', 'date'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        campaign_day_id,
        coalesce(record_customer_id, nullif(_scope, '')) as customer_id,
        campaign_id,
        campaign_name,
        upper(currency_code) as reported_currency_code,
        -- int64 fields arrive as JSON strings; micros -> units by exact decimal multiplication
        cast({{ to_integer('cost_micros') }} * 0.000001 as decimal(18, 6)) as cost,
        {{ to_integer('impressions') }} as impressions,
        {{ to_integer('clicks') }} as clicks,
        {{ to_decimal('conversions', 18, 6) }} as conversions,
        {{ iso_date('segment_date') }} as ad_date,
        {{ invalid_values({
            'cost': ('integer', 'cost_micros'),
            'impressions': ('integer', 'impressions'),
            'clicks': ('integer', 'clicks'),
            'conversions': ('decimal', 'conversions'),
            'ad_date': ('date', 'segment_date'),
        }) }},
        _loaded_at
    from fields
)

select * from renamed
