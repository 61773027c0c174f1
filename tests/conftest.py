"""Settings shared by every test module: the hypothesis profiles, registered in strategies.py.

The default profile "course" is derandomized, so every run draws the same examples: a failure in
CI is reproducible and a green run is not luck. ``HYPOTHESIS_PROFILE=hunt`` draws fresh ones.
"""

import os

from hypothesis import settings
from strategies import LIB_SETTINGS  # noqa: F401  (importing it registers the profiles)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "course"))

# The website's browser fixtures (base_url, browser_type_launch_args, browser_context_args,
# color_mode, site_page, page_problems; see tests/site_fixtures.py), for every test module.
from tests.site_fixtures import (  # noqa: E402, F401
    base_url,
    browser_context_args,
    browser_type_launch_args,
    color_mode,
    page_problems,
    site_dir,
    site_page,
    site_tab,
)
