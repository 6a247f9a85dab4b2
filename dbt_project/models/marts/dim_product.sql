-- One row per SKU seen on a deal line or a shipment item.
with skus as (
    select sku, product_name from {{ ref('stg_crm__line_items') }} where not is_archived
    union all
    select sku, item_name from {{ ref('stg_fulfilment__shipment_items') }}
)

select
    sku,
    min(product_name) as product_name
from skus
where sku is not null
group by sku
