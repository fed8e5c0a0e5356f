-- @model(materialize="ephemeral", tags=["staging"],
--        description="Payments in currency units; inlined into the models that read it.")
SELECT
    id AS payment_id,
    order_id,
    payment_method,
    amount / 100.0 AS amount  -- the seed stores cents
FROM read_csv('seeds/raw_payments.csv', header = true)
