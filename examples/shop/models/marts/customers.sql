-- @model(materialize="table", primary_key="customer_id", tags=["marts"], owner="analytics",
--        description="One row per customer with order history and lifetime value.",
--        quality_checks=[{"range": {"column": "customer_lifetime_value", "min": 0}}])
WITH customer_orders AS (
    SELECT
        customer_id,
        min(order_date) AS first_order,
        max(order_date) AS most_recent_order,
        count(*) AS number_of_orders,
        sum(amount) AS customer_lifetime_value
    FROM orders
    GROUP BY customer_id
)
SELECT
    c.customer_id,
    c.first_name,
    c.last_name,
    o.first_order,
    o.most_recent_order,
    coalesce(o.number_of_orders, 0) AS number_of_orders,
    coalesce(o.customer_lifetime_value, 0) AS customer_lifetime_value
FROM stg_customers AS c
LEFT JOIN customer_orders AS o USING (customer_id)
