"""Distance matrices between grouped models, stored with their embedding in population files.

A population file ``<groups>.<metric>.h5`` caches the distances: they are reused while the
metric, its parameters and every model's content digest are unchanged. The embedding and
silhouettes are always recomputed from the distances (they are cheap and depend on the
groups).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnntool.analysis.embedding import Embedding, embed
from rnntool.errors import CorruptFileError
from rnntool.storage.groups import ModelGroups
from rnntool.storage.population_file import read_population, write_population
from rnntool.storage.tree import dumps


@dataclass
class Population:
    """A distance matrix between the models of a group file and its embedding."""

    groups: ModelGroups
    kind: str
    metric: str
    parameters: dict[str, Any]
    digests: list[str]
    distances: np.ndarray
    embedding: Embedding

    def group_summary(self) -> list[dict[str, Any]]:
        """Per group: size, mean silhouette, mean distance within it and to other groups."""
        d, rows = self.distances, []
        for label in self.groups.labels:
            inside = np.array(self.groups.members(label))
            outside = np.setdiff1d(np.arange(len(d)), inside)
            within = d[np.ix_(inside, inside)][~np.eye(inside.size, dtype=bool)]
            rows.append({"group": label, "models": int(inside.size),
                         "silhouette": float(np.mean(self.embedding.silhouette_per_model[inside])),
                         "within": float(within.mean()) if within.size else float("nan"),
                         "between": float(d[np.ix_(inside, outside)].mean()) if outside.size
                         else float("nan")})
        return rows


def population_path(group_file: Path, metric: str) -> Path:
    """``groups.txt`` → ``groups.<metric>.h5`` next to it."""
    return group_file.with_name(f"{group_file.stem}.{metric}.h5")


def cached_distances(path: Path, kind: str, metric: str, parameters: dict[str, Any],
                     groups: ModelGroups, digests: list[str]) -> np.ndarray | None:
    """The stored distances when ``path`` was computed from exactly these inputs, else None."""
    if not path.is_file():
        return None
    try:
        attrs, tree = read_population(path)
    except CorruptFileError:
        return None
    same = (attrs.get("kind") == kind and attrs.get("metric") == metric
            and dumps(attrs.get("parameters")) == dumps(parameters)
            and list(tree["models"]["sha256"]) == digests
            and len(digests) == len(groups.models))
    return np.asarray(tree["distances"]) if same else None


def assemble(groups: ModelGroups, kind: str, metric: str, parameters: dict[str, Any],
             digests: list[str], distances: np.ndarray, seed: int = 0,
             rows_as_features: bool = False) -> Population:
    """Embed the distances and collect everything a population file stores."""
    emb = embed(distances, groups.groups, seed, rows_as_features)
    return Population(groups, kind, metric, parameters, digests, np.asarray(distances), emb)


def write_population_file(path: Path, pop: Population, embedding_settings: dict[str, Any],
                          per_model: dict[str, np.ndarray] | None = None) -> Path:
    """Store a population atomically at ``path``; ``per_model`` adds arrays under /models."""
    emb = pop.embedding
    tree = {
        "distances": pop.distances,
        "models": {"names": np.array(pop.groups.names, dtype=object),
                   "files": np.array([str(p) for p in pop.groups.models], dtype=object),
                   "groups": np.array(pop.groups.groups, dtype=object),
                   "sha256": np.array(pop.digests, dtype=object), **(per_model or {})},
        "groups": {"labels": np.array(pop.groups.labels, dtype=object)},
        "embedding": {"mds": emb.coordinates, "stress": emb.stress,
                      "silhouette": emb.silhouette,
                      "silhouette_per_model": emb.silhouette_per_model,
                      **embedding_settings},
    }
    attrs = {"kind": pop.kind, "metric": pop.metric, "parameters": pop.parameters,
             "group_file": str(pop.groups.source)}
    return write_population(path, attrs, tree)


def load_population(path: Path) -> Population:
    """A population file read back as a :class:`Population`."""
    attrs, tree = read_population(path)
    models, emb = tree["models"], tree["embedding"]
    groups = ModelGroups(Path(str(attrs.get("group_file", ""))),
                         tuple(str(g) for g in tree["groups"]["labels"]),
                         tuple(Path(str(f)) for f in models["files"]),
                         tuple(str(g) for g in models["groups"]))
    embedding = Embedding(np.asarray(emb["mds"]), float(emb.get("stress", np.nan)),
                          float(emb.get("silhouette", np.nan)),
                          np.asarray(emb["silhouette_per_model"]))
    return Population(groups, str(attrs.get("kind")), str(attrs.get("metric")),
                      attrs.get("parameters", {}), [str(s) for s in models["sha256"]],
                      np.asarray(tree["distances"]), embedding)


def read_population_summary(path: Path) -> dict[str, Any]:
    """The JSON-ready summary of a population file: silhouette, stress, groups, and per
    model its stored extras (SVD components, fixed-point result used, warning)."""
    pop = load_population(path)
    models = read_population(path)[1]["models"]
    per_model = []
    for k, name in enumerate(pop.groups.names):
        row: dict[str, Any] = {"name": name, "group": pop.groups.groups[k]}
        for key in ("components", "fixed_points", "fixed_point_key", "graph_edges", "warnings"):
            if key in models:
                value = models[key][k]
                row[key.rstrip("s") if key == "warnings" else key] = (
                    int(value) if isinstance(value, np.integer) else str(value))
        per_model.append(row)
    return {"silhouette": pop.embedding.silhouette, "stress": pop.embedding.stress,
            "groups": pop.group_summary(), "models": per_model}


def same_request(path: Path, kind: str, metric: str, parameters: dict[str, Any],
                 groups: ModelGroups) -> bool:
    """Whether ``path`` holds distances between the same model files, computed the same way
    (the models' contents may have changed since: then the file is simply out of date)."""
    try:
        attrs, tree = read_population(path)
    except CorruptFileError:
        return False
    return (attrs.get("kind") == kind and attrs.get("metric") == metric
            and dumps(attrs.get("parameters")) == dumps(parameters)
            and [str(f) for f in tree["models"]["files"]] == [str(p) for p in groups.models]
            and [str(g) for g in tree["models"]["groups"]] == list(groups.groups))
