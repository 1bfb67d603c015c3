"""Installing and starting like a normal tool: every package ships, package data is found, and `--help` /
`--version` answer without loading numpy, faiss, duckdb (or even Click, once the help is cached)."""

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile

from .conftest import ROOT

HEAVY = ("numpy", "faiss", "duckdb", "pyarrow", "click", "fastapi", "uvicorn", "jinja2")


def test_every_package_of_the_library_is_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {".".join(p.relative_to(ROOT).parent.parts) for p in (ROOT / "semnetz").rglob("__init__.py")}
    assert on_disk | {"semnetz.models"} == listed
    assert config["package-dir"] == {"semnetz.models": "models"}
    assert (ROOT / "models" / "__init__.py").exists()


def test_package_data_is_read_through_importlib_resources(monkeypatch):
    from semnetz import encoders
    from semnetz.config import models_dir

    monkeypatch.delenv("SEMNETZ_MODELS_DIR", raising=False)
    assert (models_dir() / "services.jsonl").exists()
    assert encoders.registry()["default"] == "use-m3"


def _run(code: str, cache: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEMNETZ_CACHE_DIR": cache}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)


def _cli(args: list[str]) -> str:
    return (f"import sys; sys.argv = ['semnetz', *{args!r}]; from semnetz.cli import main; main(); "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")


def test_help_and_version_load_nothing_heavy(tmp_path):
    first = _run(_cli(["--help"]), str(tmp_path))  # rendered by Click, and kept for next time
    assert first.stdout.startswith("Usage: semnetz [OPTIONS] COMMAND [ARGS]...")
    assert "numpy" not in first.stderr and "duckdb" not in first.stderr
    assert "fastapi" not in first.stderr and "uvicorn" not in first.stderr  # `serve` loads them when it runs
    again = _run(_cli(["--help"]), str(tmp_path))
    assert again.stdout == first.stdout and again.stderr.strip() == "[]"
    assert _run(_cli(["-h"]), str(tmp_path)).stdout == first.stdout
    version = _run(_cli(["--version"]), str(tmp_path))
    assert version.stdout == "semnetz, version 0.1.0\n" and version.stderr.strip() == "[]"


def test_search_never_loads_the_store_engine(run, small_network, semnetz_home, tmp_path):
    """A search reads the published view only: DuckDB is not even imported (nor is the store file touched)."""
    assert run("import", small_network).exit_code == 0
    store = semnetz_home / "semnetz.duckdb"
    before = (store.stat().st_mtime_ns, store.read_bytes())
    code = (f"import sys; sys.argv = ['semnetz', 'plumbing', '--home', {str(semnetz_home)!r}]; "
            "from semnetz.encoders import register_encoder; "
            "sys.path.insert(0, {root!r}); from tests.fake_encoder import FakeEncoder; "
            "register_encoder('fake', FakeEncoder); from semnetz.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('duckdb' in sys.modules, file=sys.stderr)").replace("{root!r}", repr(str(ROOT)))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "SEMNETZ_MODEL": "fake"})
    assert "Mark Thompson" in done.stdout, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False"
    assert (store.stat().st_mtime_ns, store.read_bytes()) == before


def test_the_wheel_holds_the_page_templates_and_stylesheet(tmp_path):
    """`semnetz serve` renders templates and serves a stylesheet that are package data: build a wheel (from a copy
    of the sources, so the clone gets no build/ of this test) and look inside."""
    source = tmp_path / "src"
    shutil.copytree(ROOT / "semnetz", source / "semnetz", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "models", source / "models", ignore=shutil.ignore_patterns("cache", "__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-c", "from setuptools import build_meta; build_meta.build_wheel('dist')"],
                   cwd=source, check=True, capture_output=True)
    names = set(zipfile.ZipFile(next((source / "dist").glob("semnetz-*.whl"))).namelist())
    web = ROOT / "semnetz" / "web"
    shipped = {f"semnetz/web/{p.relative_to(web).as_posix()}" for p in web.rglob("*")
               if p.is_file() and p.suffix in (".html", ".css", ".py")}
    assert {"semnetz/web/templates/base.html", "semnetz/web/static/style.css", "semnetz/web/app.py"} <= shipped
    assert shipped <= names, sorted(shipped - names)
    assert "semnetz/models/services.jsonl" in names


def test_the_kept_help_is_private_and_used_only_if_nobody_else_could_write_it(tmp_path):
    """Under umask 000 too: the cache folder 0700, the kept text 0600; a kept text others may write is not shown."""
    import stat

    cache = tmp_path / "cache"
    env = {**os.environ, "SEMNETZ_CACHE_DIR": str(cache)}

    def help_text() -> str:
        return subprocess.run([sys.executable, "-c", _cli(["--help"])], capture_output=True, text=True, env=env,
                              check=True, preexec_fn=lambda: os.umask(0)).stdout

    first = help_text()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    kept, = cache.glob("help-*.txt")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    kept.write_text("\x1b]0;planted\x07Usage: planted\n")
    os.chmod(kept, 0o666)
    assert help_text() == first
    os.chmod(kept, 0o600)
    os.chmod(cache, 0o777)
    kept.write_text("planted\n")
    assert help_text() == first
