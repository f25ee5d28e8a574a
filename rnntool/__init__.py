"""rnntool: train recurrent networks on cognitive tasks and reverse-engineer them."""

__version__ = "0.1.0"
