{{ config(unique_key='envelope_id') }}

-- One row per envelope, with the text custom fields the hub joins on pivoted into columns.
with source as (
    select * from {{ source('docusign', 'envelopes') }}
    {{ loaded_since_last_build() }}
),

custom_field_values as (
    select
        source._pk as envelope_id,
        {{- json_fields('field.value', {'field_name': ['name'], 'field_value': ['value']}) }}
    from source
    {{ json_elements('source._record', ['customFields', 'textCustomFields'], 'field') }}
),

custom_fields as (
    select
        envelope_id,
        max(case when field_name = 'contract_number' then field_value end) as contract_number,
        -- the deal's id in the configured CRM (var crm): the envelope field the firm fills for it
        max(case when field_name = '{{ 'salesforce_opportunity_id' if var('crm', 'hubspot') == 'salesforce'
            else 'hubspot_deal_id' }}' then field_value end) as crm_deal_id,
        max(case when field_name = 'promised_delivery_date' then field_value end)
            as promised_delivery_date
    from custom_field_values
    group by envelope_id
),

fields as (
    select
        _pk,
        {{- json_fields('_record', {
            'envelope_id': ['envelopeId'],
            'envelope_status': ['status'],
            'email_subject': ['emailSubject'],
            'sent_date_time': ['sentDateTime'],
            'completed_date_time': ['completedDateTime'],
            'status_changed_date_time': ['statusChangedDateTime'],
            'purge_state': ['purgeState'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        fields.envelope_id,
        nullif(trim(custom_fields.contract_number), '') as contract_number,
        nullif(trim(custom_fields.crm_deal_id), '') as deal_id,
        lower(fields.envelope_status) as envelope_status,
        -- documents purged after the retention period: the envelope and its custom fields remain,
        -- so a purged completed envelope is still a contract
        lower(fields.purge_state) as purge_state,
        fields.email_subject,
        -- DocuSign custom fields are free text: only the documented 'YYYY-MM-DD' is a date
        {{ iso_date('trim(custom_fields.promised_delivery_date)') }} as promised_delivery_date,
        {{ utc_timestamp('fields.sent_date_time') }} as sent_at,
        {{ utc_timestamp('fields.completed_date_time') }} as completed_at,
        {{ utc_timestamp('fields.status_changed_date_time') }} as status_changed_at,
        {{ invalid_values({
            'promised_delivery_date': ('date', 'trim(custom_fields.promised_delivery_date)'),
            'sent_at': ('timestamp', 'fields.sent_date_time'),
            'completed_at': ('timestamp', 'fields.completed_date_time'),
            'status_changed_at': ('timestamp', 'fields.status_changed_date_time'),
        }) }},
        fields._loaded_at
    from fields
    left join custom_fields on fields._pk = custom_fields.envelope_id
)

select
    *,
    cast(completed_at as date) as completed_date
from renamed
