"""Data quality checks: declared on models and in config, run as SQL right after each build.

Core: imports no IPython, widgets, Panel, papermill or FastAPI.
"""

from interlace.quality.checks import CHECK_TYPES, Check, parse_check, parse_checks
from interlace.quality.runner import CheckResult, run_checks

__all__ = ["CHECK_TYPES", "Check", "CheckResult", "parse_check", "parse_checks", "run_checks"]
