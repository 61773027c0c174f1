"""Settings shared by every test module.

Hypothesis runs derandomized by default, so every run draws the same examples: a failure in CI
is reproducible and a green run is not luck. For a deliberate hunt with fresh random examples,
set ``HYPOTHESIS_PROFILE=hunt`` (see also ``LIB_HYPOTHESIS_PROFILE`` in strategies.py).
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "course",
    derandomize=True,  # the same examples on every run
    deadline=None,  # a loaded 2-core machine must not turn slow examples into failures
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("hunt", deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
)
