"""The wheel is what users install: build it, install it into a fresh venv, run kehu from there."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from .conftest import ROOT


def test_wheel_installs_and_runs_on_its_bundled_demo_store(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    source = tmp_path / "src"  # build from a copy: the build writes build/ and *.egg-info
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", ".kehu", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(source)],
        check=True, capture_output=True, text=True,
    )
    wheel = next(dist.glob("kehu-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    # Dependencies come from the dev venv (no network needed); kehu itself only from the wheel.
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--quiet", str(wheel)],
        check=True, capture_output=True, text=True,
    )
    kehu = venv / "bin" / "kehu"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    help_run = subprocess.run([str(kehu), "--help"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert help_run.returncode == 0, help_run.stderr
    assert "customer" in help_run.stdout and "search" in help_run.stdout
    chinese = subprocess.run([str(kehu), "--help"], capture_output=True, text=True, cwd=tmp_path,
                             env={**env, "LANG": "zh_CN.UTF-8"})
    assert chinese.stdout.startswith("用法："), chinese.stderr  # the compiled catalog is in the wheel

    where = subprocess.run([str(py), "-c", "import kehu_core, kehu_plugins, kehu_tui; print(kehu_core.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env)
    assert where.returncode == 0, where.stderr
    assert str(venv) in where.stdout  # not the source tree

    found = subprocess.run([str(kehu), "search", "zm", "--json"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert found.returncode == 0, found.stderr
    assert "赵敏" in found.stdout

    plugins = subprocess.run([str(kehu), "plugins", "--json"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert plugins.returncode == 0, plugins.stderr
