"""HDF5 model and analysis files, atomic writes, and model-name resolution."""

from rnntool.storage.atomic import atomic_path
from rnntool.storage.model_file import (SCHEMA_VERSION, ModelRecord, list_groups, read_group,
                                        read_model, update_model, write_model)
from rnntool.storage.names import expand_stdin, output_path, resolve_model

__all__ = ["SCHEMA_VERSION", "ModelRecord", "atomic_path", "expand_stdin", "list_groups",
           "output_path", "read_group", "read_model", "resolve_model", "update_model",
           "write_model"]
