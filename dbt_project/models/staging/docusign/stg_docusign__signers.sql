{{ config(
    unique_key='envelope_id',
    pre_hook="{{ delete_rows_of_reloaded_records(source('docusign', 'envelopes'), 'envelope_id', '_pk') }}",
) }}

-- One row per envelope signer (recipients.signers[]), for customer identity matching.
with source as (
    select * from {{ source('docusign', 'envelopes') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        source._pk as envelope_id,
        {{- json_fields('signer.value', {
            'recipient_id': ['recipientId'],
            'email': ['email'],
            'signer_name': ['name'],
            'signer_status': ['status'],
            'routing_order': ['routingOrder'],
        }) }},
        signer.position as signer_position,
        source._loaded_at
    from source
    {{ json_elements('source._record', ['recipients', 'signers'], 'signer') }}
),

renamed as (
    select
        envelope_id,
        recipient_id,
        lower(trim(email)) as email,
        signer_name,
        lower(signer_status) as signer_status,
        cast({{ to_integer('routing_order') }} as integer) as routing_order,
        signer_position,
        {{ invalid_values({'routing_order': ('integer', 'routing_order')}) }},
        _loaded_at
    from fields
)

select * from renamed
