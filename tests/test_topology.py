"""Fixed-point graphs and topology distances: independent of discovery order, sensitive to structure."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnntool.analysis.fixedpoints import FinderSettings, find_fixed_points
from rnntool.analysis.topology.distance import wl_distance, wl_features
from rnntool.analysis.topology.graph import fixed_point_graph
from rnntool.analysis.topology.input_topology import input_topology_vector
from rnntool.network import CTRNN, preset_config

FINDER = FinderSettings(n_inits=64, init_from="box", box_scale=3.0, max_iters=3000, seed=0)
INPUTS = np.array([[0.0], [0.05]])


def _network(w_rec: list[list[float]]) -> CTRNN:
    config = preset_config("ctrnn", 1, 2, 1, dtype="float64")
    params = {"W_in": torch.tensor([[[1.0], [0.5]]]), "W_rec": torch.tensor([w_rec]),
              "b": torch.zeros(1, 2), "W_out": torch.ones(1, 1, 2), "b_out": torch.zeros(1, 1),
              "x0": torch.zeros(1, 2)}
    return CTRNN(config, {k: v.double() for k, v in params.items()})


@pytest.fixture(scope="module")
def bistable():
    """Two coupled self-exciting units: four attractors, saddles between them, a source."""
    net = _network([[2.0, 0.2], [0.2, 2.0]])
    return net, find_fixed_points(net, INPUTS, None, FINDER)


def test_graph_joins_saddles_to_attractors(bistable) -> None:
    net, points = bistable
    fixed = points.select(points.is_fixed)
    assert (fixed.n_unstable == 0).sum() >= 4 and (fixed.n_unstable == 1).sum() >= 4
    graph = fixed_point_graph(net, points)
    labels = dict(graph.nodes(data="label"))
    for a, b in graph.edges:
        kinds = {labels[a].rsplit("|", 1)[1], labels[b].rsplit("|", 1)[1]}
        assert "0" in kinds or "?" in kinds  # every edge ends at an attractor (or unresolved)
    saddles = [n for n in graph if labels[n].endswith("|1")]
    assert all(graph.degree(n) == 2 for n in saddles)


def test_distance_zero_for_same_points_in_another_order(bistable) -> None:
    net, points = bistable
    shuffled = points.select(np.random.default_rng(0).permutation(len(points)))
    assert not np.array_equal(shuffled.x, points.x)
    a = wl_features(fixed_point_graph(net, points))
    b = wl_features(fixed_point_graph(net, shuffled))
    assert wl_distance(a, b) == 0.0
    assert np.array_equal(input_topology_vector(points), input_topology_vector(shuffled))


def test_distance_positive_between_different_topologies(bistable) -> None:
    net, points = bistable
    mono = _network([[0.5, 0.0], [0.0, 0.5]])
    mono_points = find_fixed_points(mono, INPUTS, None, FINDER)
    assert mono_points.is_fixed.sum() == 2
    d = wl_distance(wl_features(fixed_point_graph(net, points)),
                    wl_features(fixed_point_graph(mono, mono_points)))
    assert d > 0.1
    assert wl_distance(wl_features(fixed_point_graph(mono, mono_points)), wl_features(
        fixed_point_graph(mono, mono_points))) == 0.0
