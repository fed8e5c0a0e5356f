"""The planner: what a run must do and why. Pure functions over the project, graph and state;
it writes nothing and imports no face."""

from interlace.planner.plan import Plan, Step, plan

__all__ = ["Plan", "Step", "plan"]
