"""Importers that turn CMS's own files into reference tables for the PT code set."""
from .gpci import import_gpci
from .mue import import_mue
from .pfs import import_pfs
from .ptp import import_ptp

__all__ = ["import_gpci", "import_mue", "import_pfs", "import_ptp"]
