"""The CLI's run display: a listener on the event bus that prints one line per finished model."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from interlace.engine.results import RunResult
from interlace.events import Event, ModelFinished, RunCancelling, RunView, fold

SYMBOLS = {"success": "[green]✓[/]", "failed": "[red]✗[/]", "skipped": "[yellow]-[/]", "cancelled": "[yellow]■[/]"}


class Progress:
    """Prints ``✓ model  table  300 rows  0.05s`` lines as models finish (from the run's fold)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.view = RunView()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunCancelling):
            self.console.print(f"[yellow]{escape(event.describe())}[/]", highlight=False)
            return
        before, self.view = self.view, fold(self.view, event)
        if event.type == "run.started":
            total = self.view.total
            self.console.print(f"Running {total} model{'s' if total != 1 else ''} (run {event.run_id})")
            return
        if not isinstance(event, ModelFinished) or self.view is before:
            return
        status = event.status
        parts = [f"[{self.view.done}/{self.view.total}]", SYMBOLS.get(status, status),
                 f"[bold]{escape(event.model or '')}[/]"]
        if status == "success":
            parts.append(str(event.materialize or ""))
            if event.rows is not None:
                parts.append(f"{event.rows:,} rows")
            if event.duration_ms is not None:
                parts.append(f"{event.duration_ms / 1000:.2f}s")
            parts.extend(_badges(event.checks))
        elif status in ("skipped", "cancelled"):
            parts.append(escape(str(event.reason or event.skip_reason or status)))
        else:
            parts.append("[red]failed[/]")
        self.console.print("  ".join(parts), highlight=False)


def _badges(checks: list[dict]) -> list[str]:
    """``checks 3 ✓`` and, when they exist, warn / fail counts."""
    if not checks:
        return []
    passed = sum(1 for c in checks if c["status"] == "pass")
    warned = sum(1 for c in checks if c["status"] != "pass" and c["severity"] == "warn")
    failed = len(checks) - passed - warned
    badge = f"[green]checks {passed} ✓[/]"
    if warned:
        badge += f" [yellow]{warned} warn[/]"
    if failed:
        badge += f" [red]{failed} ✗[/]"
    return [badge]


def print_summary(console: Console, result: RunResult) -> None:
    for model in result.results.values():
        for column, count in model.nulled.items():
            console.print(f"\n[yellow]warn[/] {escape(model.model)}: schema_mode='lenient' turned {count:,} "
                          f"value{'s' if count != 1 else ''} of '{escape(column)}' into NULL (they did not "
                          "convert to the column's type)", highlight=False)
    for model in result.results.values():
        for check in model.checks:
            if check.status != "pass" and check.check.severity == "warn":
                console.print(f"\n[yellow]warn[/] {escape(model.model)}: {escape(check.check.name)} — "
                              f"{escape(check.message)}", highlight=False)
                for sample in check.samples[:3]:
                    console.print(f"    {sample}", markup=False, soft_wrap=True)
    for model in result.results.values():
        if model.error is not None:
            console.print(f"\n[red]✗ {escape(model.model)}[/]")
            console.print(escape(str(model.error)), highlight=False)
    colour = {"success": "green", "failed": "red"}.get(result.status, "yellow")
    console.print(f"\n[{colour}]{escape(result.summary())}[/]", highlight=False)
