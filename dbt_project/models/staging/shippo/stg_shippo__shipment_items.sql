{{ config(
    unique_key='shipment_id',
    pre_hook="{{ delete_rows_of_reloaded_records(source('shippo', 'orders'), 'shipment_id', '_pk') }}",
) }}

-- One row per line item of a Shippo order (line_items[]), in the columns of stg_shipstation__shipment_items.
{{ shipment_items_of(source('shippo', 'orders'), 'line_items', 'title') }}
