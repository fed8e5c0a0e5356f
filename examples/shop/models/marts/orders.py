"""Orders with their payments pivoted by method (a Python model written with ibis)."""

from interlace import model

METHODS = ["credit_card", "bank_transfer", "coupon", "gift_card"]


@model(
    materialize="table",
    primary_key="order_id",
    tags=["marts"],
    owner="analytics",
    quality_checks=[
        {"unique": "order_id"},
        {"relationships": {"column": "customer_id", "to": "stg_customers"}},
        {"expression": "amount = credit_card_amount + bank_transfer_amount + coupon_amount + gift_card_amount"},
    ],
)
def orders(stg_orders, stg_payments):
    """One row per order with the amount paid by each method and in total."""
    per_method = {
        f"{method}_amount": stg_payments.amount.sum(where=stg_payments.payment_method == method).coalesce(0)
        for method in METHODS
    }
    paid = stg_payments.group_by("order_id").aggregate(amount=stg_payments.amount.sum(), **per_method)
    joined = stg_orders.left_join(paid, "order_id")
    return joined.select(
        stg_orders.order_id,
        stg_orders.customer_id,
        stg_orders.order_date,
        stg_orders.status,
        *[joined[f"{m}_amount"].coalesce(0).name(f"{m}_amount") for m in METHODS],
        joined.amount.coalesce(0).name("amount"),
    )
