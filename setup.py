"""The one piece of packaging pyproject.toml cannot express (everything else is declared there).

`templates/` stays at the top of the repository, but an installed app must find it inside its
package: the wheel carries it as `assembly/templates` (pyproject.toml maps the directory and takes
every file at every depth as package data). Each folder under it is listed as a package of its own
so that setuptools includes it without "package would be ignored" warnings; the list is found on
disk, so new folders need no change here.
"""

from setuptools import find_namespace_packages, setup

SKIP = ["*__pycache__"]
PACKAGES = find_namespace_packages(include=["sortition*", "assembly*", "charter*"], exclude=SKIP)
TEMPLATES = ["assembly.templates",
             *(f"assembly.templates.{name}" for name in find_namespace_packages("templates",
                                                                                  exclude=SKIP))]

setup(packages=PACKAGES + TEMPLATES)
