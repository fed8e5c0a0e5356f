-- @model(name="payments_by_method", materialize="table", tags=["marts", "finance"])
SELECT payment_method, count(*) AS payments, sum(amount) AS total_amount
FROM stg_payments
GROUP BY payment_method

-- @model(name="daily_revenue", materialize="view", tags=["finance"],
--        description="Revenue of completed orders per day.")
SELECT order_date, sum(amount) AS revenue, count(*) AS orders
FROM orders
WHERE status = 'completed'
GROUP BY order_date
