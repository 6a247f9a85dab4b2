-- A view: two models join it, and its rows (one per delivered shipment) are cheap to derive.
{{ config(materialized="view") }}
-- Each shipment's delivery: the earliest delivered tracking among its labels.
select
    labels.shipment_id,
    min(tracking.actual_delivery_date) as delivered_date,
    count(*) as delivered_labels
from {{ ref('stg_shipstation__labels') }} as labels
inner join {{ ref('stg_shipstation__tracking') }} as tracking
    on labels.label_id = tracking.label_id
where tracking.is_delivered
    and tracking.actual_delivery_date is not null
group by labels.shipment_id
