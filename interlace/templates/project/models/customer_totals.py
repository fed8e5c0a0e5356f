from interlace import model


@model(materialize="table", tags=["marts"])
def customer_totals(stg_orders):
    """Total spent per customer (a Python model: stg_orders arrives as an ibis table)."""
    return stg_orders.group_by("customer").aggregate(
        orders=stg_orders.count(), total=stg_orders.amount.sum()
    )
