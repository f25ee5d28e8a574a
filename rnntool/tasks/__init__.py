"""Cognitive tasks behind one protocol, created by name from a registry."""

from rnntool.tasks.base import Batch, Task
from rnntool.tasks.delay import (AntiDelayMatch, DelayAnti, DelayAntiContinuous, DelayGo,
                                 DelayGoContinuous, DelayMatch)
from rnntool.tasks.duration import Duration
from rnntool.tasks.engellab import CDDM, DMTS, MemoryAntiAngle, MemoryAntiNumber
from rnntool.tasks.evidence import RDM, ContextIntegration, EvidenceTask
from rnntool.tasks.flipflop import FlipFlop
from rnntool.tasks.registry import TASKS, make_task, register_task, task_from_config

register_task(RDM)
register_task(ContextIntegration)
register_task(FlipFlop)
for _task in (DelayGo, DelayAnti, DelayMatch, AntiDelayMatch, DelayGoContinuous,
              DelayAntiContinuous, CDDM, DMTS, MemoryAntiNumber, MemoryAntiAngle, Duration):
    register_task(_task)

__all__ = ["Batch", "ContextIntegration", "Duration", "EvidenceTask", "FlipFlop", "RDM", "TASKS", "Task",
           "make_task", "register_task", "task_from_config"]
