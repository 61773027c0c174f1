"""The built website, read as files: internal links and anchors resolve; launch buttons are right.

- Every ``<a href>`` and ``<img src>`` inside the site names a file of the site and every
  ``#anchor`` an element of its page: pytest-check-links, run over _build/html in its own
  pytest process (its items are one per link, and the book's addopts do not apply there).
  Links to other hosts are not followed (nothing is fetched at test time); what a page *loads*
  from elsewhere is refused and reported by the browser test (tests/test_site_browser.py).
- Notebook pages carry the Binder, Colab and JupyterHub launch buttons, the .ipynb download and
  the repository button, all derived from the one ``repository.url`` in _config.yml.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from bs4 import BeautifulSoup

from tests.site_fixtures import ROOT


def test_internal_links_and_anchors_resolve(site_dir):
    command = [
        *(sys.executable, "-m", "pytest", "-c", "/dev/null", "-q", "-p", "no:cacheprovider"),
        *("--rootdir", site_dir, "--confcutdir", site_dir, "-W", "error"),
        # pytest-check-links only: no Python tests, no browser plugin
        *("-p", "no:python", "-p", "no:playwright"),
        *("--check-links", "--check-anchors", "--links-ext", "html"),
        *("--check-links-ignore", r"^https?://"),
        *("--ignore", site_dir / "_static", "--ignore", site_dir / "_sources", site_dir),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    broken = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    assert run.returncode == 0, "\n".join(broken) or run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout.splitlines()[-1], run.stdout[-500:]  # it did check links


def links_on(page: Path) -> list[str]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return [a["href"] for a in soup.find_all("a", href=True)]


def test_notebook_pages_have_launch_download_and_repository_buttons(site_dir):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo_url = config["repository"]["url"].rstrip("/")
    branch = config["repository"]["branch"]
    owner_repo = urlsplit(repo_url).path.strip("/")
    launch = config["launch_buttons"]
    sources = site_dir / "_sources"
    notebooks = sorted(path.relative_to(sources) for path in sources.glob("**/*.ipynb"))
    assert notebooks, "no page of the site was built from a notebook"
    for notebook in notebooks:
        hrefs = links_on(site_dir / notebook.with_suffix(".html"))
        expected = {
            "Binder": f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{owner_repo}/{branch}?",
            "Colab": f"{launch['colab_url'].rstrip('/')}/github/{owner_repo}/blob/{branch}/"
            f"{notebook.as_posix()}",
            "JupyterHub": f"{launch['jupyterhub_url'].rstrip('/')}/hub/user-redirect/git-pull?",
        }
        for name, prefix in expected.items():
            matching = [h for h in hrefs if h.startswith(prefix) and str(notebook) in unquote(h)]
            assert matching, f"{notebook}: no {name} button opening it ({prefix}...)"
            if name == "JupyterHub":
                assert all(f"repo={repo_url}" in unquote(h) for h in matching), matching
        assert repo_url in hrefs, f"{notebook}: no repository button to {repo_url}"
        assert any(h.endswith(f"_sources/{notebook.as_posix()}") for h in hrefs), notebook
