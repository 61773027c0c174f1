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
