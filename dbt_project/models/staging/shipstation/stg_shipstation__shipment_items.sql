{{ config(
    unique_key='shipment_id',
    pre_hook="{{ delete_rows_of_reloaded_records(source('shipstation', 'shipments'), 'shipment_id', '_pk') }}",
) }}

-- One row per item of a shipment (items[]).
{{ shipment_items_of(source('shipstation', 'shipments'), 'items', 'name') }}
