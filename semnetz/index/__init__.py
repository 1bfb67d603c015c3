"""Derived state that searches read: the vector index, lexical postings, names, nominations, as segments of
a published view."""
