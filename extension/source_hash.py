"""The hash of the extension's sources, recorded beside the prebuilt bundle at each build.

`make extension` builds `interlace/labextension/` from these sources and then runs
`python extension/source_hash.py --write`; the test suite (tests/extension/test_bundle.py)
recomputes the hash and fails when the sources changed without a rebuild. Only files that decide
the bundle count: the manifest, the lock file, the TypeScript and the styles.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORD = HERE.parent / "interlace" / "labextension" / "sources.sha256"
PATTERNS = ("package.json", "yarn.lock", ".yarnrc.yml", "tsconfig.json", "src/**/*.ts", "style/**/*")


def sources() -> list[Path]:
    return sorted({p for pattern in PATTERNS for p in HERE.glob(pattern) if p.is_file()})


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in sources():
        digest.update(path.relative_to(HERE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        RECORD.write_text(source_hash() + "\n")
        print(f"recorded the sources' hash in {RECORD}")
    else:
        print(source_hash())
