"""Copy the files a browser needs from web/node_modules into web/static/npm (`make vendor`).

`npm ci --prefix web` installs exactly the versions web/package-lock.json pins (and checks
their integrity); this script only picks, from what it installed, the files the website serves,
keeping each package's npm layout (npm/<package>/<path>, as on an npm CDN). Sphinx serves
web/static/ (``html_static_path`` in _config.yml) as _build/html/_static/. MathJax itself runs
from web/node_modules when the book is built (web/typeset_math.js); axe-core, for the tests
only, is also read from web/node_modules and not copied.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "web"))
from course_math import FONTS_IN_NPM  # noqa: E402  (the pages name the fonts by this path)

NODE_MODULES = ROOT / "web" / "node_modules"
VENDOR = ROOT / "web" / "static" / "npm"

# Paths (globs) inside web/node_modules; each package's package.json carries its licence.
ASSETS = [
    "mathjax/LICENSE",
    "mathjax/package.json",
    # MathJax's CommonHTML web fonts: the formulas are typeset when the book is built (MathJax in
    # node, web/typeset_math.js, from web/node_modules), and pages draw them with these fonts
    FONTS_IN_NPM,
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
