"""What a public body must publish: the accessibility statement and each assembly's privacy
notice, through the real app on both databases. Both are public, set no cookie, and are linked
from every page's footer; the notice is generated from the assembly's data, so it changes when
the data does."""

from __future__ import annotations

import html
import re
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pikepdf
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.testclient import TestClient

from assembly import db
from assembly.app import create_app
from assembly.assemblies.models import Assembly
from assembly.invitations import letters
from assembly.privacy import notice
from assembly.recruitment.models import Respondent
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app.builders import drawn_panel
from tests.app.flows import make_client, post_form

LEGAL_BASIS = ("Public task, UK GDPR Article 6(1)(e); special category data under Article 9(2)(g) "
               "and the Data Protection Act 2018, Schedule 1, paragraph 8.")


def text_of(page: str) -> str:
    """The page's words as read: inline tags dropped, other tags a space, entities decoded."""
    page = re.sub(r"</?(a|time|strong|q)\b[^>]*>", "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", page)).split())


def set_details(engine: Engine, assembly_id: int, **values: object) -> None:
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, assembly_id)
        assert assembly is not None
        for name, value in values.items():
            setattr(assembly, name, value)
        session.add(assembly)


def test_the_accessibility_statement_is_public_follows_the_model_and_sets_no_cookie(
        client: TestClient, settings: Settings, engine: Engine) -> None:
    page = client.get("/accessibility")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    text = text_of(page.text)
    for heading in ("How accessible this website is", "Feedback and contact information",
                    "Reporting accessibility problems with this website", "Enforcement procedure",
                    "Compliance status", "Non-accessible content",
                    "Preparation of this accessibility statement"):
        assert f">{heading}</h" in page.text, heading
    assert ("partially compliant with the Web Content Accessibility Guidelines version 2.2 AA"
            in text)
    assert "Equality and Human Rights Commission" in text
    assert "Equality Commission for Northern Ireland" in text
    assert "signed out after 30 minutes" in text  # the setting, as configured
    assert "This statement was prepared on 4 December 2026" in text
    # Without a contact setting, it sends people to their assembly's organisers.
    assert "mailto:" not in page.text and "contact the organisers of your assembly" in text

    configured = create_app(settings.replace(accessibility_contact="access@example.gov.uk",
                                             officer_idle_minutes=20), engine=engine)
    with make_client(configured) as other:
        page = other.get("/accessibility")
    assert 'href="mailto:access@example.gov.uk"' in page.text
    assert "signed out after 20 minutes" in text_of(page.text)


def test_the_privacy_notice_is_generated_from_the_assembly_and_follows_its_changes(
        client: TestClient, officer_client: TestClient, engine: Engine) -> None:
    ends_on = date.today() + timedelta(days=200)
    panel = drawn_panel(engine, respondents=8, panel=3, reserves=1, ends_on=ends_on,
                        retention_days=60, member_retention_days=120)
    set_details(engine, panel.assembly_id, contact_phone="0151 496 0123",
                contact_email="assembly@example.org",
                contact_address="Citizens' Assembly Team\n1 Mann Island\nLiverpool\nL3 1BP",
                legal_basis=LEGAL_BASIS, consent_version="privacy-notice-v2")
    address = f"/privacy/{panel.assembly_id}"
    page = client.get(address)
    assert page.status_code == 200 and "set-cookie" not in page.headers
    text = text_of(page.text)
    assert "Test City Council runs this assembly" in text  # the controller
    assert 'href="tel:01514960123"' in page.text and "assembly@example.org" in text
    assert "1 Mann Island" in text and "L3 1BP" in text
    assert LEGAL_BASIS in text and "privacy-notice-v2" in text
    assert "Public task (UK GDPR Article 6(1)(e))" in text
    assert ("Substantial public interest, for special-category data (UK GDPR Article 9(2)(g))"
            in text)
    assert "withdraw your consent" not in text  # nothing here rests on consent
    assert "(Age)" in text  # what the recruitment survey asked
    not_drawn_due = utcnow() + timedelta(days=60)
    members_due = ends_on + timedelta(days=121)  # the day after the end, plus 120 days
    assert (f"deleted 60 days after the lottery: on {not_drawn_due:%-d %B %Y}") in text
    assert (f"deleted 120 days after the assembly ends on {ends_on:%-d %B %Y}: on "
            f"{members_due:%-d %B %Y}") in text
    assert "complain to the Information Commissioner" in text and "0303 123 1113" in text

    # The officer changes the retention periods and contact details: the notice follows.
    changed = post_form(officer_client, f"/assemblies/{panel.assembly_id}/personal-data/retention",
                        {"retention_days": "30", "member_retention_days": "365"},
                        follow_redirects=False)
    assert changed.status_code == 303
    set_details(engine, panel.assembly_id, contact_phone="", contact_email="privacy@example.org",
                contact_address="", legal_basis="Consent, UK GDPR Article 6(1)(a); explicit "
                                                "consent under Article 9(2)(a).")
    text = text_of(client.get(address).text)
    assert "deleted 30 days after the lottery" in text and "60 days" not in text
    assert (f"deleted 365 days after the assembly ends on {ends_on:%-d %B %Y}: on "
            f"{ends_on + timedelta(days=366):%-d %B %Y}") in text
    assert "privacy@example.org" in text and "0151 496 0123" not in text
    assert "1 Mann Island" not in text
    assert "Consent (UK GDPR Article 6(1)(a))" in text and "Public task (" not in text
    assert "Explicit consent for special-category data (UK GDPR Article 9(2)(a))" in text
    assert "withdraw your consent" in text


