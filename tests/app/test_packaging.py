"""The app finds its templates both where a wheel installs them and in a source checkout.

`.ci/check-wheel` builds and installs the real wheel and starts it; these tests cover the lookup
itself on both layouts, quickly.
"""

from __future__ import annotations

from pathlib import Path

from assembly import templating
from assembly.invitations import letters
from assembly.templating import templates_dir

REPOSITORY = Path(__file__).resolve().parents[2]


def test_installed_wheel_layout_uses_the_templates_inside_the_package(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "assembly"
    (package / "templates" / "layouts").mkdir(parents=True)
    (package / "templates" / "layouts" / "officer.html").write_text("{# nested #}")
    assert templates_dir(package) == package / "templates"


def test_source_checkout_layout_uses_the_top_level_templates(tmp_path: Path) -> None:
    package = tmp_path / "checkout" / "assembly"
    package.mkdir(parents=True)
    (tmp_path / "checkout" / "templates").mkdir()
    assert templates_dir(package) == tmp_path / "checkout" / "templates"


def test_this_checkout_and_the_letters_use_the_same_templates() -> None:
    assert not (REPOSITORY / "assembly" / "templates").exists()  # the layout keeps it on top
    assert templating.TEMPLATES == REPOSITORY / "templates"
    assert letters.TEMPLATES == templating.TEMPLATES
    assert (templating.TEMPLATES / "layouts" / "base.html").is_file()
