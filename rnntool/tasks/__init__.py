"""Cognitive tasks behind one protocol, created by name from a registry."""

from rnntool.tasks.base import Batch, Task
from rnntool.tasks.duration import Duration
from rnntool.tasks.evidence import RDM, ContextIntegration, EvidenceTask
from rnntool.tasks.flipflop import FlipFlop
from rnntool.tasks.registry import TASKS, make_task, register_task, task_from_config

register_task(RDM)
register_task(ContextIntegration)
register_task(FlipFlop)
register_task(Duration)

__all__ = ["Batch", "ContextIntegration", "Duration", "EvidenceTask", "FlipFlop", "RDM", "TASKS", "Task",
           "make_task", "register_task", "task_from_config"]
