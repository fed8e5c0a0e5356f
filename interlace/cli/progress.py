"""The CLI's run display: a listener on the event bus that prints one line per finished model."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from interlace.engine.results import RunResult
from interlace.events import Event

SYMBOLS = {"success": "[green]✓[/]", "failed": "[red]✗[/]", "skipped": "[yellow]-[/]", "cancelled": "[yellow]■[/]"}


class Progress:
    """Prints ``✓ model  table  300 rows  0.05s`` lines as models finish."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.total = 0
        self.done = 0

    def __call__(self, event: Event) -> None:
        if event.type == "run.started":
            self.total = int(event.data.get("total", 0))
            self.console.print(f"Running {self.total} model{'s' if self.total != 1 else ''} (run {event.run_id})")
            return
        if event.type not in ("model.finished", "model.failed", "model.skipped"):
            return
        self.done += 1
        data = event.data
        status = data.get("status", "success")
        parts = [f"[{self.done}/{self.total}]", SYMBOLS.get(status, status), f"[bold]{escape(event.model or '')}[/]"]
        if status == "success":
            parts.append(str(data.get("materialize") or ""))
            if data.get("rows") is not None:
                parts.append(f"{data['rows']:,} rows")
            if data.get("duration_ms") is not None:
                parts.append(f"{data['duration_ms'] / 1000:.2f}s")
            parts.extend(_badges(data.get("checks") or []))
        elif status == "skipped" or status == "cancelled":
            parts.append(escape(str(data.get("reason") or data.get("skip_reason") or status)))
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
