"""A report model that returns a pandas DataFrame (ingested through Arrow)."""

from interlace import model


@model(materialize="table", tags=["reports"])
def customer_segments(customers):
    """Customers bucketed by lifetime value."""
    df = customers.select("customer_id", "customer_lifetime_value").to_pandas()
    bins = [-1, 0, 50, 150, float("inf")]
    labels = ["none", "low", "medium", "high"]
    import pandas as pd

    df["segment"] = pd.cut(df["customer_lifetime_value"], bins=bins, labels=labels).astype(str)
    return df.groupby("segment", as_index=False).agg(customers=("customer_id", "count"))
