"""`semnetz serve`: a page for the phone and a JSON API, both only translating HTTP into calls of the library
(semnetz.network.Network); nothing of ranking or storage is here.

- app.py: the FastAPI application (create_app): the JSON API under /api and the server-rendered pages
- access.py: who may ask (loopback, or a token by header, link or cookie) and where writes may come from
- gate.py: which work runs when: searches two per core at once, the rest waiting in line; writes and reads of
  the store first (so an add is not starved by many searching clients)
- messages.py: the page's words, German and English
- server.py: bind, warm up, print the link, run uvicorn (one process; library calls run in its thread pool)
- memory.py: what the server frees goes back to the system (big blocks mapped alone, malloc_trim after a view)
- templates/, static/: Jinja2 templates and the stylesheet (package data; nothing is loaded from elsewhere)

Importing this package loads nothing: the CLI imports server.py only when `semnetz serve` runs.
"""
