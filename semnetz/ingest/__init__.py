"""Bringing people in: readers by file format, and the writer that applies a batch to the store."""
