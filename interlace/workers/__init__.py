"""Several processes building one plan on one DuckLake: a shared queue with a lease per model."""
