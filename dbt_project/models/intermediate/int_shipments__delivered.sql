-- A view: two models join it, and its rows (one per delivered shipment) are cheap to derive.
{{ config(materialized="view") }}
-- Each shipment's delivery: the earliest delivered tracking among its labels that are not voided.
-- A label that says delivered while its /track answer is still missing (the vendor refused it,
-- the connector asks again on a back-off) is a delivery whose date is unknown: kept, not dropped.
with labels as (
    select * from {{ ref('stg_fulfilment__labels') }}
    where not coalesce(is_voided, false)
),

tracked as (
    select
        labels.shipment_id,
        min(tracking.actual_delivery_date) as delivered_date,
        count(*) as delivered_labels
    from labels
    inner join {{ ref('stg_fulfilment__tracking') }} as tracking
        on labels.label_id = tracking.label_id
    where tracking.is_delivered
        and tracking.actual_delivery_date is not null
    group by labels.shipment_id
),

untracked as (
    select distinct labels.shipment_id
    from labels
    where labels.tracking_status = 'delivered'
        and labels.shipment_id not in (select tracked.shipment_id from tracked)
)

select
    shipment_id,
    delivered_date,
    delivered_labels,
    false as is_delivery_date_unknown
from tracked
union all
select
    shipment_id,
    cast(null as date) as delivered_date,
    0 as delivered_labels,
    true as is_delivery_date_unknown
from untracked
