"""Limits on guessing: sign-ins per account and address, per address and per account; invitation
codes per address. Counted atomically (parallel requests through the real app, on both
databases, get exactly the limit's worth of checks), with pauses that grow, and without letting
anyone keep an officer out."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import httpx2
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from assembly import db
from assembly.accounts import signin, throttle
from assembly.accounts.models import Officer, Throttle
from assembly.app import create_app
from assembly.settings import Settings
from assembly.tables import utcnow
from tests.app.builders import PASSWORD, make_officer
from tests.app.flows import BASE_URL, SAME_ORIGIN, make_client, post_form

WRONG = "not the password at all"


def in_parallel(count: int, request: Callable[[int], int]) -> list[int]:
    """Run `request(i)` for i in range(count) in as many threads, released together; their
    status codes. Each thread has its own client, so the requests really overlap."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        barrier.wait()
        status = request(number)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def from_address(app: Starlette, address: str) -> TestClient:
    """A browser at `address`, behind a trusted reverse proxy that says so in X-Forwarded-For
    (as `minipublic serve` runs uvicorn: proxy headers from MINIPUBLIC_FORWARDED_ALLOW_IPS)."""
    proxied = ProxyHeadersMiddleware(app, trusted_hosts="testclient")
    return TestClient(proxied, base_url=BASE_URL,  # type: ignore[arg-type]
                      headers={**SAME_ORIGIN, "X-Forwarded-For": address})


def sign_in(client: TestClient, email: str, password: str) -> int:
    return int(post_form(client, "/login", {"email": email, "password": password},
                         follow_redirects=False).status_code)


# --- counted atomically -----------------------------------------------------------------------------


def test_parallel_wrong_passwords_get_exactly_the_limit(
    app: Starlette, officer: Officer, settings: Settings
) -> None:
    statuses = in_parallel(16, lambda _: sign_in(make_client(app), officer.email, WRONG))
    assert statuses.count(401) == settings.login_max_per_account
    assert statuses.count(429) == 16 - settings.login_max_per_account


def test_parallel_sign_ins_to_distinct_accounts_get_exactly_the_address_limit(
    app: Starlette, settings: Settings
) -> None:
    """40 accounts at once from one address: 20 checked, as the limit says (it was 39)."""
    statuses = in_parallel(40, lambda number: sign_in(make_client(app),
                                                      f"guess{number}@example.org", WRONG))
    assert statuses.count(401) == settings.login_max_per_address
    assert statuses.count(429) == 40 - settings.login_max_per_address


def test_parallel_wrong_codes_get_exactly_the_limit(app: Starlette, settings: Settings) -> None:
    """36 wrong invitation codes at once from one address: 20 looked at (it was 36)."""
    statuses = in_parallel(36, lambda _: int(post_form(
        make_client(app), "/invite", {"code": "0000-0000-0000-0000"}).status_code))
    assert statuses.count(422) == settings.login_max_per_address
    assert statuses.count(429) == 36 - settings.login_max_per_address


def test_a_right_code_gives_its_try_back(app: Starlette, settings: Settings, engine: Engine,
                                         dbs) -> None:  # type: ignore[no-untyped-def]
    client = make_client(app)
    for _ in range(settings.login_max_per_address - 1):
        assert post_form(client, "/invite", {"code": "0000-0000-0000-0000"}).status_code == 422
    with dbs() as session:
        assert [row.failures for row in session.exec(select(Throttle)).all()] == [
            settings.login_max_per_address - 1]
    assert post_form(client, "/invite", {"code": ""}).status_code == 422  # not counted
    assert post_form(client, "/invite", {"code": "ABC"}).status_code == 422  # counted
    assert post_form(client, "/invite", {"code": "0000-0000-0000-0000"}).status_code == 429


# --- growing pauses -------------------------------------------------------------------------------


