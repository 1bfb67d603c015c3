"""Benchmarks a user can run on their own data: quality (labelled queries), speed (synthetic, any size),
peers (semnetz against txtai and brute-force numpy on the same data and encoder)."""
