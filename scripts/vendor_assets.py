"""Copy the files a browser needs from web/node_modules into web/static/npm (`make vendor`).

`npm ci --prefix web` installs exactly the versions web/package-lock.json pins (and checks
their integrity); this script only picks, from what it installed, the files the website
serves, keeping each package's npm layout (npm/<package>/<path>, as on an npm CDN: the widget
manager finds its fonts from that layout, see web/static/widgets-setup.js). Sphinx serves
web/static/ (``html_static_path`` in _config.yml) as _build/html/_static/.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "web" / "node_modules"
VENDOR = ROOT / "web" / "static" / "npm"

# Paths (globs) inside web/node_modules; each package's package.json carries its licence.
ASSETS = [
    "mathjax/LICENSE",
    "mathjax/package.json",
    "mathjax/es5/tex-chtml.js",  # the page's entry point (_config.yml mathjax_path)
    "mathjax/es5/input/tex/extensions",  # the rest is loaded by tex-chtml.js on demand
    "mathjax/es5/output/chtml",
    "mathjax/es5/ui",
    "mathjax/es5/a11y",
    "mathjax/es5/sre",
    "@jupyter-widgets/html-manager/package.json",
    "@jupyter-widgets/html-manager/dist/embed-amd.js",
    # Font Awesome for the widgets, without the legacy .eot/.svg fonts no browser asks for
    "@jupyter-widgets/html-manager/dist/*.woff2",
    "@jupyter-widgets/html-manager/dist/*.woff",
    "@jupyter-widgets/html-manager/dist/*.ttf",
    "requirejs/package.json",
    "requirejs/require.js",
    # anywidget's AMD front end for the course's explorers (viz/explorers); RequireJS finds it
    # through the path set in web/static/widgets-setup.js
    "anywidget/LICENSE",
    "anywidget/package.json",
    "anywidget/dist/index.js",
]


def main() -> int:
    shutil.rmtree(VENDOR, ignore_errors=True)
    for pattern in ASSETS:
        sources = sorted(NODE_MODULES.glob(pattern))
        if not sources:
            sys.exit(f"web/node_modules/{pattern} is missing: run `npm ci --prefix web` first")
        for source in sources:
            target = VENDOR / source.relative_to(NODE_MODULES)
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.map"))
            else:
                shutil.copy2(source, target)
    size = sum(f.stat().st_size for f in VENDOR.rglob("*") if f.is_file())
    print(f"Copied {len(ASSETS)} paths of web/node_modules to web/static/npm ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
