"""The one place that decides who may do what: `can(actor, action, obj)`.

Deny by default: an action with no rule is refused, so a new route is closed until someone writes
its rule here. Routes call `require(...)`; templates may call `can(...)` only to hide a button,
never as the access check itself.

Officers and members are different kinds of actor; no member rule is satisfied by an officer
session and no officer rule by a member session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.exceptions import HTTPException
from starlette.requests import Request

from assembly.accounts.models import Officer
from assembly.assemblies.models import Assembly
from assembly.selection.models import Member

ActorKind = Literal["anonymous", "officer", "member"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    officer: Officer | None = None
    member: Member | None = None
    session_id: int | None = None

    @property
    def is_officer(self) -> bool:
        return self.kind == "officer" and self.officer is not None and not self.officer.disabled

    @property
    def is_admin(self) -> bool:
        return self.is_officer and self.officer is not None and self.officer.is_admin

    @property
    def is_member(self) -> bool:
        return self.kind == "member" and self.member is not None

    @property
    def label(self) -> str:
        """How the audit log names this actor: an id, never a name or e-mail address."""
        if self.is_officer and self.officer is not None:
            return f"officer:{self.officer.id}"
        if self.is_member and self.member is not None:
            return f"member:{self.member.public_id}"
        return "anonymous"


ANONYMOUS = Actor("anonymous")

Rule = Callable[[Actor, Any], bool]


def anyone(actor: Actor, obj: Any) -> bool:
    return True


def officer(actor: Actor, obj: Any) -> bool:
    return actor.is_officer


def admin(actor: Actor, obj: Any) -> bool:
    return actor.is_admin


def member(actor: Actor, obj: Any) -> bool:
    return actor.is_member


def member_of_assembly(actor: Actor, obj: Any) -> bool:
    """A member acting on their own assembly, or on something that belongs to it."""
    if not actor.is_member or actor.member is None or obj is None:
        return False
    assembly_id = obj.id if isinstance(obj, Assembly) else getattr(obj, "assembly_id", None)
    return assembly_id is not None and assembly_id == actor.member.assembly_id


# action -> (audience, rule). The audience says who should sign in when an anonymous visitor is
# refused: officers are sent to the sign-in page, members are told to use their invitation link.
RULES: dict[str, tuple[ActorKind, Rule]] = {
    # officers' accounts and sessions
    "officers.list": ("officer", admin),
    "officers.revoke_sessions": ("officer", admin),
    "officers.disable": ("officer", admin),
    "account.change_password": ("officer", officer),
    # the officer workspace: every active officer works on every assembly of this council
    "workspace.view": ("officer", officer),
    "assembly.create": ("officer", officer),
    "assembly.view": ("officer", officer),
    "assembly.edit": ("officer", officer),
    "pool.upload": ("officer", officer),
    "quotas.edit": ("officer", officer),
    "selection.run": ("officer", officer),
    "selection.view": ("officer", officer),
    # the salts that open every respondent's answers, for the appointed auditor
    "selection.audit_pack": ("officer", officer),
    "draw.perform": ("officer", officer),
    "members.manage": ("officer", officer),
    "invitations.issue": ("officer", officer),
    "invitations.export": ("officer", officer),
    "audit.read": ("officer", officer),
    "programme.view": ("officer", officer),
    "programme.manage": ("officer", officer),
    "charter.view": ("officer", officer),
    "charter.respond": ("officer", officer),
    "charter.publish": ("officer", officer),
    "personal_data.erase": ("officer", officer),
    "retention.change": ("officer", officer),
    # panel members
    "member.welcome": ("member", member),
    "member.account": ("member", member),
    "member.view_assembly": ("member", member_of_assembly),
}


def can(actor: Actor, action: str, obj: Any = None) -> bool:
    """May `actor` do `action` to `obj`? Unknown actions are refused."""
    entry = RULES.get(action)
    if entry is None:
        return False
    return bool(entry[1](actor, obj))


class SignInRequired(HTTPException):
    """Refused because nobody is signed in; the error handler says how to sign in."""

    def __init__(self, audience: ActorKind) -> None:
        super().__init__(401, "Sign in to continue.")
        self.audience = audience


def actor_of(request: Request) -> Actor:
    return getattr(request.state, "actor", ANONYMOUS)


def authorize(actor: Actor, action: str, obj: Any = None) -> Actor:
    """Raise 401 (nobody signed in) or 403 unless `actor` may do `action` to `obj`."""
    if can(actor, action, obj):
        return actor
    if actor.kind == "anonymous":
        raise SignInRequired(RULES.get(action, ("officer", officer))[0])
    raise HTTPException(403, "You do not have permission to do this.")


def require(request: Request, action: str, obj: Any = None) -> Actor:
    """The access check every route makes first; returns the actor or raises 401/403.

    Where the rule depends on the object (a member acting on their own assembly's statement),
    the room's access helper loads the object and calls `authorize` with it, in one step.
    """
    return authorize(actor_of(request), action, obj)
