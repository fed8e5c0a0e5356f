"""The whole-server fuzz of issue 11 at full size: >= 200 examples per operation.

    .venv/bin/python bench/security_fuzz.py [--max-examples 200]

schemathesis with ``--checks all`` and its stateful phase against a real server on 127.0.0.1:
the API plus the login, logout, dashboard and component routes (tests/security/fuzz.py builds
that document). Prints the summary; exits non-zero on any failure. The suite runs the same fuzz
bounded (tests/security/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.security.fuzz import run_fuzzer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        result = run_fuzzer(Path(work), max_examples=args.max_examples, seed=args.seed, timeout=6 * 3600)
    start = result.output.find("FAILURES")
    start = start if start >= 0 else result.output.find("SUMMARY")
    print(result.output[start:] if start >= 0 else result.output[-5000:])
    print(f"max-examples {args.max_examples}: {result.generated} generated, {result.passed} passed, "
          f"{result.operations} operations, rc {result.returncode}, {time.monotonic() - started:.0f} s")
    return 0 if result.returncode == 0 and result.generated == result.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
