"""Generate TPC-H (or, ``--suite tpcds``, TPC-DS) data into a DuckDB file from PyPI's extensions.

Runs in bench/.tpch-venv (made by `make bench`), whose duckdb is the exact version the extension
package was built for. The extension is loaded from the package's own path (``LOAD '<path>'``)
with auto-install and auto-load off, so nothing is downloaded. Besides the eight TPC-H tables the
file holds ``tpch_queries`` and ``tpch_answers`` (copies of the extension's table functions), so
the benchmark, which runs on the project's duckdb without the extension, can read them.

    bench/.tpch-venv/bin/python bench/tpch_data.py --sf 1 --out bench/.data/tpch/sf1.duckdb
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import time
from pathlib import Path

import duckdb

# suite: (the generator's call, the tables of queries (and answers) copied into the file)
SUITES = {"tpch": ("dbgen", ("tpch_queries", "tpch_answers")),
          "tpcds": ("dsdgen", ("tpcds_queries",))}


def extension_path(suite: str = "tpch") -> Path:
    """The extension file shipped by the duckdb-extension-<suite> package for this duckdb."""
    root = Path(str(importlib.resources.files(f"duckdb_extension_{suite}"))) / "extensions"
    path = root / f"v{duckdb.__version__}" / f"{suite}.duckdb_extension"
    if not path.exists():
        shipped = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
        raise SystemExit(
            f"duckdb-extension-{suite} ships no extension for duckdb {duckdb.__version__} (it has: "
            f"{', '.join(shipped) or 'none'}); install the package version matching duckdb "
            "(see bench/requirements-tpch.txt)")
    return path


def generate(sf: float, out: Path, suite: str = "tpch") -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    con = duckdb.connect(str(partial), config={"autoinstall_known_extensions": False,
                                               "autoload_known_extensions": False})
    try:
        generator, tables = SUITES[suite]
        con.execute(f"LOAD '{extension_path(suite)}'")
        con.execute(f"CALL {generator}(sf={float(sf)!r})")
        for table in tables:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM {table}()")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(partial, out)  # a file that exists is complete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sf", type=float, default=1.0, help="TPC-H scale factor (1 = about 6M lineitem rows)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--suite", choices=sorted(SUITES), default="tpch")
    args = parser.parse_args()
    start = time.perf_counter()
    generate(args.sf, args.out, args.suite)
    print(f"{args.suite} sf={args.sf:g} generated with duckdb {duckdb.__version__} into {args.out} "
          f"in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
