"""The command line: parse, call the library, render."""

from .main import cli, main

__all__ = ["cli", "main"]
