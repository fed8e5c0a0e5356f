"""Versions of the state schema. Append a new entry to change it; never edit an applied one."""

from __future__ import annotations

VERSIONS: tuple[str, ...] = (
    # 1: runs, model runs, the model catalogue, schema history, cursors
    """
    CREATE TABLE interlace.runs (
        run_id VARCHAR PRIMARY KEY,
        status VARCHAR NOT NULL,            -- running | success | failed | cancelled | interrupted
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        env VARCHAR,
        selector VARCHAR,
        trigger VARCHAR,                    -- cli | api | notebook | schedule | python
        pid INTEGER,
        models_total INTEGER,
        models_succeeded INTEGER,
        models_failed INTEGER,
        models_skipped INTEGER,
        error VARCHAR
    );
    -- one row per model per run, appended (no index: a single-row insert must stay cheap,
    -- it happens inside every model's write transaction)
    CREATE TABLE interlace.model_runs (
        run_id VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        status VARCHAR NOT NULL,            -- success | failed | skipped | cancelled
        action VARCHAR,
        reason VARCHAR,
        relation VARCHAR,
        fingerprint VARCHAR,
        started_at TIMESTAMPTZ,
        finished_at TIMESTAMPTZ,
        duration_ms DOUBLE,
        rows_affected BIGINT,
        inserted BIGINT,
        updated BIGINT,
        deleted BIGINT,
        error VARCHAR,
        skip_reason VARCHAR
    );
    -- the catalogue, refreshed in one statement at the end of each run from what it built
    CREATE TABLE interlace.models (
        name VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        materialize VARCHAR NOT NULL,
        strategy VARCHAR NOT NULL,
        relation VARCHAR,
        origin VARCHAR,
        config JSON,
        fingerprint VARCHAR,
        columns JSON,
        description VARCHAR,
        tags VARCHAR[],
        last_run_id VARCHAR,
        last_success_at TIMESTAMPTZ,
        updated_at TIMESTAMPTZ
    );
    CREATE TABLE interlace.schema_history (
        model VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        columns JSON NOT NULL,
        changes JSON NOT NULL,
        run_id VARCHAR,
        recorded_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (model, version)
    );
    CREATE TABLE interlace.cursors (
        model VARCHAR PRIMARY KEY,
        cursor_column VARCHAR NOT NULL,
        value VARCHAR,
        updated_at TIMESTAMPTZ
    );
    """,
)
