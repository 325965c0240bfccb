"""newsproof: data-quality checks for news datasets."""

__version__ = "0.1.0"
