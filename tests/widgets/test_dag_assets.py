"""The DAG's layout library is vendored (no CDN): it ships in the package with its version and
licence recorded, and travels inside the widget's one ESM, before the view that uses it."""

from __future__ import annotations

from importlib import resources

from interlace.widgets.assets import STATIC, dag_esm
from interlace.widgets.dag import DagWidget


def test_dagre_is_vendored_with_its_version_and_licence() -> None:
    vendor = resources.files("interlace.widgets") / "static" / "vendor"
    assert {p.name for p in vendor.iterdir()} >= {"dagre.min.js", "NOTICE"}
    notice = (vendor / "NOTICE").read_text()
    assert "@dagrejs/dagre 3.1.3" in notice and "@dagrejs/graphlib 4.0.6" in notice
    assert notice.count("Permission is hereby granted, free of charge") == 2  # both MIT licences, in full
    first = (vendor / "dagre.min.js").read_text().splitlines()[0]
    assert first.startswith("/*! @dagrejs/dagre 3.1.3 (with @dagrejs/graphlib 4.0.6 bundled), MIT licence")


def test_the_widget_esm_is_the_library_then_the_view() -> None:
    esm = dag_esm()
    library, view = (STATIC / "vendor" / "dagre.min.js").read_text(), (STATIC / "dag.js").read_text()
    assert esm == library + "\n" + view
    assert "sourceMappingURL" not in esm  # the map is not shipped: nothing to fetch
    assert str(DagWidget()._esm) == esm
