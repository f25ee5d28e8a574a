"""The fixed-point graph of a network (Maheswaranathan et al. 2019).

Nodes are fixed points labelled by their input condition and their number of unstable
dimensions. Each saddle is joined to the attractors reached by integrating the network
(the :class:`~rnntool.network.DynamicalSystem` step, all starts as one batch) from x* ± ε·v along each of its unstable
eigenvectors v under the same constant input. A start that reaches no known attractor of
that input within the step budget ends at an ``unresolved`` node of the input (a limit
cycle, a slow region or an attractor the search missed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx
import numpy as np
import torch

from rnntool.analysis.fixedpoints import FixedPoints
from rnntool.network import DynamicalSystem


@dataclass
class GraphSettings:
    """Integration from the saddles: offset ε (state units), step budget, arrival tolerance."""

    epsilon: float = 1e-2
    max_steps: int = 3000
    check_every: int = 100
    arrival_tol: float = 1e-2

    def config(self) -> dict[str, Any]:
        return asdict(self)


def _unstable_directions(points: FixedPoints, saddles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real unit directions (D, N) along the unstable eigenvectors and their saddle index (D,)."""
    dirs, owner = [], []
    for p in saddles:
        unstable = np.abs(points.eigenvalues[p]) > 1.0
        for v in points.right[p][:, unstable[:points.right.shape[2]]].T:
            for part in (v.real, v.imag):
                norm = np.linalg.norm(part)
                if norm > 1e-8:
                    dirs.append(part / norm)
                    owner.append(p)
    n = points.x.shape[1]
    return np.asarray(dirs, float).reshape(-1, n), np.asarray(owner, int)


def flow_endpoints(net: DynamicalSystem, starts: np.ndarray, inputs: np.ndarray,
                   settings: GraphSettings) -> np.ndarray:
    """States reached from ``starts`` (B, N) under constant ``inputs`` (B, n_in), batched."""
    dtype, device = net.dtype, net.device
    x = torch.as_tensor(starts, dtype=dtype, device=device)[None]
    u = torch.as_tensor(inputs, dtype=dtype, device=device)[None]
    with torch.no_grad():
        for _ in range(0, settings.max_steps, settings.check_every):
            for _ in range(settings.check_every):
                x = net.step(x, u)
            if float((net.step(x, u) - x).abs().max()) < 1e-7:
                break
    return x[0].double().cpu().numpy()


def fixed_point_graph(net: DynamicalSystem, points: FixedPoints,
                      settings: GraphSettings | None = None) -> nx.Graph:
    """The labelled graph of the fixed points (kind ``fixed``) of one model."""
    settings = settings or GraphSettings()
    net = DynamicalSystem.of(net)
    fixed = points.select(points.is_fixed)
    unstable = fixed.n_unstable
    graph = nx.Graph()
    for i in range(len(fixed)):
        graph.add_node(i, label=f"{fixed.input_labels[fixed.input_index[i]]}|{int(unstable[i])}")
    dirs, owner = _unstable_directions(fixed, np.flatnonzero(unstable > 0))
    if not len(dirs):
        return graph
    signs = np.repeat([1.0, -1.0], len(dirs))
    owner = np.concatenate([owner, owner])
    starts = fixed.x[owner] + settings.epsilon * signs[:, None] * np.concatenate([dirs, dirs])
    ends = flow_endpoints(net, starts, fixed.u[owner], settings)
    attractors = np.flatnonzero(unstable == 0)
    for end, saddle in zip(ends, owner):
        same_input = attractors[fixed.input_index[attractors] == fixed.input_index[saddle]]
        target = None
        if same_input.size:
            gaps = np.linalg.norm(fixed.x[same_input] - end, axis=1)
            if gaps.min() <= settings.arrival_tol:
                target = int(same_input[np.argmin(gaps)])
        if target is None:
            target = f"unresolved {fixed.input_index[saddle]}"
            graph.add_node(target, label=f"{fixed.input_labels[fixed.input_index[saddle]]}|?")
        graph.add_edge(int(saddle), target)
    return graph
