-- Every channel a figure can land in, with whether it is paid advertising.
with channels as (
    select distinct channel from {{ ref('channel_map') }}
    union
    select 'unattributed'
)

select
    channel,
    channel in ('meta', 'google_ads') as is_paid,
    case channel
        when 'meta' then 'Meta Ads'
        when 'google_ads' then 'Google Ads'
        when 'organic' then 'Organic'
        else 'Unattributed'
    end as channel_name
from channels
