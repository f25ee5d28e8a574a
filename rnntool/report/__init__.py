"""One PDF per model: a title page and every figure that applies to the model.

The figures come from a registry (:data:`FIGURES`): each :class:`ReportFigure` names a
figure kind of ``rnntool plot``, says whether it applies to a model and, when it does not,
why (what to run first). :func:`write_report` writes a title page (configuration, training
summary, evaluation table, and the figures left out with their reasons) followed by one
page per applicable figure.
"""

from rnntool.report.registry import FIGURES, ReportFigure, figure_plan
from rnntool.report.writer import write_report

__all__ = ["FIGURES", "ReportFigure", "figure_plan", "write_report"]
