"""nbgrader configuration of every student's server on the hub (JUPYTER_CONFIG_PATH).

A student needs only the exchange (where releases come from and submissions go) and the
course's id; they have no course directory and no gradebook.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

# The exchange directory shared by everyone on the hub (jupyterhub_config.py sets the variable).
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
# The course this hub serves: the id that assignments/nbgrader_config.py gives it.
c.CourseDirectory.course_id = "softmax-lecture-06"
