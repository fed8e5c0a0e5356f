"""The prebuilt extension (interlace/labextension/, committed) is the build of extension/'s
sources: `make extension` records their hash, and this test fails when they changed since."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "interlace" / "labextension"


def test_the_committed_bundle_was_built_from_the_current_sources() -> None:
    source_hash = runpy.run_path(str(ROOT / "extension" / "source_hash.py"))["source_hash"]
    recorded = (BUNDLE / "sources.sha256").read_text().strip()
    assert recorded == source_hash(), (
        "extension/ changed since interlace/labextension/ was built: run `make extension` "
        "(needs Node.js and npm) and commit interlace/labextension/")


def test_the_bundle_is_a_federated_extension_jupyterlab_loads() -> None:
    source = json.loads((ROOT / "extension" / "package.json").read_text())
    built = json.loads((BUNDLE / "package.json").read_text())
    assert (built["name"], built["version"]) == (source["name"], source["version"]) == ("interlace-jupyterlab", "0.1.0")
    entry = built["jupyterlab"]["_build"]["load"]
    assert (BUNDLE / entry).is_file() and entry.startswith("static/remoteEntry.")
    shipped = {p.name for p in (BUNDLE / "static").iterdir()}
    assert "style.js" in shipped
    loader = (BUNDLE / entry).read_text()
    chunks = [name.split(".") for name in shipped if name[0].isdigit()]  # 321.<hash>.js: no stale chunk
    assert chunks and all(f"{chunk}:" in loader and digest in loader for chunk, digest, _ in chunks)


def test_the_wheel_installs_the_bundle_where_jupyterlab_finds_it() -> None:
    import tomllib

    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    target = "share/jupyter/labextensions/interlace-jupyterlab"
    assert data_files[target] == ["interlace/labextension/package.json", "extension/install.json"]
    assert data_files[f"{target}/static"] == ["interlace/labextension/static/*"]
