"""The HTML report of a validation run: offline, self-contained, evidence first."""

from .render import write_report

__all__ = ["write_report"]
