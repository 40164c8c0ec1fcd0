"""Forgery protection on every unsafe route, security headers and CSP on every kind of response,
no cookies on public pages, and refusing to run production with a default secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from assembly import settings as settings_module
from assembly.app import create_app
from assembly.routes import routes
from assembly.security import SECURITY_HEADERS, forgery_reason
from assembly.settings import DEVELOPMENT_SECRET, Settings, SettingsError
from tests.app.flows import BASE_URL, HTMX, TEST_SECRET, make_client

CSP = SECURITY_HEADERS["Content-Security-Policy"]
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def unsafe_routes() -> list[tuple[str, str]]:
    """(method, path with sample parameters) for every route that changes something."""
    found = []
    for route in routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"GET", "HEAD"}):
                path = re.sub(r"\{[^}:]+:id\}", "1", route.path)
                path = re.sub(r"\{[^}]+\}", "sample", path)
                found.append((method, path))
    return found


UNSAFE = unsafe_routes()


def test_there_are_unsafe_routes_to_check() -> None:
    assert ("POST", "/login") in UNSAFE and ("POST", "/logout") in UNSAFE


FORGED = {
    "cross-site": {"Sec-Fetch-Site": "cross-site"},
    "same-site": {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site to us
    "cross-site with our Origin": {"Sec-Fetch-Site": "cross-site", "Origin": BASE_URL},
    "foreign Origin": {"Origin": "https://evil.example"},
    "look-alike Origin": {"Origin": "http://testserver.evil.example"},
    "other port": {"Origin": "http://testserver:8080"},
    "null Origin": {"Origin": "null"},
}
GENUINE = {
    "same-origin": {"Sec-Fetch-Site": "same-origin"},   # a form on our page, htmx or not
    "none": {"Sec-Fetch-Site": "none"},                 # user-initiated, e.g. a bookmarklet
    "matching Origin": {"Origin": BASE_URL},            # an older browser
    "no headers": {},                                   # not a browser at all
}


# One test per route (looping over the variants inside) keeps the suite fast as routes are added.
@pytest.mark.parametrize(("method", "path"), UNSAFE)
def test_forged_requests_are_refused_with_a_clear_page(
    bare_client: TestClient, method: str, path: str
) -> None:
    for name, headers in FORGED.items():
        response = bare_client.request(method, path, headers=headers,
                                       data={"email": "x@example.org"}, follow_redirects=False)
        assert response.status_code == 403, name
        assert "This form was refused because" in response.text, name
        assert "Nothing was changed" in response.text, name
        assert "<html" in response.text, name  # a whole page for a plain form post
        assert response.headers["content-security-policy"] == CSP, name
        fragment = bare_client.request(method, path, headers={**HTMX, **headers})
        assert fragment.status_code == 403, name
        assert "<html" not in fragment.text and 'role="alert"' in fragment.text, name


@pytest.mark.parametrize(("method", "path"), UNSAFE)
def test_genuine_requests_pass_the_forgery_check(
    bare_client: TestClient, method: str, path: str
) -> None:
    for name, headers in GENUINE.items():
        response = bare_client.request(method, path, headers=headers, follow_redirects=False)
        assert "This form was refused because" not in response.text, name
        assert response.status_code < 500, name


def test_plain_form_post_without_javascript_signs_in_and_out(client: TestClient, officer) -> None:
    """A browser without JavaScript: Sec-Fetch-Site same-origin, form encoding, 303 redirects."""
    response = client.post("/login", data={"email": officer.email,
                                           "password": "correct horse battery staple"},
                           follow_redirects=False)
    assert response.status_code == 303
    response = client.post("/logout", follow_redirects=True)
    assert response.status_code == 200
    assert "You have signed out." in response.text


def test_forgery_reason_is_none_for_safe_methods() -> None:
    assert forgery_reason("GET", Headers({"sec-fetch-site": "cross-site"})) is None
    assert forgery_reason("HEAD", Headers({"origin": "https://evil.example"})) is None
    assert forgery_reason("DELETE", Headers({"sec-fetch-site": "cross-site"})) is not None
    assert forgery_reason("PUT", Headers({"origin": "http://a", "host": "b"})) is not None


# The request arrives as http://testserver (the TestClient's base URL).
SAME_ORIGINS = ["http://testserver", "http://testserver:80", "HTTP://TESTSERVER"]
OTHER_ORIGINS = ["https://testserver", "http://testserver:8080", "https://testserver:80",
                 "http://evil.example", "http://testserver.evil.example", "ftp://testserver",
                 "http://user@testserver", "http://testserver:notaport", "testserver",
                 "http://testserver/elsewhere"]


@pytest.mark.parametrize("origin", SAME_ORIGINS)
def test_an_origin_with_the_same_scheme_host_and_port_passes(
    bare_client: TestClient, officer, origin: str  # type: ignore[no-untyped-def]
) -> None:
    response = bare_client.post("/login", data={"email": officer.email,
                                                "password": "correct horse battery staple"},
                                headers={"Origin": origin}, follow_redirects=False)
    assert response.status_code == 303


@pytest.mark.parametrize("origin", OTHER_ORIGINS)
def test_an_origin_differing_in_scheme_host_or_port_is_refused(
    bare_client: TestClient, officer, origin: str  # type: ignore[no-untyped-def]
) -> None:
    response = bare_client.post("/login", data={"email": officer.email,
                                                "password": "correct horse battery staple"},
                                headers={"Origin": origin}, follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_behind_a_trusted_proxy_the_forwarded_scheme_is_the_one_compared(
    settings: Settings, engine: Engine, officer  # type: ignore[no-untyped-def]
) -> None:
    """`minipublic serve` runs uvicorn with proxy_headers and MINIPUBLIC_FORWARDED_ALLOW_IPS: a
    trusted proxy's X-Forwarded-Proto decides the request's scheme, an untrusted client's does
    not."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    form = {"email": officer.email, "password": "correct horse battery staple"}
    behind_tls = {"X-Forwarded-Proto": "https"}
    app = create_app(settings.replace(forwarded_allow_ips="testclient"), engine=engine)
    with TestClient(ProxyHeadersMiddleware(app, trusted_hosts="testclient"),
                    base_url=BASE_URL) as proxied:
        ok = proxied.post("/login", data=form, follow_redirects=False,
                          headers={**behind_tls, "Origin": "https://testserver"})
        assert ok.status_code == 303
        plain = proxied.post("/login", data=form, follow_redirects=False,
                             headers={**behind_tls, "Origin": "http://testserver"})
        assert plain.status_code == 403
    with TestClient(ProxyHeadersMiddleware(app, trusted_hosts="192.0.2.1"),
                    base_url=BASE_URL) as untrusted:
        spoofed = untrusted.post("/login", data=form, follow_redirects=False,
                                 headers={**behind_tls, "Origin": "https://testserver"})
        assert spoofed.status_code == 403


