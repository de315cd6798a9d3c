"""nit: git for digital-media provenance, compatible with the Numbers Protocol formats."""

__version__ = "0.1.0"
