"""A production install works: ``pip install`` of the pinned runtime requirements and the
package itself (no dev extras) in a new virtual environment starts the CLI, and every
module of ``webapp`` imports (so everything the app imports is a runtime dependency)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# It does not touch the database: .ci/run's PostgreSQL pass need not build it again.
pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="run once, in the SQLite pass of the suite")


@pytest.fixture(scope="module")
def production_venv(tmp_path_factory):
    where = tmp_path_factory.mktemp("prod")
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(ROOT / "requirements" / "main.txt")], check=True,
                   timeout=1200)
    # A copy of the tree, as a release would be built (the work tree's own build/ and
    # egg-info are left alone).
    src = where / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".venv", "node_modules", ".git", "instance", "test-artifacts", "build", "*.egg-info",
        "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"))
    subprocess.run([*pip, "--no-deps", str(src)], check=True, timeout=600)
    run_dir = where / "run"
    run_dir.mkdir()
    shutil.copy(ROOT / "wsgi.py", run_dir / "wsgi.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PYTHON"))}
    env.update(FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{where / 'prod.sqlite3'}",
               FLASK_HUEY_SQLITE_PATH=str(where / "huey.sqlite3"))
    return venv, run_dir, env


def test_the_cli_starts_from_a_production_install(production_venv):
    venv, run_dir, env = production_venv
    r = subprocess.run([str(venv / "bin" / "flask"), "--app", "wsgi", "b2b", "--help"],
                       cwd=run_dir, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "import" in r.stdout and "pack" in r.stdout


def test_every_module_imports_without_the_dev_extras(production_venv):
    venv, run_dir, env = production_venv
    script = (
        "import importlib, pkgutil, webapp\n"
        "assert 'site-packages' in webapp.__file__, webapp.__file__\n"
        "for m in pkgutil.walk_packages(webapp.__path__, 'webapp.'):\n"
        "    importlib.import_module(m.name)\n"
        "import pytest\n")
    r = subprocess.run([str(venv / "bin" / "python"), "-c", script], cwd=run_dir, env=env,
                       capture_output=True, text=True, timeout=300)
    # Every module imported; only the last line (a dev-only package) may fail.
    assert "No module named 'pytest'" in r.stderr, r.stderr
    assert r.stderr.count("Error") == 1, r.stderr