def test_forgery_reason_compares_scheme_host_and_port() -> None:
    post = "POST"
    assert forgery_reason(post, Headers({"origin": "https://a.example", "host": "a.example"}),
                          "https") is None
    assert forgery_reason(post, Headers({"origin": "https://a.example:443",
                                         "host": "a.example"}), "https") is None
    assert forgery_reason(post, Headers({"origin": "http://a.example", "host": "a.example"}),
                          "https") is not None
    assert forgery_reason(post, Headers({"origin": "https://a.example", "host": "a.example"}),
                          "http") is not None
    assert forgery_reason(post, Headers({"origin": "https://a.example", "host": "a.example:8443"}),
                          "https") is not None
    assert forgery_reason(post, Headers({"origin": "https://a.example"}), "https") is not None


# --- headers --------------------------------------------------------------------------------------


def assert_security_headers(response, *, https: bool = False) -> None:  # type: ignore[no-untyped-def]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["content-security-policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "script-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert ("strict-transport-security" in response.headers) == https


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/admin/officers",
                                  "/static/htmx.min.js", "/static/app.css"])
def test_security_headers_on_every_kind_of_response(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert_security_headers(response)


def test_pages_are_not_cached_but_static_files_are(client: TestClient) -> None:
    assert client.get("/login").headers["cache-control"] == "no-store"
    assert "max-age" in client.get("/static/app.css").headers["cache-control"]


def test_server_error_page_has_headers_and_no_details(app: Starlette) -> None:
    async def boom(request: Request) -> None:
        raise RuntimeError("secret internals")

    app.router.routes.append(Route("/boom", boom))
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as test_client:
        response = test_client.get("/boom")
        partial = test_client.get("/boom", headers=HTMX)
    assert response.status_code == 500
    assert_security_headers(response)
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text
    assert partial.status_code == 500 and "<html" not in partial.text


def test_production_adds_hsts_and_host_prefixed_cookies(settings: Settings, engine: Engine,
                                                        officer) -> None:
    production = settings.replace(env="production", public_url="https://testserver",
                                  allowed_hosts=("testserver",))
    app = create_app(production, engine=engine)
    with TestClient(app, base_url="https://testserver",
                    headers={"Sec-Fetch-Site": "same-origin"}) as test_client:
        page = test_client.get("/login")
        assert_security_headers(page, https=True)
        response = test_client.post("/login", data={"email": officer.email,
                                                    "password": "correct horse battery staple"},
                                    follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-minipublic-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


# --- cookies and scripts --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/static/htmx.min.js"])
def test_public_pages_set_no_cookie(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert "set-cookie" not in response.headers


def test_no_inline_script_or_event_handler_in_any_template() -> None:
    """The CSP forbids inline script; this catches it before a browser silently ignores it."""
    offending = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", text):
            if "src=" not in match.group(1):
                offending.append(f"{template}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text):
            offending.append(f"{template}: on...= event handler attribute")
        if re.search(r"\shx-on[:-]", text):
            offending.append(f"{template}: hx-on handler (evaluated as script)")
        if re.search(r"\sstyle\s*=", text):
            offending.append(f"{template}: inline style attribute (blocked by style-src 'self')")
    assert not offending, "\n".join(offending)


def test_vendored_htmx_is_served_and_is_version_4(client: TestClient) -> None:
    response = client.get("/static/htmx.min.js")
    assert response.status_code == 200
    assert "version='4.0.1'" in response.text.replace('"', "'")
    page = client.get("/").text
    assert re.search(r'<script src="/static/htmx\.min\.js\?v=[0-9a-f]{12}" defer>', page)
    assert "unpkg" not in page and "jsdelivr" not in page and "cdn" not in page.lower()


def test_trusted_hosts_refuse_other_host_names(settings: Settings, engine: Engine) -> None:
    app = create_app(settings.replace(allowed_hosts=("assembly.example.gov.uk",)), engine=engine)
    with make_client(app) as test_client:
        assert test_client.get("/").status_code == 400
    with TestClient(app, base_url="http://assembly.example.gov.uk") as test_client:
        assert test_client.get("/").status_code == 200


# --- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", DEVELOPMENT_SECRET, "short-secret"])
def test_production_refuses_a_missing_default_or_short_secret(secret: str | None) -> None:
    environ = {"MINIPUBLIC_ENV": "production", "MINIPUBLIC_PUBLIC_URL": "https://a.example"}
    if secret is not None:
        environ["MINIPUBLIC_SECRET_KEY"] = secret
    with pytest.raises(SettingsError, match="MINIPUBLIC_SECRET_KEY"):
        settings_module.from_env(environ)
    with pytest.raises(SettingsError, match="MINIPUBLIC_SECRET_KEY"):
        create_app(settings_module.from_env(environ, check=False))


def test_production_starts_with_a_real_secret(tmp_path: Path) -> None:
    settings = settings_module.from_env({
        "MINIPUBLIC_ENV": "production", "MINIPUBLIC_SECRET_KEY": TEST_SECRET,
        "MINIPUBLIC_PUBLIC_URL": "https://a.example/", "MINIPUBLIC_DATA_DIR": str(tmp_path),
        "MINIPUBLIC_ALLOWED_HOSTS": "a.example",
    })
    assert settings.production and settings.public_url == "https://a.example"
    assert settings.session_cookie.startswith("__Host-")


@pytest.mark.parametrize("hosts", [None, "", "*", "a.example,*"])
def test_production_refuses_to_start_without_allowed_hosts(hosts: str | None) -> None:
    environ = {"MINIPUBLIC_ENV": "production", "MINIPUBLIC_SECRET_KEY": TEST_SECRET,
               "MINIPUBLIC_PUBLIC_URL": "https://a.example"}
    if hosts is not None:
        environ["MINIPUBLIC_ALLOWED_HOSTS"] = hosts
    with pytest.raises(SettingsError) as refused:
        settings_module.from_env(environ)
    assert "MINIPUBLIC_ALLOWED_HOSTS is not set" in str(refused.value)
    assert "MINIPUBLIC_ALLOWED_HOSTS=assembly.example.gov.uk" in str(refused.value)
    with pytest.raises(SettingsError, match="MINIPUBLIC_ALLOWED_HOSTS"):
        create_app(settings_module.from_env(environ, check=False))
    # Development keeps accepting any host, so trying the app needs no configuration.
    settings_module.from_env({**environ, "MINIPUBLIC_ENV": "development"})


def test_production_refuses_plain_http_public_url() -> None:
    with pytest.raises(SettingsError, match="https://"):
        settings_module.from_env({"MINIPUBLIC_ENV": "production",
                                  "MINIPUBLIC_SECRET_KEY": TEST_SECRET,
                                  "MINIPUBLIC_PUBLIC_URL": "http://a.example"})


def test_settings_errors_name_the_variable() -> None:
    with pytest.raises(SettingsError, match="MINIPUBLIC_PORT must be a whole number"):
        settings_module.from_env({"MINIPUBLIC_PORT": "eighty"})
    with pytest.raises(SettingsError, match="MINIPUBLIC_ENV"):
        settings_module.from_env({"MINIPUBLIC_ENV": "staging"})
    with pytest.raises(SettingsError, match="PostgreSQL"):
        settings_module.from_env({"MINIPUBLIC_WORKERS": "4"})


def test_development_defaults_use_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = settings_module.from_env({"MINIPUBLIC_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/minipublic.sqlite3"
    assert settings.session_cookie == "minipublic-session"
    postgres = settings_module.from_env({"DATABASE_URL": "postgresql+psycopg://u@h/db"})
    assert postgres.database_url == "postgresql+psycopg://u@h/db"


def test_configuration_document_matches_the_settings() -> None:
    document = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    assert document.read_text() == settings_module.configuration_markdown(), (
        "docs/configuration.md is stale: run python -m assembly.settings > docs/configuration.md"
    )
    for variable in settings_module.VARIABLES:
        assert hasattr(Settings(), variable.field)


def test_refusal_log_hides_tokens_in_paths(bare_client: TestClient,
                                           caplog: pytest.LogCaptureFixture) -> None:
    token = "Zq3xV9kLmN0pQrStUvWxYz12AbCdEfGh"
    with caplog.at_level("WARNING", logger="minipublic.security"):
        response = bare_client.post(f"/invite/{token}", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert "refused POST /invite/[hidden]: it came from another site" in caplog.text
    assert token not in caplog.text


def test_oversized_requests_are_refused_with_advice(settings: Settings, engine: Engine) -> None:
    app = create_app(settings.replace(max_request_mb=1), engine=engine)
    big = "x" * 1_200_000
    with make_client(app) as test_client:
        declared = test_client.post("/login", data={"email": big, "password": "p"})
        assert declared.status_code == 413
        assert "larger than this site accepts (1 MB)" in declared.text
        assert "MINIPUBLIC_MAX_REQUEST_MB" in declared.text

        def chunks():  # no Content-Length: the limit is enforced on what actually arrives
            for _ in range(12):
                yield b"email=" + b"y" * 100_000

        streamed = test_client.post("/login", content=chunks(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert streamed.status_code == 413
        fine = test_client.post("/login", data={"email": "a@example.org", "password": "p" * 12})
        assert fine.status_code == 401
