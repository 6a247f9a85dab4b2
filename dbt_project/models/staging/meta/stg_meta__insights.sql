{{ config(unique_key='insight_id') }}

-- One row per ad account x campaign x day; the raw table keeps only the latest restatement.
with source as (
    select * from {{ source('meta', 'insights') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        _pk as insight_id,
        _scope,
        {{- json_fields('_record', {
            'record_account_id': ['account_id'],
            'campaign_id': ['campaign_id'],
            'campaign_name': ['campaign_name'],
            'account_currency': ['account_currency'],
            'spend': ['spend'],
            'impressions': ['impressions'],
            'clicks': ['clicks'],
            'date_start': ['date_start'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        insight_id,
        -- the record's account_id has no 'act_' prefix; the scope (the account queried) has it
        coalesce(nullif(_scope, ''), 'act_' || record_account_id) as account_id,
        campaign_id,
        campaign_name,
        upper(account_currency) as reported_currency_code,
        {{ to_decimal('spend') }} as spend,
        {{ to_integer('impressions') }} as impressions,
        {{ to_integer('clicks') }} as clicks,
        {{ iso_date('date_start') }} as ad_date,
        {{ invalid_values({
            'spend': ('decimal', 'spend'),
            'impressions': ('integer', 'impressions'),
            'clicks': ('integer', 'clicks'),
            'ad_date': ('date', 'date_start'),
        }) }},
        _loaded_at
    from fields
)

select * from renamed
