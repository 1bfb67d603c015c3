"""Where a network lives on disk: --home, else $SEMNETZ_HOME, else the platform's user data dir."""

import os
from pathlib import Path

HOME_ENVVAR = "SEMNETZ_HOME"
MODEL_ENVVAR = "SEMNETZ_MODEL"
DB_FILENAME = "semnetz.duckdb"
INDEX_DIRNAME = "index"


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    if home is None:
        home = os.environ.get(HOME_ENVVAR) or None
    if home is None:
        import platformdirs

        home = platformdirs.user_data_dir("semnetz", appauthor=False)
    path = Path(home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path
