"""What `pip install .` gives a user: a wheel that carries its templates and defaults, whose program
runs from any folder; and the extractor's fallback (trafilatura), which must import."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from importlib.metadata import version
from pathlib import Path

import pytest

from digest import extract
from digest.errors import DigestError

ROOT = Path(__file__).resolve().parent.parent
# What never goes into a build: environments, caches, earlier builds, outputs.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "out",
    "demo-out",
    "test-artifacts",
)


def _setuptools_builds_here() -> bool:
    """True when this environment's setuptools can build the project (pyproject asks >= 77)."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    return int(version("setuptools").split(".")[0]) >= 77


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # Each step is bounded: the whole module (one build, one install, two demo days) takes ~15 s.
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{args} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (outside the checkout) holding the wheel built from the checkout, whose other
    dependencies come from this environment's site-packages through a path line in a .pth file.

    Such a line only puts the folder on sys.path; the .pth files inside it are not run, so the
    editable install's finder (``__editable__.digest-*.pth``) cannot map ``digest`` back onto the
    checkout: whatever the wheel lacks is missing, not borrowed.
    """
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"  # a copy, so the build leaves no build/ or egg-info in the checkout
    shutil.copytree(ROOT, src, ignore=_NOT_SOURCE)
    wheels = tmp / "wheels"
    pip = [sys.executable, "-m", "pip", "-q", "--no-input"]
    build = [*pip, "wheel", "--no-deps", "-w", str(wheels)]
    if _setuptools_builds_here():
        build.append("--no-build-isolation")  # nothing to download
    _run([*build, str(src)], cwd=tmp)
    (wheel,) = wheels.glob("digest-*.whl")

    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    target = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp
        ).stdout.strip()
    )
    _run([*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)], cwd=tmp)
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (target / "_digest_test_deps.pth").write_text("".join(f"{p}\n" for p in sorted(ours)), encoding="utf-8")
    return python


def _clean_env() -> dict[str, str]:
    """No PYTHONPATH (or any PYTHON* setting) that could put the checkout back on sys.path."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def test_the_installed_wheel_runs_the_demo_from_any_folder(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "demo-out"
    probe = (
        "import json, pathlib, sys, digest, digest.config, digest.render;"
        "pkg = pathlib.Path(digest.__file__).parent;"
        "print(json.dumps({'file': digest.__file__,"
        " 'templates': str(digest.render.template_root().joinpath('email.html.j2')),"
        " 'defaults': str(digest.config.DEFAULTS_PATH),"
        " 'finders': [repr(f) for f in sys.meta_path],"
        " 'shipped': [str(p.relative_to(pkg)) for p in sorted(pkg.rglob('*')) if p.is_file()]}))"
    )
    seen = json.loads(_run([str(installed), "-I", "-c", probe], cwd=elsewhere, env=_clean_env()).stdout)
    package = Path(seen["file"]).parent
    site = installed.parent.parent
    assert package.is_relative_to(site), f"imported {seen['file']}, not the installed wheel under {site}"
    assert not package.is_relative_to(ROOT)
    assert not [f for f in seen["finders"] if "editable" in f.lower()], "the editable finder is active"
    shipped_files = ("templates/email.html.j2", "templates/site/day.html.j2", "templates/site/site.css")
    for shipped in (*shipped_files, "defaults.yaml"):
        assert shipped in seen["shipped"]
        assert (package / shipped).is_file()
    assert (
        "demo/data/labels.json" in seen["shipped"] and "demo/data/day1/caretech/atom.xml" in seen["shipped"]
    )
    assert not [f for f in seen["shipped"] if f.endswith("build_site.py") or f.endswith("articles.yaml")]
    assert Path(seen["templates"]).is_relative_to(package)
    assert Path(seen["defaults"]).is_relative_to(package)

    run = _run(
        [str(installed), "-I", "-m", "digest", "run", "--demo", "--out", str(out)],
        cwd=elsewhere,
        env=_clean_env(),
    )
    assert "demo:" in run.stdout + run.stderr
    for day in ("2024-06-12", "2024-06-13"):
        for name in ("index.html", "digest.json", "digest.md", "email.html", "email.txt"):
            assert (out / day / name).is_file(), f"{day}/{name} missing; output:\n{run.stdout}\n{run.stderr}"
    digest_json = json.loads((out / "2024-06-12" / "digest.json").read_text(encoding="utf-8"))
    assert digest_json["themes"], "the demo digest has no themes"
    assert not list(elsewhere.iterdir()), "the run wrote into its working folder"


def test_the_extractor_fallback_imports() -> None:
    extract.require_fallback()  # raises DigestError when trafilatura or lxml_html_clean is missing


def test_a_missing_fallback_names_the_package_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lxml_html_clean", None)  # "import lxml_html_clean" now fails
    with pytest.raises(DigestError) as caught:
        extract.require_fallback()
    message = str(caught.value)
    assert "\n" not in message
    assert "lxml_html_clean" in message
    assert "pip install 'lxml_html_clean>=0.4'" in message
    with pytest.raises(DigestError):  # never a silent "" at run time either
        extract._trafilatura_text("<html><body><p>text</p></body></html>")


def test_trafilatura_gives_the_text_of_a_simple_article() -> None:
    body = (
        "보건복지부는 12일 돌봄 로봇을 노인 요양시설 스무 곳에 시범 보급한다고 밝혔다. "
        "로봇은 낙상을 감지하면 보호자와 간호사에게 바로 알림을 보낸다."
    )
    second = "복지부 관계자는 효과가 확인되면 내년부터 보급 대상을 전국으로 넓히겠다고 말했다."
    html = (
        "<!doctype html><html lang='ko'><head><meta charset='utf-8'><title>돌봄 로봇 시범 보급</title></head>"
        "<body><nav><a href='/'>홈</a> <a href='/news'>뉴스</a></nav>"
        f"<article><h1>돌봄 로봇 시범 보급</h1><p>{body}</p><p>{second}</p></article>"
        "<footer>무단 전재 및 재배포 금지</footer></body></html>"
    )
    text = extract._trafilatura_text(html)
    assert "돌봄 로봇을 노인 요양시설" in text
    assert "보급 대상을 전국으로" in text
    assert "무단 전재" not in text
