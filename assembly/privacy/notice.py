"""The privacy notice of one assembly, read from what the assembly records, so it stays true.

The controller and whom to contact come from the assembly's details; the legal basis and the
notice version from what the pool upload recorded for the assembly and per respondent; how long
details are kept from the assembly's retention periods (the same plan `minipublic purge` follows);
who receives what from the settings. Nothing in it names a person.

The legal basis is free text typed by an officer (or a column of the people file), so the notice
shows it as recorded and, beside it, explains each lawful basis it recognises in plain words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from assembly.assemblies.models import Assembly
from assembly.privacy import personal_data
from assembly.privacy.personal_data import PurgeItem
from assembly.recruitment.models import PoolCount, Quota, Respondent

# Distinct legal bases shown at most: a people file could record one per row.
MAX_BASES = 10


@dataclass(frozen=True)
class Ground:
    """A lawful basis of UK GDPR, as a resident would want it explained."""

    key: str
    article: str
    name: str
    meaning: str
    special: bool = False  # a condition for special-category data (Article 9), not Article 6


_N = r"\s*"  # spaces allowed anywhere in "6 (1) (e)"
_I = re.IGNORECASE
GROUNDS: tuple[tuple[re.Pattern[str], Ground], ...] = (
    (re.compile(rf"6{_N}\({_N}1{_N}\){_N}\({_N}a{_N}\)|(?<!explicit )\bconsent\b", _I),
     Ground("consent", "UK GDPR Article 6(1)(a)", "consent",
            "You agreed to your details being used for this assembly. You can withdraw your "
            "consent at any time; that does not undo what was lawfully done before.")),
    (re.compile(rf"6{_N}\({_N}1{_N}\){_N}\({_N}e{_N}\)|public\s+task", _I),
     Ground("public_task", "UK GDPR Article 6(1)(e)", "public task",
            "The organisers use your details to carry out a task in the public interest or "
            "their official functions: involving residents in the decisions that affect them.")),
    (re.compile(rf"6{_N}\({_N}1{_N}\){_N}\({_N}f{_N}\)|legitimate\s+interests?", _I),
     Ground("legitimate_interests", "UK GDPR Article 6(1)(f)", "legitimate interests",
            "The organisers use your details because they have a legitimate interest in running "
            "the assembly, weighed against your interests and rights.")),
    (re.compile(rf"9{_N}\({_N}2{_N}\){_N}\({_N}a{_N}\)|explicit\s+consent", _I),
     Ground("explicit_consent", "UK GDPR Article 9(2)(a)",
            "explicit consent for special-category data",
            "You agreed, in so many words, that your answers about things like ethnicity, health "
            "or disability may be used to make the panel reflect the community. You can withdraw "
            "that consent at any time.", special=True)),
    (re.compile(rf"9{_N}\({_N}2{_N}\){_N}\({_N}g{_N}\)|substantial\s+public\s+interest", _I),
     Ground("substantial_public_interest", "UK GDPR Article 9(2)(g)",
            "substantial public interest, for special-category data",
            "Your answers about things like ethnicity, health or disability are used because "
            "the law allows it where there is a substantial public interest, with safeguards.",
            special=True)),
    (re.compile(r"schedule\s*1\W+(part\s*2\W+)?paragraph\s*8|equality\s+of\s+opportunity", _I),
     Ground("equality", "Data Protection Act 2018, Schedule 1, paragraph 8",
            "equality of opportunity or treatment",
            "The public interest here is making sure people of every background have an equal "
            "chance to take part.", special=True)),
)


def grounds_in(texts: tuple[str, ...] | list[str]) -> tuple[Ground, ...]:
    """The lawful bases named in the recorded legal bases, each once: Article 6 first, then the
    conditions for special-category data."""
    found = [ground for pattern, ground in GROUNDS
             if any(pattern.search(text) for text in texts)]
    return tuple(found)


@dataclass(frozen=True)
class Notice:
    """Everything the privacy notice of one assembly says that depends on the data."""

    assembly: Assembly
    controller: str
    legal_bases: tuple[str, ...]       # as recorded, the assembly's first
    consent_versions: tuple[str, ...]
    grounds: tuple[Ground, ...]
    features: tuple[str, ...]          # what the recruitment survey asked (age, ethnicity...)
    retention: PurgeItem
    assumed_days: int
    sessions_days: int                 # ended sign-in sessions are kept this long
    sent_mail_days: int                # a sent e-mail's record (without body) is kept this long
    email_works: bool
    suppress_below: int

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(ground.key for ground in self.grounds)


def _distinct(session: Session, column: Mapped[str], assembly_id: int,
              first: str) -> tuple[str, ...]:
    rows = session.exec(select(column).where(col(Respondent.assembly_id) == assembly_id,
                                             column != "")
                        .distinct().order_by(column).limit(MAX_BASES)).all()
    values = [first.strip()] if first.strip() else []
    return tuple(values + [str(row) for row in rows if str(row) not in values])[:MAX_BASES]


def notice(session: Session, assembly: Assembly, *, site_name: str, email_works: bool,
           suppress_below: int) -> Notice:
    """The notice of `assembly` as its data stands now."""
    assert assembly.id is not None
    bases = _distinct(session, col(Respondent.legal_basis), assembly.id, assembly.legal_basis)
    versions = _distinct(session, col(Respondent.consent_version), assembly.id,
                         assembly.consent_version)
    features: list[str] = []
    asked = [*session.exec(select(Quota.feature).where(Quota.assembly_id == assembly.id)
                           .order_by(col(Quota.position), col(Quota.id))).all(),
             *session.exec(select(PoolCount.feature).where(PoolCount.assembly_id == assembly.id)
                           .order_by(col(PoolCount.id))).all()]
    for feature in asked:
        if feature not in features:
            features.append(feature)
    return Notice(
        assembly=assembly,
        controller=assembly.commissioning_body or site_name,
        legal_bases=bases,
        consent_versions=versions,
        grounds=grounds_in(bases),
        features=tuple(features),
        retention=personal_data.plan_for(session, assembly.id),
        assumed_days=personal_data.ASSUMED_LENGTH.days,
        sessions_days=personal_data.ENDED_SESSIONS_KEPT.days,
        sent_mail_days=personal_data.SENT_MAIL_KEPT.days,
        email_works=email_works,
        suppress_below=suppress_below,
    )


def assemblies(session: Session) -> list[Assembly]:
    """Every assembly, newest first, for the list of privacy notices."""
    return list(session.exec(select(Assembly).order_by(col(Assembly.id).desc())).all())
