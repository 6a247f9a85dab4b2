{#- Keyed by the raw `_pk` (`<CURRENCY>:<TIME_PERIOD>` as sent): a day that does not parse is null,
    and a key holding a null matched nothing on delete+insert, so each reload added a duplicate. -#}
{{ config(unique_key='rate_id') }}

-- One row per currency and publication day: units of the currency per 1 EUR.
with source as (
    select * from {{ source('ecb', 'rates') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        _pk as rate_id,
        {{- json_fields('_record', {
            'currency': ['CURRENCY'],
            'time_period': ['TIME_PERIOD'],
            'obs_value': ['OBS_VALUE'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        rate_id,
        upper(currency) as currency_code,
        {{ iso_date('time_period') }} as rate_date,
        {{ to_decimal('obs_value', 18, 8) }} as rate,
        {{ fx_rate_scaled('obs_value') }} as rate_scaled,
        {{ invalid_values({'rate_date': ('date', 'time_period'), 'rate': ('decimal', 'obs_value')}) }},
        _loaded_at
    from fields
    -- ECB marks a missing observation with an empty OBS_VALUE
    where nullif(trim(obs_value), '') is not null
)

select * from renamed
