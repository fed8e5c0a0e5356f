-- @model(materialize="view", tags=["marts"], description="Orders and revenue per day.")
SELECT order_date, count(*) AS orders, sum(amount) AS revenue
FROM stg_orders
GROUP BY order_date
