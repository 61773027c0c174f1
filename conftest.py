"""Root pytest configuration: what pytest must not collect.

Notebooks under tests/fixtures (wrong and tampered assignment submissions) are data for the
assignment tests, not notebooks to validate; the nbgrader course folders are checked by
tests/test_assignments*.py through nbgrader itself.
"""

collect_ignore_glob = [
    "tests/fixtures/*",
    "tests/fixtures/**/*",
    "assignments/*",
    "_build/*",
    ".venv/*",
]