def test_a_notice_before_the_lottery_and_without_details_says_what_is_not_known_yet(
        client: TestClient, engine: Engine) -> None:
    with db.session(engine, write=True) as session:
        assembly = Assembly(title="Climate and us", question="How do we reach net zero?")
        session.add(assembly)
        session.flush()
        assembly_id = assembly.id
    text = text_of(client.get(f"/privacy/{assembly_id}").text)
    assert "Minipublic runs this assembly" in text  # no commissioning body: the site's name
    assert "deleted 90 days after the lottery (it has not taken place yet)" in text
    assert "(no end date is set yet)" in text
    assert "have not yet recorded the legal basis" in text
    assert "have not yet put their contact details on this website" in text


def test_respondents_legal_bases_from_the_people_file_are_all_shown(
        client: TestClient, engine: Engine) -> None:
    panel = drawn_panel(engine, respondents=4, panel=2, reserves=0)
    with db.session(engine, write=True) as session:
        respondents = session.exec(select(Respondent).order_by(col(Respondent.id))).all()
        for i, respondent in enumerate(respondents):
            respondent.legal_basis = "Public task" if i % 2 else "Consent (Article 6(1)(a))"
            session.add(respondent)
    text = text_of(client.get(f"/privacy/{panel.assembly_id}").text)
    assert "(for different respondents)" in text
    assert "Consent (UK GDPR Article 6(1)(a))" in text and "Public task (UK GDPR" in text


def test_an_assembly_that_does_not_exist_has_no_notice(client: TestClient) -> None:
    assert client.get("/privacy/999999").status_code == 404
    assert client.get("/privacy/not-a-number").status_code == 404


def test_every_public_and_member_page_links_both(
        client: TestClient, member_client: TestClient, engine: Engine) -> None:
    panel = drawn_panel(engine, title="Our council, data and AI")
    home = client.get("/")
    assert "set-cookie" not in home.headers
    assert 'href="/accessibility"' in home.text and 'href="/privacy"' in home.text
    index = client.get("/privacy")
    assert index.status_code == 200 and "set-cookie" not in index.headers
    assert f'href="/privacy/{panel.assembly_id}"' in index.text
    assert "Our council, data and AI" in index.text
    for page in (client.get("/accessibility"), client.get(f"/privacy/{panel.assembly_id}")):
        assert 'href="/accessibility"' in page.text
    mine = member_client.get("/home")
    assert mine.status_code == 200
    assert 'href="/accessibility"' in mine.text
    assert re.search(r'href="/privacy/\d+">Privacy notice<', mine.text)


def test_legal_bases_are_recognised_however_they_are_written() -> None:
    keys = [g.key for g in notice.grounds_in(["Art. 6 (1) (e) UK GDPR; Art 9(2)(g)"])]
    assert keys == ["public_task", "substantial_public_interest"]
    keys = [g.key for g in notice.grounds_in(["Explicit consent"])]
    assert keys == ["explicit_consent"]  # "consent" inside "explicit consent" is not Article 6
    keys = [g.key for g in notice.grounds_in(["consent", "legitimate interests"])]
    assert keys == ["consent", "legitimate_interests"]
    assert notice.grounds_in(["Something the officer typed"]) == ()


def test_a_letter_is_as_the_statement_says_and_gives_the_notice_address(tmp_path: Path) -> None:
    """The statement says letters are tagged, titled, in a language, with their fonts embedded;
    and each letter gives the privacy notice's address, as people would type it."""
    head = letters.LetterHead(title="Our council, data and AI", question="How?",
                              commissioning_body="Test City Council",
                              privacy_notice=letters.printed_address(
                                  "https://assembly.example.gov.uk", "/privacy/7"))
    letter = letters.Letter(member_ref="R0001", name="Amira Testperson", address=("1 Quarry St",),
                            postcode="L4 0TH", email="", link="https://assembly.example.gov.uk/i/x",
                            code="K7QM-4XRT", code_page="assembly.example.gov.uk/invite",
                            expires=datetime(2027, 1, 12))
    path = tmp_path / "letter.pdf"
    path.write_bytes(letters.letters_pdf(head, [letter], today=date(2026, 12, 4)))
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "Privacy notice: assembly.example.gov.uk/privacy/7" in text
    with pikepdf.open(path) as pdf:
        assert "/StructTreeRoot" in pdf.Root and str(pdf.Root.Lang) == "en-GB"
        assert "Our council, data and AI" in str(pdf.docinfo.get("/Title", ""))
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column
