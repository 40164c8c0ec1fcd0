"""The authorisation rules on their own: deny by default, and officers and members kept apart."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from assembly import authz
from assembly.accounts.models import Officer
from assembly.authz import ANONYMOUS, Actor, can
from assembly.selection.models import Member

OFFICER = Actor("officer", officer=Officer(id=1, email="o@example.org", password_hash="x"))
ADMIN = Actor("officer", officer=Officer(id=2, email="a@example.org", password_hash="x",
                                         is_admin=True))
DISABLED_ADMIN = Actor("officer", officer=Officer(id=3, email="d@example.org", password_hash="x",
                                                  is_admin=True, disabled=True))
MEMBER = Actor("member", member=Member(id=7, public_id="m7", assembly_id=10, respondent_id=1))


def test_unknown_actions_are_refused_to_everyone() -> None:
    for actor in (ANONYMOUS, OFFICER, ADMIN, MEMBER):
        assert not can(actor, "assembly.delete_everything")
        assert not can(actor, "")


@pytest.mark.parametrize("action", sorted(authz.RULES))
def test_anonymous_may_do_nothing_that_has_a_rule(action: str) -> None:
    assert not can(ANONYMOUS, action, SimpleNamespace(assembly_id=10))


@pytest.mark.parametrize("action", sorted(a for a in authz.RULES if authz.RULES[a][0] == "officer"))
def test_members_may_do_no_officer_action(action: str) -> None:
    assert not can(MEMBER, action, SimpleNamespace(assembly_id=10))


@pytest.mark.parametrize("action", sorted(a for a in authz.RULES if authz.RULES[a][0] == "member"))
def test_officers_may_do_no_member_action(action: str) -> None:
    assert not can(OFFICER, action, SimpleNamespace(assembly_id=10))
    assert not can(ADMIN, action, SimpleNamespace(assembly_id=10))


def test_admin_actions_need_an_enabled_admin() -> None:
    assert can(ADMIN, "officers.revoke_sessions")
    assert not can(OFFICER, "officers.revoke_sessions")
    assert not can(DISABLED_ADMIN, "officers.revoke_sessions")
    assert not can(DISABLED_ADMIN, "assembly.view")


def test_members_see_only_their_own_assembly() -> None:
    assert can(MEMBER, "member.view_assembly", SimpleNamespace(assembly_id=10))
    assert not can(MEMBER, "member.view_assembly", SimpleNamespace(assembly_id=11))
    assert not can(MEMBER, "member.view_assembly", None)
    assert not can(MEMBER, "member.view_assembly", SimpleNamespace())


def test_audit_labels_name_no_person() -> None:
    assert OFFICER.label == "officer:1"
    assert MEMBER.label == "member:m7"
    assert ANONYMOUS.label == "anonymous"
    assert "@" not in ADMIN.label


def test_authorize_checks_the_object_a_member_acts_on() -> None:
    from starlette.exceptions import HTTPException

    from assembly.assemblies.models import Assembly
    from assembly.authz import SignInRequired, authorize

    member = Member(id=1, assembly_id=7, respondent_id=1)
    actor = Actor("member", member=member)
    own, other = Assembly(id=7, title="t", question="q"), Assembly(id=8, title="t", question="q")
    assert authorize(actor, "member.view_assembly", own) is actor
    with pytest.raises(HTTPException) as refused:
        authorize(actor, "member.view_assembly", other)
    assert refused.value.status_code == 403
    with pytest.raises(SignInRequired):
        authorize(ANONYMOUS, "member.view_assembly", own)
