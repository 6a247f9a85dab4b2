{{ config(unique_key='envelope_id') }}

-- One row per envelope signer (recipients.signers[]), for customer identity matching.
with source as (
    select * from {{ source('docusign', 'envelopes') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        source._pk as envelope_id,
        {{ json_text('signer.value', ['recipientId']) }} as recipient_id,
        lower(trim({{ json_text('signer.value', ['email']) }})) as email,
        {{ json_text('signer.value', ['name']) }} as signer_name,
        lower({{ json_text('signer.value', ['status']) }}) as signer_status,
        cast({{ json_text('signer.value', ['routingOrder']) }} as integer) as routing_order,
        signer.position as signer_position,
        source._loaded_at
    from source
    {{ json_elements('source._record', ['recipients', 'signers'], 'signer') }}
)

select * from renamed
