{{ config(enabled=var('crm', 'hubspot') == 'salesforce', unique_key='contact_id') }}

-- The CRM's people as the marts count them (leads), one row per Salesforce Lead: a lead keeps its
-- creation time and UTM fields when it is converted into a Contact, so the lead is the person,
-- as HubSpot's contact is. A deleted lead is archived; a lead merged into another (deleted, with
-- MasterRecordId) is not: stg_salesforce__contact_merges resolves it, as HubSpot's merges are.
-- The UTM fields are the org's (vars salesforce_utm_source_field / _campaign_field, the same
-- names as HUB_SALESFORCE_UTM_*_FIELD, passed by pipelines/transform/project.py dbt_vars).
with source as (
    select * from {{ source('salesforce', 'leads') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        {{- json_fields('_record', {
            'contact_id': ['Id'],
            'email': ['Email'],
            'first_name': ['FirstName'],
            'last_name': ['LastName'],
            'company': ['Company'],
            'utm_source': [var('salesforce_utm_source_field', 'pi__utm_source__c')],
            'utm_campaign': [var('salesforce_utm_campaign_field', 'pi__utm_campaign__c')],
            'is_deleted': ['IsDeleted'],
            'master_record_id': ['MasterRecordId'],
            'createdate': ['CreatedDate'],
            'updated_at': ['SystemModstamp'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        contact_id,
        lower(trim(email)) as email,
        nullif(first_name, '') as first_name,
        nullif(last_name, '') as last_name,
        -- Web-to-Lead fills the required Company with '[not provided]' when the form leaves it blank
        nullif(nullif(company, ''), '[not provided]') as company_name,
        nullif(utm_source, '') as utm_source,
        nullif(utm_campaign, '') as utm_campaign,
        coalesce(lower(is_deleted) = 'true' and nullif(master_record_id, '') is null, false) as is_archived,
        {{ utc_timestamp('createdate') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ invalid_values({
            'created_at': ('timestamp', 'createdate'),
            'updated_at': ('timestamp', 'updated_at'),
        }) }},
        _loaded_at
    from fields
)

select
    *,
    cast(created_at as date) as created_date
from renamed
