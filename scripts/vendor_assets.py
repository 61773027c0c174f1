"""Copy the website's third-party web assets from web/node_modules into web/static/npm.

The course website must work offline and behind firewalls, so nothing is loaded from a CDN at
view time. `make vendor` installs the pinned npm packages (web/package.json, locked by
web/package-lock.json) with `npm ci`, then runs this script, which copies only the files a
browser needs into web/static/npm/. Sphinx serves web/static/ (``html_static_path`` in
_config.yml), so they end up under _build/html/_static/npm/ (the theme has _static/vendor/).

What is copied, per package:

- mathjax: the ``tex-mml-chtml.js`` component (the one Sphinx loads by default) and the folders
  it loads on demand (TeX extensions, CHTML fonts, the menu, accessibility and speech).
- @jupyter-widgets/html-manager: ``embed-amd.js`` (it bundles the base, controls and output
  widget modules) and the Font Awesome font files it refers to next to itself.
- requirejs: ``require.js``, which ``embed-amd.js`` needs to define its AMD modules.
- anywidget: ``dist/index.js``, the AMD front end of the course's explorers (viz/explorers);
  RequireJS finds it through the path set in web/static/widgets-setup.js.

Each package's ``package.json`` (name, version, licence) is copied beside its files, and a
``VERSIONS.json`` manifest records the version of every copied package; the tests read it.

Usage: ``python scripts/vendor_assets.py [--check]`` (``--check``: only verify the copy is
complete and matches the installed versions; exit 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "web" / "node_modules"
VENDOR = ROOT / "web" / "static" / "npm"

# package -> paths inside the package to copy. Each package keeps its npm name and layout under
# npm/ (npm/<package>/<path>), the layout of an npm CDN: the widget manager computes the
# URL of its font files from that layout (see web/static/widgets-setup.js).
ASSETS: dict[str, list[str]] = {
    "mathjax": [
        "LICENSE",
        "package.json",
        "es5/tex-mml-chtml.js",
        "es5/input/tex/extensions",
        "es5/input/mml",
        "es5/output/chtml",
        "es5/ui",
        "es5/a11y",
        "es5/sre",
    ],
    # Font Awesome as woff2/woff/ttf; its legacy .eot and .svg fonts (2 MB), which no current
    # browser asks for, are left out.
    "@jupyter-widgets/html-manager": [
        "package.json",
        "dist/embed-amd.js",
        "dist/*.woff2",
        "dist/*.woff",
        "dist/*.ttf",
    ],
    "requirejs": ["package.json", "require.js"],
    "anywidget": ["LICENSE", "package.json", "dist/index.js"],
}

# The files the pages load (directly, or by RequireJS for anywidget); the rest is loaded by these.
ENTRY_POINTS = {
    "mathjax": "mathjax/es5/tex-mml-chtml.js",
    "requirejs": "requirejs/require.js",
    "@jupyter-widgets/html-manager": "@jupyter-widgets/html-manager/dist/embed-amd.js",
    "anywidget": "anywidget/dist/index.js",
}


def installed_version(package: str) -> str:
    """Version of an npm package installed under web/node_modules."""
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.is_file():
        sys.exit(
            f"{manifest.relative_to(ROOT)} is missing: install the web assets first with "
            "`npm ci --prefix web` (or `make vendor`); Node.js with npm is a prerequisite."
        )
    return json.loads(manifest.read_text())["version"]


def locked_version(package: str) -> str:
    """Version of a package pinned in web/package-lock.json."""
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    return lock["packages"][f"node_modules/{package}"]["version"]


def sources(package: str, patterns: list[str]) -> list[Path]:
    """Files and folders of one package matched by the patterns (each must match something)."""
    base = NODE_MODULES / package
    found: list[Path] = []
    for pattern in patterns:
        matches = sorted(base.glob(pattern))
        if not matches:
            sys.exit(f"{package}: nothing matches {pattern!r} in {base.relative_to(ROOT)}")
        found.extend(matches)
    return found


def vendor() -> dict[str, str]:
    """Copy every asset into VENDOR (replacing what was there) and write VERSIONS.json."""
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    versions: dict[str, str] = {}
    for package, patterns in ASSETS.items():
        version = installed_version(package)
        if version != locked_version(package):
            sys.exit(
                f"{package} {version} is installed but package-lock.json pins "
                f"{locked_version(package)}: run `npm ci --prefix web`."
            )
        versions[package] = version
        base = NODE_MODULES / package
        for src in sources(package, patterns):
            dest = VENDOR / package / src.relative_to(base)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.map"))
            else:
                shutil.copy2(src, dest)
    manifest = {"packages": versions, "entry_points": ENTRY_POINTS}
    (VENDOR / "VERSIONS.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return versions


def check() -> list[str]:
    """Problems with the current copy (empty when it is complete and up to date)."""
    manifest_path = VENDOR / "VERSIONS.json"
    if not manifest_path.is_file():
        return [f"{manifest_path.relative_to(ROOT)} is missing: run `make vendor`"]
    manifest = json.loads(manifest_path.read_text())
    problems = []
    for package in ASSETS:
        if manifest["packages"].get(package) != locked_version(package):
            problems.append(
                f"{package}: vendored {manifest['packages'].get(package)}, "
                f"locked {locked_version(package)}"
            )
    for package, entry in ENTRY_POINTS.items():
        if not (VENDOR / entry).is_file():
            problems.append(f"{package}: {entry} is missing")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the vendored copy")
    args = parser.parse_args()
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    versions = vendor()
    size = sum(f.stat().st_size for f in VENDOR.rglob("*") if f.is_file())
    listed = ", ".join(f"{name} {version}" for name, version in versions.items())
    print(f"Vendored {listed} into {VENDOR.relative_to(ROOT)} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
