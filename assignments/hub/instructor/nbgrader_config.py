"""nbgrader configuration of the instructor's server on the hub (JUPYTER_CONFIG_PATH).

The course directory is a copy of the repository's assignments/ folder in the instructor's
home (its nbgrader_config.py, with the grading sandbox, is read from there as well); releases
and collections go through the exchange shared by everyone on the hub.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
c.CourseDirectory.course_id = "softmax-lecture-06"
# The course directory, inside the server's root (the home directory), as the Formgrader needs.
c.CourseDirectory.root = str(Path.home() / os.environ.get("COURSE_HUB_COURSE_DIR", "course"))
