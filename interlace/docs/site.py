"""``build_site``: the static documentation site of a project, from a Workspace.

Pages: ``index.html`` (project, counts, last run, failing checks), ``models/<name>.html`` per model,
``notebooks/<path>.html`` per notebook, ``runs.html``; plus the sharded search index under
``search/`` and the local assets under ``assets/``. Every link is relative and nothing is fetched,
so the site works from ``file://`` and from any static host.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlace.docs.collect import SiteData, collect
from interlace.docs.graph import neighbourhood, neighbourhood_svg
from interlace.docs.notebooks import NotebookPage, exporter, find_notebooks, render_notebook
from interlace.docs.output import SiteFiles, prepare_output
from interlace.docs.search import SearchDoc, write_index
from interlace.state.store import describe_changes

__all__ = ["SiteInputs", "SiteSummary", "build_site", "read_site", "write_site"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
HOPS = 2
MODELS_PER_PAGE = 500  # the index lists this many models; models-2.html... the rest


@dataclass(frozen=True, slots=True)
class Pager:
    page: int
    pages: int
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class SiteSummary:
    out: Path
    models: int
    notebooks: int
    broken_notebooks: tuple[str, ...]
    pages: int
    bytes: int
    seconds: float

    @property
    def index(self) -> Path:
        return self.out / "index.html"

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "index": str(self.index), "models": self.models,
                "notebooks": self.notebooks, "broken_notebooks": list(self.broken_notebooks),
                "pages": self.pages, "bytes": self.bytes, "seconds": round(self.seconds, 3)}


@dataclass(frozen=True, slots=True)
class SiteInputs:
    """What a build reads from the workspace; rendering it (:func:`write_site`) needs no workspace."""

    data: SiteData
    root: Path
    model_paths: tuple[str, ...]


def read_site(ws: Any, select: tuple[str, ...] = ()) -> SiteInputs:
    """Read what the site shows from ``ws`` (a :class:`Workspace`): the only step that needs it."""
    return SiteInputs(collect(ws, select), ws.root, tuple(ws.loaded.config.models_paths))


def build_site(ws: Any, out: str | Path | None = None, *, select: tuple[str, ...] = (),
               force: bool = False, notebooks: bool = True, reload_script: str | None = None) -> SiteSummary:
    """Build the site of ``ws`` (a :class:`Workspace`) into ``out`` (default: ``site/`` in the project).

    ``select`` limits the model pages (same syntax as ``interlace run``); ``force`` builds into a
    non-empty directory we did not make. ``reload_script`` is added to every page by ``docs serve``.

    Raises:
        InvalidOptionError: the output directory is refused (see :func:`prepare_output`).
    """
    started = time.perf_counter()
    return write_site(read_site(ws, select), out, force=force, notebooks=notebooks,
                      reload_script=reload_script, started=started)


def write_site(inputs: SiteInputs, out: str | Path | None = None, *, force: bool = False,
               notebooks: bool = True, reload_script: str | None = None,
               started: float | None = None) -> SiteSummary:
    """Render and write the pages of ``inputs`` (see :func:`build_site` for the arguments)."""
    started = time.perf_counter() if started is None else started
    data, root = inputs.data, inputs.root
    target = Path(out) if out is not None else root / "site"
    if not target.is_absolute():
        target = root / target
    target = prepare_output(target, root=root, model_paths=list(inputs.model_paths), force=force)
    site = SiteFiles(target)
    env = _environment(reload_script, set(data.models))
    site.copy_tree(STATIC, target / "assets")
    site.write(target / "assets" / "pygments.css", _pygments_css())
    pages = _notebook_pages(root, target) if notebooks else []
    common = {"site": data, "notebooks": pages, "built": _now()}
    listing = list(data.models.items())
    pages_of_models = max(1, -(-len(listing) // MODELS_PER_PAGE))
    for page_no in range(1, pages_of_models + 1):  # the index lists the first models, then models-N.html
        chunk = listing[(page_no - 1) * MODELS_PER_PAGE: page_no * MODELS_PER_PAGE]
        pager = Pager(page_no, pages_of_models, (page_no - 1) * MODELS_PER_PAGE + 1,
                      (page_no - 1) * MODELS_PER_PAGE + len(chunk))
        name = "index.html" if page_no == 1 else f"models-{page_no}.html"
        site.write(target / name, env.get_template(name if page_no == 1 else "models_list.html").render(
            root="", listing=chunk, pager=pager, **common))
    site.write(target / "runs.html", env.get_template("runs.html").render(root="", **common))
    model_page = env.get_template("model.html")
    for name, doc in data.models.items():
        hood = neighbourhood(name, data.upstream, data.downstream, data.order, hops=HOPS)
        svg = neighbourhood_svg(hood, data.upstream, lambda n: f"{n}.html" if n in data.models else "#")
        site.write(target / "models" / f"{name}.html", model_page.render(
            root="../", model=doc, graph=svg, hood=hood, hops=HOPS, **common))
    notebook_page = env.get_template("notebook.html")
    for page in pages:
        site.write(target / page.file, notebook_page.render(root="../", page=page, **common))
    site.written.update(write_index(_search_docs(data), target))
    files = site.finish()
    return SiteSummary(
        out=target, models=len(data.models), notebooks=len(pages),
        broken_notebooks=tuple(p.path for p in pages if p.body is None),
        pages=sum(1 for p in files if p.suffix == ".html"), bytes=sum(p.stat().st_size for p in files),
        seconds=time.perf_counter() - started,
    )


def _environment(reload_script: str | None, pages: set[str]) -> Any:
    """One environment per build: templates compiled once, ``link()`` knowing which models have pages."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = _when
    env.filters["ms"] = _ms
    env.filters["number"] = _number
    env.filters["changes"] = describe_changes
    env.globals["reload_script"] = reload_script
    env.globals["link"] = _linker(pages)
    return env


def _linker(pages: set[str]) -> Any:
    """``link(model, column=None)``: a link to the model's page (and column), or the name as code.

    A Python function rather than a template macro: a 10,000-model site calls it ~130,000 times.
    """
    from markupsafe import Markup as markup
    from markupsafe import escape

    def link(name: str, column: str | None = None) -> Any:
        label = escape(f"{name}.{column}" if column else name)
        if name not in pages:
            return markup(f"<code>{label}</code>")
        anchor = f"#col-{escape(column)}" if column else ""
        return markup(f'<a href="{escape(name)}.html{anchor}">{label}</a>')

    return link


def _notebook_pages(root: Path, target: Path) -> list[NotebookPage]:
    found = list(find_notebooks(root, skip=target))
    if not found:
        return []
    made = exporter()
    return [render_notebook(path, root, made) for path in found]


def _search_docs(data: SiteData) -> list[SearchDoc]:
    docs: list[SearchDoc] = []
    for name, doc in data.models.items():
        spec = doc.spec
        about = spec.config.description or ""
        docs.append(SearchDoc(name, None, " ".join([about, *spec.tags, spec.config.owner or ""]), about))
        for column in doc.columns:
            text = column.description or ""
            docs.append(SearchDoc(name, column.name, f"{text} {column.type or ''}", text))
    return docs


def _pygments_css() -> str:
    """Colours for the code cells of notebook pages (nbconvert marks them up with pygments)."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter().get_style_defs(".highlight")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _when(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} ms" if value < 10_000 else f"{value / 1000:,.1f} s"


def _number(value: int | float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"

