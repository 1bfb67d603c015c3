"""The seams between the engines and the rest (issue 16): only the store (semnetz/store/) names DuckDB, only its
PostgreSQL backend (store/postgres.py) names PostgreSQL, and only the vector index (semnetz/index/vectors.py)
names FAISS; everything above them (the network, the ranking, the
search view, the front doors) goes through their interfaces, so another store or vector engine goes in one place."""

import ast
from pathlib import Path

import semnetz

PACKAGE = Path(semnetz.__file__).parent
ENGINES = {"duckdb": "store/", "duckdb_extension_fts": "store/", "duckdb_extension_httpfs": "store/",
           "duckdb_extension_postgres_scanner": "store/postgres.py", "psycopg": "store/postgres.py",
           "pgvector": "store/postgres.py", "faiss": "index/vectors.py"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_store_names_duckdb_and_only_the_vector_index_names_faiss():
    crossing = sorted(f"{path.relative_to(PACKAGE)} imports {engine}"
                      for path in PACKAGE.rglob("*.py") for engine in imported(path) & set(ENGINES)
                      if not str(path.relative_to(PACKAGE)).startswith(ENGINES[engine]))
    assert crossing == []


def test_the_check_sees_an_import_of_an_engine(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import faiss\n    from duckdb import connect\n", encoding="utf-8")
    assert imported(module) >= {"faiss", "duckdb"}
