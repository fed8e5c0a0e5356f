-- @model(materialize="table", tags=["staging"], description="Orders read from the CSV seed.")
SELECT
    id AS order_id,
    customer,
    CAST(ordered_at AS DATE) AS order_date,
    amount
FROM read_csv('seeds/raw_orders.csv', header = true)
