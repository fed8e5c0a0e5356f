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
        fingerprint VARCHAR,                -- of the definition that was built (change detection)
        inputs JSON,                        -- local files read: [[path, size, mtime_ns], ...]
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
    # 2: API keys for `interlace serve`: only a SHA-256 of each key is kept; the key is shown once
    """
    CREATE TABLE interlace.api_keys (
        key_id VARCHAR PRIMARY KEY,         -- the public part embedded in the key (ilk_<key_id>_...)
        name VARCHAR NOT NULL,              -- unique among keys that are not revoked
        scope VARCHAR NOT NULL,             -- read | run | admin
        key_hash VARCHAR NOT NULL,          -- sha256 hex of the whole key
        created_at TIMESTAMPTZ NOT NULL,
        revoked_at TIMESTAMPTZ
    );
    """,
    # 3: quality check results (with failing samples) and column lineage
    """
    CREATE TABLE interlace.quality_results (
        run_id VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        check_name VARCHAR NOT NULL,
        check_type VARCHAR NOT NULL,
        severity VARCHAR NOT NULL,          -- error | warn
        status VARCHAR NOT NULL,            -- pass | fail | error
        failing BIGINT NOT NULL,
        duration_ms DOUBLE,
        sql VARCHAR,                        -- shows the failing rows when run by hand
        samples JSON,                       -- up to 10 failing rows
        message VARCHAR,
        checked_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE interlace.column_lineage (
        model VARCHAR NOT NULL,             -- the model whose SQL was analysed
        fingerprint VARCHAR,                -- of the definition analysed (recomputed when it changes)
        column_name VARCHAR,                -- output column; NULL for a model-level read (filter, join)
        source VARCHAR NOT NULL,            -- the model, table or file read
        source_column VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,              -- value | filter | join | group
        computed_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 4: each build's own definition hash (without its upstreams'), so a plan can say whether a model
    # or one of its upstreams was edited
    """
    ALTER TABLE interlace.model_runs ADD COLUMN definition VARCHAR;
    """,
    # 5: notebook runs (papermill), schedules and the record of every fire (one per scheduled time)
    """
    CREATE TABLE interlace.notebook_runs (
        run_id VARCHAR PRIMARY KEY,
        notebook VARCHAR NOT NULL,          -- path relative to the project
        parameters JSON,
        status VARCHAR NOT NULL,            -- running | success | failed | timeout | dead_kernel | interrupted
        trigger VARCHAR,                    -- cli | api | schedule:<name> | python
        kernel VARCHAR,
        pid INTEGER,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        duration_ms DOUBLE,
        output_path VARCHAR,                -- the executed notebook, archived under .interlace/runs/<run_id>/
        error VARCHAR,
        failed_cell JSON,                   -- {"number", "id", "first_line", "ename", "evalue"}
        models JSON                         -- the models the notebook built while it ran
    );
    CREATE TABLE interlace.schedules (
        name VARCHAR PRIMARY KEY,           -- model:<name> or the key under schedules: in config
        kind VARCHAR NOT NULL,              -- model | models | notebook
        spec JSON NOT NULL,
        next_fire_at TIMESTAMPTZ,
        last_fire_at TIMESTAMPTZ,           -- the scheduled time of the last fire
        last_status VARCHAR,
        last_run_id VARCHAR,
        last_finished_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ NOT NULL,    -- ticks before this never run (no catch-up from before)
        updated_at TIMESTAMPTZ
    );
    -- one row per fired tick: the key (schedule, scheduled_at) makes a tick run at most once
    CREATE TABLE interlace.schedule_fires (
        schedule VARCHAR NOT NULL,
        scheduled_at TIMESTAMPTZ NOT NULL,
        fired_at TIMESTAMPTZ NOT NULL,
        run_id VARCHAR,
        status VARCHAR NOT NULL,            -- started | success | failed | skipped | error
        finished_at TIMESTAMPTZ,
        error VARCHAR,
        PRIMARY KEY (schedule, scheduled_at)
    );
    """,
    # 6: a liveness token per run that survives PID reuse (a server restarted as PID 1 in a container
    # has the PID of the one that died); and keys stored before they were shown are "unconfirmed"
    """
    ALTER TABLE interlace.runs ADD COLUMN owner VARCHAR;   -- pid:start-ticks:random of the process
    ALTER TABLE interlace.notebook_runs ADD COLUMN owner VARCHAR;
    ALTER TABLE interlace.api_keys ADD COLUMN confirmed BOOLEAN DEFAULT true;
    """,
    # 7: user migrations (migrations/NNN_name.up.sql) and the versions of user functions seen by runs
    """
    CREATE TABLE interlace.migrations (
        version INTEGER PRIMARY KEY,
        name VARCHAR NOT NULL,
        checksum VARCHAR NOT NULL,          -- sha256 of the up file as applied
        down_checksum VARCHAR,              -- of the down file as it was when applied (NULL: up-only)
        applied_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE interlace.function_versions (
        name VARCHAR NOT NULL,
        checksum VARCHAR NOT NULL,          -- of the function's normalized source
        path VARCHAR,
        first_seen TIMESTAMPTZ NOT NULL,    -- when a run first saw this version
        PRIMARY KEY (name, checksum)
    );
    """,
    # 8: streams — consumer offsets, in-flight deliveries (visibility timeout, delivery count), the
    # dead letters (invalid events, poison events) and the files a watched directory ingested
    """
    CREATE TABLE interlace.stream_consumers (
        stream VARCHAR NOT NULL,
        consumer VARCHAR NOT NULL,
        acked_offset BIGINT NOT NULL,       -- every event at or below it is acknowledged
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ,
        PRIMARY KEY (stream, consumer)
    );
    CREATE TABLE interlace.stream_deliveries (
        stream VARCHAR NOT NULL,
        consumer VARCHAR NOT NULL,
        "offset" BIGINT NOT NULL,
        deliveries INTEGER NOT NULL,
        delivered_at TIMESTAMPTZ NOT NULL,
        dead BOOLEAN NOT NULL DEFAULT false, -- dead-lettered after max_deliveries: never again
        PRIMARY KEY (stream, consumer, "offset")
    );
    CREATE TABLE interlace.stream_dead_letters (
        stream VARCHAR NOT NULL,
        consumer VARCHAR,                   -- NULL: refused at ingest (invalid event)
        "offset" BIGINT,
        event_id VARCHAR,
        source VARCHAR,
        payload JSON,
        reason VARCHAR NOT NULL,
        dead_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE interlace.stream_files (
        stream VARCHAR NOT NULL,
        path VARCHAR NOT NULL,              -- relative to the watched directory
        size BIGINT NOT NULL,
        mtime_ns BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL,
        events BIGINT NOT NULL,
        ingested_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (stream, path, sha256)
    );
    """,
    # 9: reliability: retried attempts in model_runs, circuit breakers per connection, the
    # dead-letter queue, paused schedules, and fires waiting for a retry or a free slot
    """
    ALTER TABLE interlace.model_runs ADD COLUMN attempt INTEGER DEFAULT 1;
    ALTER TABLE interlace.schedules ADD COLUMN paused BOOLEAN DEFAULT false;
    ALTER TABLE interlace.schedule_fires ADD COLUMN attempt INTEGER DEFAULT 1;
    ALTER TABLE interlace.schedule_fires ADD COLUMN retry_at TIMESTAMPTZ;  -- status retrying | queued
    CREATE TABLE interlace.circuit_breakers (
        connection VARCHAR PRIMARY KEY,
        status VARCHAR NOT NULL,            -- closed | open | half_open
        failures INTEGER NOT NULL,          -- consecutive failures counted
        opened_at TIMESTAMPTZ,
        last_error VARCHAR,
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE SEQUENCE interlace.dead_letter_ids START 1;
    CREATE TABLE interlace.dead_letters (
        id BIGINT PRIMARY KEY DEFAULT nextval('interlace.dead_letter_ids'),
        kind VARCHAR NOT NULL,              -- schedule | model
        schedule VARCHAR,
        model VARCHAR,
        scheduled_at TIMESTAMPTZ,
        run_id VARCHAR,                     -- the last failed attempt's run
        attempts INTEGER NOT NULL,
        error VARCHAR,
        payload JSON,                       -- what a retry runs: {"select": [...]} or {"notebook": ...}
        status VARCHAR NOT NULL,            -- open | resolved
        created_at TIMESTAMPTZ NOT NULL,
        resolved_at TIMESTAMPTZ,
        resolution VARCHAR,                 -- a note, or "retried: run <id> succeeded"
        retry_run_ids JSON
    );
    """,
)
