"""Generate TPC-H data into a DuckDB file with the `duckdb-extension-tpch` PyPI package.

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


def extension_path() -> Path:
    """The tpch extension file shipped by the duckdb-extension-tpch package for this duckdb."""
    root = Path(str(importlib.resources.files("duckdb_extension_tpch"))) / "extensions"
    path = root / f"v{duckdb.__version__}" / "tpch.duckdb_extension"
    if not path.exists():
        shipped = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
        raise SystemExit(
            f"duckdb-extension-tpch ships no extension for duckdb {duckdb.__version__} (it has: "
            f"{', '.join(shipped) or 'none'}); install the package version matching duckdb "
            "(see bench/requirements-tpch.txt)")
    return path


def generate(sf: float, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    con = duckdb.connect(str(partial), config={"autoinstall_known_extensions": False,
                                               "autoload_known_extensions": False})
    try:
        con.execute(f"LOAD '{extension_path()}'")
        con.execute(f"CALL dbgen(sf={float(sf)!r})")
        con.execute("CREATE TABLE tpch_queries AS SELECT * FROM tpch_queries()")
        con.execute("CREATE TABLE tpch_answers AS SELECT * FROM tpch_answers()")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(partial, out)  # a file that exists is complete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sf", type=float, default=1.0, help="TPC-H scale factor (1 = about 6M lineitem rows)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    start = time.perf_counter()
    generate(args.sf, args.out)
    print(f"TPC-H sf={args.sf:g} generated with duckdb {duckdb.__version__} into {args.out} "
          f"in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
