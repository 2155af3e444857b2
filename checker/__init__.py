"""dlc: data-localization and export-control compliance checker."""

__version__ = "0.1.0"
