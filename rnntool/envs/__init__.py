"""Closed-loop environments: the protocol, the open-loop adapter, the IBL block task."""

from rnntool.envs.base import Environment, IdentityPolicy, Policy, ThresholdSoftmaxPolicy, Transition
from rnntool.envs.ibl import IBLEnvironment, SessionPlan
from rnntool.envs.openloop import OpenLoopEnvironment
from rnntool.envs.registry import ENVIRONMENTS, make_environment, register_environment

register_environment(IBLEnvironment)

__all__ = ["ENVIRONMENTS", "Environment", "IBLEnvironment", "IdentityPolicy", "OpenLoopEnvironment",
           "Policy", "SessionPlan", "ThresholdSoftmaxPolicy", "Transition", "make_environment",
           "register_environment"]
