-- @model(materialize="view", tags=["staging"],
--        description="One row per customer, cleaned from the raw CSV seed.")
SELECT
    id AS customer_id,
    first_name,
    last_name
FROM read_csv('seeds/raw_customers.csv', header = true)
