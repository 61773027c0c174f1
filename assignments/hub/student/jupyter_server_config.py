"""Jupyter server configuration of every student's server on the hub (JUPYTER_CONFIG_PATH).

nbgrader installs all of its server extensions; a student gets only the assignment list
(list, fetch, submit, fetch feedback), not the Formgrader or the course list.
"""

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.assignment_list": True,
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": True,
}
