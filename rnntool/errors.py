"""Exceptions that the command line turns into one-line messages."""


class RnnToolError(Exception):
    """Base class for errors caused by user input; the CLI exits with code 2."""


class ModelNotFoundError(RnnToolError):
    """A model name or path does not resolve to a file."""


class CorruptFileError(RnnToolError):
    """A file is not a readable rnntool HDF5 file."""


class ConfigError(RnnToolError):
    """A setting is out of range or inconsistent with the others."""


class RunFailedError(Exception):
    """The command ran but failed (exit code 1), e.g. a training run that diverged; the
    message says what was kept."""
