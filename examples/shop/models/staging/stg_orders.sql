-- @model(materialize="table", tags=["staging"], primary_key="order_id",
--        description="One row per order.",
--        columns={"order_id": "The order's id.", "customer_id": "The customer who placed the order.",
--                 "order_date": "The day the order was placed.",
--                 "status": "Where the order is: placed, shipped, completed or returned."},
--        quality_checks=[{"unique": "order_id"},
--                        {"accepted_values": {"column": "status", "severity": "warn",
--                                             "values": ["placed", "shipped", "completed", "returned"]}}])
SELECT
    id AS order_id,
    user_id AS customer_id,
    CAST(order_date AS DATE) AS order_date,
    status
FROM read_csv('seeds/raw_orders.csv', header = true)
