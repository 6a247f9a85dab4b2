{{ config(unique_key='insight_id') }}

-- One row per ad account x campaign x day; the raw table keeps only the latest restatement.
with source as (
    select * from {{ source('meta', 'insights') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        _pk as insight_id,
        -- the record's account_id has no 'act_' prefix; the scope (the account queried) has it
        coalesce(
            nullif(_scope, ''),
            'act_' || {{ json_text('_record', ['account_id']) }}
        ) as account_id,
        {{ json_text('_record', ['campaign_id']) }} as campaign_id,
        {{ json_text('_record', ['campaign_name']) }} as campaign_name,
        upper({{ json_text('_record', ['account_currency']) }}) as reported_currency_code,
        {{ to_decimal(json_text('_record', ['spend'])) }} as spend,
        cast({{ json_text('_record', ['impressions']) }} as bigint) as impressions,
        cast({{ json_text('_record', ['clicks']) }} as bigint) as clicks,
        {{ iso_date(json_text('_record', ['date_start'])) }} as ad_date,
        _loaded_at
    from source
)

select * from renamed
