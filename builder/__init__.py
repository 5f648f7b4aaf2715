"""A static site generator for Chinese news, in Simplified and Traditional script."""

__version__ = "0.1.0"
