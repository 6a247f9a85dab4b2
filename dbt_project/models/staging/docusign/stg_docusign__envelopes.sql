{{ config(unique_key='envelope_id') }}

-- One row per envelope, with the text custom fields the hub joins on pivoted into columns.
with source as (
    select * from {{ source('docusign', 'envelopes') }}
    {{ loaded_since_last_build() }}
),

custom_fields as (
    select
        source._pk as envelope_id,
        max(case when {{ json_text('field.value', ['name']) }} = 'contract_number'
            then {{ json_text('field.value', ['value']) }} end) as contract_number,
        max(case when {{ json_text('field.value', ['name']) }} = 'hubspot_deal_id'
            then {{ json_text('field.value', ['value']) }} end) as hubspot_deal_id,
        max(case when {{ json_text('field.value', ['name']) }} = 'promised_delivery_date'
            then {{ json_text('field.value', ['value']) }} end) as promised_delivery_date
    from source
    {{ json_elements('source._record', ['customFields', 'textCustomFields'], 'field') }}
    group by source._pk
),

renamed as (
    select
        {{ json_text('source._record', ['envelopeId']) }} as envelope_id,
        nullif(trim(custom_fields.contract_number), '') as contract_number,
        nullif(trim(custom_fields.hubspot_deal_id), '') as deal_id,
        lower({{ json_text('source._record', ['status']) }}) as envelope_status,
        {{ json_text('source._record', ['emailSubject']) }} as email_subject,
        {{ iso_date("nullif(trim(custom_fields.promised_delivery_date), '')") }} as promised_delivery_date,
        {{ utc_timestamp(json_text('source._record', ['sentDateTime'])) }} as sent_at,
        {{ utc_timestamp(json_text('source._record', ['completedDateTime'])) }} as completed_at,
        {{ utc_timestamp(json_text('source._record', ['statusChangedDateTime'])) }} as status_changed_at,
        source._loaded_at
    from source
    left join custom_fields on source._pk = custom_fields.envelope_id
)

select
    *,
    cast(completed_at as date) as completed_date
from renamed
