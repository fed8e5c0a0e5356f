"""``%interlace`` and ``%%interlace_model``: parse the line into an options value, call the
workspace, display the answer. Each command's flags come from ``interlace.options``."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import display

from interlace.errors import StateError, did_you_mean
from interlace.formatting import rows_for_people
from interlace.magics.args import command, parse
from interlace.magics.session import Session
from interlace.options import (
    DagOptions,
    DiffOptions,
    DocsOptions,
    EnvOptions,
    ForgetOptions,
    HelpOptions,
    InfoOptions,
    LineageOptions,
    MigrateOptions,
    ModelCellOptions,
    PlanOptions,
    QualityOptions,
    RunOptions,
    ScheduleOptions,
    ServeOptions,
    ShowOptions,
    StreamOptions,
)

__all__ = ["COMMANDS", "InterlaceMagics"]

COMMANDS = ("run", "plan", "dag", "show", "diff", "quality", "lineage", "docs", "migrate", "info", "env",
            "forget", "serve", "stream", "schedule", "help")


@magics_class
class InterlaceMagics(Magics):
    """The interlace magics of one IPython shell."""

    def __init__(self, shell: Any, session: Session) -> None:
        super().__init__(shell)
        self.session = session

    @line_magic("interlace")  # type: ignore[arg-type]
    def interlace(self, line: str) -> Any:
        """%interlace COMMAND [ARGS]: run, plan, dag, show, diff, quality, lineage, docs, migrate, info,
        env, forget, serve, stream, schedule, help (each takes --help)."""
        name, _, rest = line.strip().partition(" ")
        if name in ("", "-h", "--help"):
            return self.help_(parse(self.help_, ""))
        if name == "--traceback":
            print(self.session.last_traceback())
            return None
        if name not in COMMANDS:
            raise UsageError(f"%interlace has no command '{name}'.{did_you_mean(name, COMMANDS)}\n"
                             f"Commands: {', '.join(COMMANDS)} (`%interlace help` describes them).")
        method = getattr(self, name if name != "help" else "help_")
        options = parse(method, rest)
        return None if options is None else method(options)

    @command(RunOptions, "interlace run")
    def run(self, options: RunOptions) -> None:
        """Build the selected models (all by default) that need it; progress shows live.

        A kernel interrupt cancels the run: running models are rolled back."""
        self.session.execute(options).raise_for_status()

    @command(PlanOptions, "interlace plan")
    def plan(self, options: PlanOptions) -> None:
        """Show what `%interlace run` would build, and why, without writing anything.

        With --diff, also how each model's columns would change, and which changes are BREAKING."""
        from interlace.widgets.plan import PlanView

        ws = self.session.workspace
        the_plan = ws.plan(options.run_options())
        diffs = ws.plan_diff(the_plan, edited_only=not options.diff)
        shown = diffs if options.diff else {m: p for m, p in diffs.items() if p.changes}
        previews = {m: p.to_dict() for m, p in shown.items()} if shown or options.diff else None
        display(PlanView.of(the_plan.to_dict(), previews))

    @command(DagOptions, "interlace dag")
    def dag(self, options: DagOptions) -> None:
        """Show the graph of the models; it follows runs live, and a click on a model shows its details."""
        display(self.session.show_dag(options.select, options.exclude))

    @command(ShowOptions, "interlace show")
    def show(self, options: ShowOptions) -> None:
        """Show the first rows of a model's table and how many rows it has."""
        from interlace.widgets.views import TableView

        columns, rows, total = self.session.workspace.preview(options.model, options.limit)
        total = total or 0
        display(TableView(f"{options.model}: {total:,} rows" + (f" (first {len(rows)})" if len(rows) < total else ""),
                          columns, rows_for_people(rows), css="interlace-show"))

    @command(DiffOptions, "interlace diff")
    def diff(self, options: DiffOptions) -> None:
        """Show the latest schema change of a model: columns added, removed and retyped."""
        from interlace.widgets.schema_diff import SchemaDiff

        history = self.session.workspace.schema_history(options.model)
        if not history:
            raise StateError(f"model '{options.model}' has no recorded schema yet", model=options.model,
                             hint=f"build it first: %interlace run {options.model}")
        latest = history[0]
        before = f"version {history[1].version}" if len(history) > 1 else "(no table)"
        display(SchemaDiff.of(options.model, latest.changes, columns=latest.columns,
                              before=before, after=f"version {latest.version}"))

    @command(QualityOptions, "interlace quality")
    def quality(self, options: QualityOptions) -> None:
        """Show the quality check results (the latest of each check, or --history); click a failure for its rows."""
        from interlace.widgets.quality import QualityReport

        ws = self.session.workspace
        results = [r.to_dict() for r in ws.quality_results(options.model, latest=not options.history)]
        label = "Quality" + (f" of '{options.model}'" if options.model else "") + (" (history)" if options.history else "")
        display(QualityReport.of(results, label=label))

    @command(LineageOptions, "interlace lineage")
    def lineage(self, options: LineageOptions) -> None:
        """Show where a column comes from (or, with --downstream, where it goes); click a column for its neighbours."""
        from interlace.widgets.lineage import LineageWidget

        model, _, column = options.target.partition(".")
        ws = self.session.workspace
        ws.project.get(model)  # an unknown name is an error with a suggestion
        trees = [t.to_dict() for t in ws.lineage().trees(model, column or None, downstream=options.downstream)]
        display(LineageWidget.of(trees, direction="downstream" if options.downstream else "upstream"))

    @command(DocsOptions, "interlace docs")
    def docs(self, options: DocsOptions) -> None:
        """Build the documentation site (as `interlace docs build`) and show a link to its index."""
        from interlace.docs.site import build_site
        from interlace.widgets.views import LinkView

        summary = build_site(self.session.workspace, options.out, select=options.select, force=options.force)
        broken = f"; {len(summary.broken_notebooks)} could not be rendered" if summary.broken_notebooks else ""
        display(LinkView(f"Docs: {summary.models} model pages, {summary.notebooks} notebook pages{broken}, "
                         f"built in {summary.seconds:.1f} s", summary.index.as_uri(), str(summary.index),
                         css="interlace-docs"))

    @command(MigrateOptions, "interlace migrate")
    def migrate(self, options: MigrateOptions) -> None:
        """Apply the pending migrations under migrations/, or --list, --dry-run, --rollback, --to N."""
        from interlace.widgets.views import TableView

        ws = self.session.workspace
        if options.listing:
            rows = [(s.version, s.name, "applied" if s.applied_at else "pending",
                     "yes" if s.reversible else "no") for s in ws.migrations()]
            display(TableView("Migrations", ["version", "name", "status", "rollback"], rows, css="interlace-migrations"))
            return
        steps = ws.migrate(options)
        verb = "would run" if options.dry_run else "ran"
        display(TableView(f"Migrations: {verb} {len(steps)}", ["version", "name", "direction", "file"],
                          [(s.version, s.name, s.direction, s.path) for s in steps], css="interlace-migrations"))

    @command(InfoOptions, "interlace info")
    def info(self, options: InfoOptions) -> None:
        """Show the project: configuration files, environment, warehouse, models, last run."""
        from interlace.widgets.views import info_view

        display(info_view(self.session.workspace.info()))

    @command(EnvOptions, "interlace env")
    def env(self, options: EnvOptions) -> None:
        """Switch the session to another environment (config.{env}.yaml), or show the current one."""
        ws = self.session.switch_env(options.name) if options.name else self.session.workspace
        print(f"env: {ws.env} (warehouse: {ws.engine.path or ':memory:'})")

    @command(ForgetOptions, "interlace forget")
    def forget(self, options: ForgetOptions) -> None:
        """Remove a model a cell declared from the session (after deleting its cell, or when it is broken)."""
        self.session.forget(options.model)
        print(f"Forgot model '{options.model}'.")

    @command(ServeOptions, "interlace serve")
    def serve(self, options: ServeOptions) -> None:
        """Serve the API and dashboard in this kernel; the project's terminal commands come here."""
        print(self.session.serve(options))

    @command(StreamOptions, "interlace stream")
    def stream(self, options: StreamOptions) -> Any:
        """Event streams: list, show NAME, tail NAME, publish NAME JSON, replay NAME --consumer C."""
        from interlace.magics.streams import stream_command

        return stream_command(self.session.workspace, options)

    @command(ScheduleOptions, "interlace schedule")
    def schedule(self, options: ScheduleOptions) -> None:
        """The project's schedules: list, status [NAME], trigger NAME, pause NAME, resume NAME."""
        from interlace.magics.schedules import schedule_command

        schedule_command(self.session.workspace, options)

    @command(HelpOptions, "interlace help")
    def help_(self, options: HelpOptions) -> None:
        """List the %interlace commands, or describe one."""
        if options.command:
            self.interlace(f"{options.command} --help")
            return
        lines = ["%interlace COMMAND [ARGS] — `%interlace COMMAND --help` describes one:"]
        for name in COMMANDS:
            method = getattr(self, name if name != "help" else "help_")
            summary = method.parser.description.strip().splitlines()[0]
            lines.append(f"  {name:<8} {summary}")
        lines.append("%%interlace_model NAME [flags]   a SQL cell as a model (`%%interlace_model --help`)")
        lines.append("%interlace --traceback            the full traceback of the last interlace error")
        print("\n".join(lines))

    @cell_magic("interlace_model")  # type: ignore[arg-type]
    @command(ModelCellOptions, "%interlace_model")
    def interlace_model(self, line: str, cell: str) -> None:
        """%%interlace_model NAME [flags]: the SQL below the line becomes the model NAME, built at once.

        The SQL may start with a -- @model(...) header instead of flags. Running the cell again
        replaces the model; its downstream models become stale."""
        options = parse(self.interlace_model, line)
        if options is None:
            return
        from interlace.project.notebooks import cell_models

        specs = cell_models(options, cell, origin=self.session.origin())
        self.session.declare(specs)
        if options.no_run:
            print(f"Declared {', '.join(s.name for s in specs)} (not built: --no-run).")
            return
        self.session.build(specs)
