-- @model(materialize="view", tags=["staging"],
--        description="One row per customer, cleaned from the raw CSV seed.",
--        columns={"customer_id": "The customer's id, as the shop's CRM assigns it.",
--                 "first_name": "Given name.", "last_name": "Family name (initial only in the seed)."})
SELECT
    id AS customer_id,
    first_name,
    last_name
FROM read_csv('seeds/raw_customers.csv', header = true)
