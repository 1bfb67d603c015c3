"""Ranking: the weights (the README formula), the signals, search and match over one view, paths."""
