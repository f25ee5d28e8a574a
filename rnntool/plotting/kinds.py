"""Figure kinds and formats, importable without matplotlib or torch (help and completion)."""

#: Figures of a model file (default: every kind the file has data for).
MODEL_KINDS = ("trials", "pca", "eigen", "loss", "psychometric", "behaviour")
#: Figures of a population file written by ``svcca`` or ``topology``.
POPULATION_KINDS = ("distances", "mds")
FORMATS = ("png", "pdf", "svg")