def test_the_pause_doubles_with_each_further_failure(
    engine: Engine, settings: Settings, officer: Officer
) -> None:
    start = utcnow()
    first = timedelta(minutes=settings.login_window_minutes)

    def attempt(at: timedelta, password: str = WRONG) -> signin.SignIn:
        return signin.authenticate(engine, settings, officer.email, password, "192.0.2.1",
                                   now=start + at)

    for minute in range(settings.login_max_per_account):
        result = attempt(timedelta(minutes=minute))
        assert not result.ok and not result.throttled
    last = timedelta(minutes=settings.login_max_per_account - 1)
    assert attempt(last + timedelta(minutes=1)).retry_after == first - timedelta(minutes=1)
    # After the first pause, one more try; it fails, and the next pause is twice as long.
    assert not attempt(last + first).throttled
    assert attempt(last + first + timedelta(seconds=1)).retry_after == 2 * first - \
        timedelta(seconds=1)
    assert not attempt(last + 3 * first).throttled
    assert attempt(last + 3 * first).retry_after == 4 * first
    # The right password after the pause gets in, and clears the count.
    assert attempt(last + 7 * first, PASSWORD).ok
    assert not attempt(last + 7 * first).throttled


def test_a_request_during_a_pause_does_not_lengthen_it(
    engine: Engine, settings: Settings, officer: Officer
) -> None:
    start = utcnow()
    for _ in range(settings.login_max_per_account):
        signin.authenticate(engine, settings, officer.email, WRONG, "192.0.2.1", now=start)
    for minute in range(1, 15):
        signin.authenticate(engine, settings, officer.email, WRONG, "192.0.2.1",
                            now=start + timedelta(minutes=minute))
    later = signin.authenticate(engine, settings, officer.email, PASSWORD, "192.0.2.1",
                                now=start + timedelta(minutes=settings.login_window_minutes))
    assert later.ok


def test_failures_are_forgotten_after_a_day(engine: Engine, settings: Settings,
                                            officer: Officer) -> None:
    start = utcnow()
    for _ in range(settings.login_max_per_account):
        signin.authenticate(engine, settings, officer.email, WRONG, "192.0.2.1", now=start)
    day_later = start + timedelta(days=1, minutes=settings.login_window_minutes)
    for _ in range(settings.login_max_per_account - 1):
        assert not signin.authenticate(engine, settings, officer.email, WRONG, "192.0.2.1",
                                       now=day_later).throttled
    with db.session(engine, write=True) as session:
        assert throttle.prune(session, now=day_later) == 0  # still counting
    with db.session(engine, write=True) as session:
        # Pair, address and account rows, a day after their last failure.
        assert throttle.prune(session, now=day_later + timedelta(days=1, seconds=1)) == 3


# --- nobody can keep an officer out ---------------------------------------------------------------


def test_failures_from_another_address_do_not_keep_the_officer_out(
    app: Starlette, officer: Officer, settings: Settings
) -> None:
    """Before, five failures from anywhere locked the account: one request every three minutes
    kept its officer out. Now the attacker's own address and account pair is paused."""
    attacker = from_address(app, "203.0.113.66")
    for _ in range(settings.login_max_per_account):
        assert sign_in(attacker, officer.email, WRONG) == 401
    assert sign_in(attacker, officer.email, WRONG) == 429
    assert sign_in(attacker, officer.email, PASSWORD) == 429  # paused, even with the password
    assert sign_in(from_address(app, "198.51.100.20"), officer.email, PASSWORD) == 303


