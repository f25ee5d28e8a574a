"""Figure kinds and formats, importable without matplotlib or torch (help and completion)."""

#: The task suites' figures of a model file (drawn by ``rnntool.plotting.task_kinds``).
TASK_KINDS = ("psychometric-grid", "attractors", "attractor-map", "sweep")
#: Figures of the IBL dynamics analyses (drawn by ``rnntool.plotting.ibl_dynamics``).
IBL_KINDS = ("statespace", "effects", "vectorfield", "realfield", "basins", "circuit",
             "distillation")
#: Figures of a model file (default: every kind the file has data for).
MODEL_KINDS = ("trials", "pca", "eigen", "loss", "psychometric", "behaviour") + TASK_KINDS + IBL_KINDS
#: Figures of a population file written by ``svcca`` or ``topology``.
POPULATION_KINDS = ("distances", "mds")
FORMATS = ("png", "pdf", "svg")
