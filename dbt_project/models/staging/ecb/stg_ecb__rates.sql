{{ config(unique_key=['currency_code', 'rate_date']) }}

-- One row per currency and publication day: units of the currency per 1 EUR.
with source as (
    select * from {{ source('ecb', 'rates') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        upper({{ json_text('_record', ['CURRENCY']) }}) as currency_code,
        {{ iso_date(json_text('_record', ['TIME_PERIOD'])) }} as rate_date,
        {{ to_decimal(json_text('_record', ['OBS_VALUE']), 18, 8) }} as rate,
        {{ fx_rate_scaled(json_text('_record', ['OBS_VALUE'])) }} as rate_scaled,
        _loaded_at
    from source
    -- ECB marks a missing observation with an empty OBS_VALUE
    where nullif(trim({{ json_text('_record', ['OBS_VALUE']) }}), '') is not null
)

select * from renamed
