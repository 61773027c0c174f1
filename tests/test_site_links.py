"""The built website, read as files: every internal link resolves, nothing loads from elsewhere.

Reads _build/html (from `make book`; ``SITE_DIR`` overrides it) without a browser, so it runs
everywhere. For every HTML file of the site:

- every internal link or resource (``href``/``src``) names a file of the site, and every
  ``#fragment`` names an element of the target page;
- nothing the browser loads by itself (scripts, style sheets, icons, images, frames, media)
  comes from another host: third-party addresses appear only as links a reader can follow;
- of the vendored files, a page references only their entry points (a root ``_static/``
  folder would make Jupyter Book inject every .js/.css of MathJax into every page);
- pages with saved widgets load RequireJS, the set-up script and the widget manager, in order.

And for the site as a whole: notebook pages carry the Binder, Colab and JupyterHub launch
buttons, the .ipynb download and the repository button, all derived from the one
``repository.url`` in _config.yml; the vendored versions are the ones web/package-lock.json pins.
"""

from __future__ import annotations

import json
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from tests.site_server import ROOT, SITE, html_files, missing_site_message, site_is_built

FILES = html_files() if site_is_built() else ["(site not built)"]

# Elements whose URL the browser fetches on its own while showing the page.
LOADED = {
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("iframe", "src"),
    ("source", "src"),
    ("source", "srcset"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("input", "src"),
}
# <link rel=...> values that make the browser fetch the href.
LOADED_LINK_RELS = {"stylesheet", "icon", "shortcut", "preload", "modulepreload", "manifest"}
EXTERNAL_SCHEMES = {"http", "https", "mailto", "tel", "ftp", "javascript"}


class PageParser(HTMLParser):
    """Collects the ids of a page and every (tag, attribute, url) it refers to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str, str]] = []  # (tag, attr, url, rel)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for key in ("id", "name"):
            if values.get(key):
                self.ids.add(values[key])
        for attr in ("href", "src", "srcset", "poster", "data"):
            if attr in values and values[attr]:
                self.refs.append((tag, attr, values[attr], values.get("rel", "").lower()))


@cache
def parse(rel_path: str) -> PageParser:
    parser = PageParser()
    parser.feed((SITE / rel_path).read_text(encoding="utf-8"))
    return parser


def is_loaded_by_browser(tag: str, attr: str, rel: str) -> bool:
    if tag == "link" and attr == "href":
        return bool(set(rel.split()) & LOADED_LINK_RELS)
    return (tag, attr) in LOADED


def urls_of(attr: str, value: str) -> list[str]:
    if attr == "srcset":
        return [part.strip().split()[0] for part in value.split(",") if part.strip()]
    return [value]


@pytest.fixture(scope="module", autouse=True)
def built_site():
    if not site_is_built():
        pytest.fail(missing_site_message())


@pytest.mark.parametrize("rel_path", FILES)
def test_internal_links_and_resources_resolve(rel_path):
    page_dir = (SITE / rel_path).parent
    broken = []
    for tag, attr, value, _rel in parse(rel_path).refs:
        for url in urls_of(attr, value):
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue  # external (checked below) or data:/blob:
            if not parts.path:  # "#fragment" on this page
                if parts.fragment and parts.fragment not in parse(rel_path).ids:
                    broken.append(f"<{tag} {attr}={url!r}>: no element with that id here")
                continue
            target = (page_dir / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or SITE not in (target, *target.parents):
                broken.append(f"<{tag} {attr}={url!r}>: {target} does not exist in the site")
                continue
            if parts.fragment and target.suffix == ".html":
                target_rel = target.relative_to(SITE).as_posix()
                if parts.fragment not in parse(target_rel).ids:
                    broken.append(f"<{tag} {attr}={url!r}>: {target_rel} has no such id")
    assert not broken, f"{rel_path}:\n  " + "\n  ".join(broken)


@pytest.mark.parametrize("rel_path", FILES)
def test_page_loads_nothing_from_another_host(rel_path):
    third_party = []
    for tag, attr, value, rel in parse(rel_path).refs:
        if not is_loaded_by_browser(tag, attr, rel):
            continue
        for url in urls_of(attr, value):
            scheme = urlsplit(url).scheme
            if scheme in EXTERNAL_SCHEMES or url.startswith("//"):
                third_party.append(f"<{tag} {attr}={url!r}>")
    assert not third_party, f"{rel_path} loads from other hosts:\n  " + "\n  ".join(third_party)


def vendored_scripts(rel_path: str) -> list[str]:
    """The vendored files a page loads, relative to _static/npm/ (query strings dropped)."""
    found = []
    for tag, attr, value, rel in parse(rel_path).refs:
        if not is_loaded_by_browser(tag, attr, rel):
            continue
        path = urlsplit(value).path
        if "_static/npm/" in path:
            found.append(path.split("_static/npm/", 1)[1])
    return found


def vendor_manifest() -> dict:
    return json.loads((SITE / "_static" / "npm" / "VERSIONS.json").read_text())


@pytest.mark.parametrize("rel_path", FILES)
def test_page_loads_only_the_entry_points_of_vendored_packages(rel_path):
    allowed = set(vendor_manifest()["entry_points"].values())
    extra = [path for path in vendored_scripts(rel_path) if path not in allowed]
    assert not extra, (
        f"{rel_path} loads vendored files directly (is there a root _static/ folder? Jupyter "
        f"Book injects every .js/.css under html_static_path when there is): {extra[:5]}"
    )


def test_widget_pages_load_the_manager_after_requirejs_and_the_setup_script():
    entry = vendor_manifest()["entry_points"]
    expected = ["requirejs", "widgets-setup.js", "@jupyter-widgets/html-manager"]
    widget_pages = [
        p for p in FILES if "application/vnd.jupyter.widget-state+json" in (SITE / p).read_text()
    ]
    for rel_path in widget_pages:
        order = []
        for tag, attr, value, _rel in parse(rel_path).refs:
            path = urlsplit(value).path
            if tag != "script" or attr != "src":
                continue
            if path.endswith("_static/widgets-setup.js"):
                order.append("widgets-setup.js")
            for package in ("requirejs", "@jupyter-widgets/html-manager"):
                if path.endswith("_static/npm/" + entry[package]):
                    order.append(package)
        assert order == expected, f"{rel_path}: widget scripts load as {order}"


def test_served_vendor_versions_are_the_locked_ones():
    # Protects against a stale web/static/npm copied into the site after a version bump.
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    manifest = vendor_manifest()
    for package, version in manifest["packages"].items():
        assert lock["packages"][f"node_modules/{package}"]["version"] == version, package
    for path in manifest["entry_points"].values():
        assert (SITE / "_static" / "npm" / path).is_file(), path


# --- launch buttons ------------------------------------------------------------------------------


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def notebook_pages() -> list[tuple[str, str]]:
    """(html page, notebook source path) for every page built from a .ipynb."""
    pairs = []
    for rel_path in FILES:
        source = Path(rel_path).with_suffix(".ipynb")
        if (SITE / "_sources" / source).is_file():
            pairs.append((rel_path, source.as_posix()))
    return pairs


def test_notebook_pages_have_launch_download_and_repository_buttons():
    config = book_config()
    repo_url = config["repository"]["url"].rstrip("/")
    branch = config["repository"]["branch"]
    owner_repo = urlsplit(repo_url).path.strip("/")
    launch = config["launch_buttons"]
    pages_with_notebooks = notebook_pages()
    assert pages_with_notebooks, "no page of the site was built from a notebook"
    for rel_path, notebook in pages_with_notebooks:
        hrefs = [value for tag, attr, value, _rel in parse(rel_path).refs if tag == "a"]
        expected = {
            "Binder": f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{owner_repo}/{branch}?",
            "Colab": f"{launch['colab_url'].rstrip('/')}/github/{owner_repo}/blob/{branch}/"
            f"{notebook}",
            "JupyterHub": f"{launch['jupyterhub_url'].rstrip('/')}/hub/user-redirect/git-pull?",
        }
        for name, prefix in expected.items():
            matching = [h for h in hrefs if h.startswith(prefix) and notebook in unquote(h)]
            assert matching, f"{rel_path}: no {name} button opening {notebook} ({prefix}...)"
        hub_links = [h for h in hrefs if h.startswith(expected["JupyterHub"])]
        assert all(f"repo={repo_url}" in unquote(h) for h in hub_links), hub_links
        assert repo_url in hrefs, f"{rel_path}: no repository button to {repo_url}"
        downloads = [h for h in hrefs if h.endswith(f"_sources/{notebook}")]
        assert downloads, f"{rel_path}: no download button for {notebook}"