def test_guessing_from_many_addresses_pauses_new_addresses_but_not_the_officers_own(
    settings: Settings, engine: Engine, officer: Officer
) -> None:
    """The looser per-account limit counts failures from every address; once reached, addresses
    the officer has never signed in from wait (at most an hour), their usual one does not."""
    settings = settings.replace(login_max_per_account_total=8)
    app = create_app(settings, engine=engine)
    office = from_address(app, "192.0.2.10")
    assert sign_in(office, officer.email, PASSWORD) == 303
    for number in range(settings.login_max_per_account_total):
        assert sign_in(from_address(app, f"203.0.113.{number + 1}"), officer.email, WRONG) == 401
    refused = post_form(from_address(app, "203.0.113.200"), "/login",
                        {"email": officer.email, "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) <= 3600
    assert sign_in(from_address(app, "192.0.2.10"), officer.email, PASSWORD) == 303
    # Guessing stays paused after the officer's success.
    assert sign_in(from_address(app, "203.0.113.201"), officer.email, WRONG) == 429


def test_an_officers_success_does_not_reset_the_address_limit(
    app: Starlette, officer: Officer, settings: Settings
) -> None:
    client = make_client(app)
    for number in range(settings.login_max_per_address - 1):
        assert sign_in(client, f"guess{number}@example.org", WRONG) == 401
    assert sign_in(client, officer.email, PASSWORD) == 303  # its try is given back
    assert sign_in(client, "one-more@example.org", WRONG) == 401
    assert sign_in(client, "and-another@example.org", WRONG) == 429


def test_limits_store_no_email_or_address_in_clear(
    engine: Engine, settings: Settings, officer: Officer, dbs  # type: ignore[no-untyped-def]
) -> None:
    signin.authenticate(engine, settings, officer.email, WRONG, "192.0.2.44")
    with dbs() as session:
        rows = session.exec(select(Throttle)).all()
    text = repr([row.model_dump() for row in rows])
    assert "officer@example.org" not in text and "192.0.2.44" not in text
    assert len(rows) == 3 and all(re.fullmatch(r"[0-9a-f]{64}", row.key) for row in rows)


# --- a flood of sign-ins: limits before hashing, a few hashes at a time ---------------------------


def test_a_paused_try_costs_no_password_check(
    engine: Engine, settings: Settings, officer: Officer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(settings.login_max_per_account):
        signin.authenticate(engine, settings, officer.email, WRONG, "192.0.2.1")
    checked: list[str] = []
    real_check = signin.check
    monkeypatch.setattr(signin, "check", lambda *args: checked.append("x") or real_check(*args))
    assert signin.authenticate(engine, settings, officer.email, PASSWORD, "192.0.2.1").throttled
    assert checked == []


def test_sign_ins_beyond_the_free_checks_are_told_to_retry(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One password check at a time, each slow (real Argon2 at a high cost), and a short wait
    for a turn: of six sign-ins at once, some are answered 503 with Retry-After, and their
    tries are given back."""
    slow = settings.replace(password_checks_at_once=1, password_memory_kib=32768,
                            password_time_cost=4, login_max_per_address=100,
                            login_max_per_account=100)
    officer = make_officer(engine, slow)
    monkeypatch.setattr(signin, "SLOT_WAIT_SECONDS", 0.05)
    app = create_app(slow, engine=engine)

    async def flood() -> list[httpx2.Response]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=BASE_URL,
                                      headers=SAME_ORIGIN) as client:
            return await asyncio.gather(*(
                client.post("/login", data={"email": officer.email, "password": WRONG})
                for _ in range(6)))

    responses = asyncio.run(flood())
    statuses = sorted(response.status_code for response in responses)
    assert 401 in statuses and 503 in statuses, statuses
    busy = next(response for response in responses if response.status_code == 503)
    assert busy.headers["retry-after"] == "5"
    assert "Wait a few seconds and try again" in busy.text
    with db.session(engine) as session:
        counted = sorted(row.failures for row in session.exec(select(Throttle)).all())
    assert counted[-1] == statuses.count(401)  # only checked tries were counted


def test_waiting_for_a_check_gives_up_after_the_wait(settings: Settings) -> None:
    async def scenario() -> str:
        async with signin.checking_slot(settings.replace(password_checks_at_once=1)):
            try:
                async with signin.checking_slot(settings, wait=0.05):
                    return "got a second slot"
            except signin.Busy:
                return "busy"

    assert asyncio.run(scenario()) == "busy"


def test_unknown_accounts_still_cost_a_password_check(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real_check = signin.check
    monkeypatch.setattr(signin, "check", lambda *args: checked.append("x") or real_check(*args))
    assert not signin.authenticate(engine, settings, "nobody@example.org", WRONG, "192.0.2.1").ok
    assert checked == ["x"]


def test_a_paused_try_is_answered_after_the_configured_delay(
    settings: Settings, engine: Engine, officer: Officer
) -> None:
    """So that a flood from one connection arrives at most once per delay."""
    app = create_app(settings.replace(paused_answer_ms=400), engine=engine)
    client = make_client(app)
    for _ in range(settings.login_max_per_account):
        assert sign_in(client, officer.email, WRONG) == 401
    for _ in range(2):  # the first finds the pause in the database, the second in memory
        started = time.monotonic()
        assert sign_in(client, officer.email, WRONG) == 429
        assert time.monotonic() - started >= 0.4
