"""Jupyter server configuration of the instructor's server on the hub (JUPYTER_CONFIG_PATH).

The Formgrader (release, collect, autograde, feedback) and the course list; the assignment list
too, so that the instructor can try a release as a student would.
"""

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": True,
    "nbgrader.server_extensions.assignment_list": True,
    "nbgrader.server_extensions.course_list": True,
    "nbgrader.server_extensions.validate_assignment": True,
}
