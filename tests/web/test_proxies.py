"""Behind a proxy: the client's address and scheme come from it (ProxyFix), the host never
does, and links in emails are only ever the configured base URL."""

from __future__ import annotations

from flask import request

from webapp.platform.mail import external_url


def test_proxyfix_takes_the_client_and_scheme_but_not_the_host(app):
    from webapp import create_app

    proxied = create_app({**app.config, "B2B_PROXIES": 1})
    seen = {}

    @proxied.get("/_probe")
    def _probe():
        seen.update(addr=request.remote_addr, scheme=request.scheme, host=request.host,
                    link=external_url("auth.sign_in"))
        return ""

    proxied.test_client().get("/_probe", headers={
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example", "Host": "b2b.internal"})
    assert seen["addr"] == "203.0.113.7" and seen["scheme"] == "https"
    assert seen["host"] == "b2b.internal"  # X-Forwarded-Host ignored
    assert seen["link"] == "http://127.0.0.1:5000/sign-in"  # the configured base URL


def test_links_are_the_base_url_whatever_the_request_says(app):
    app.config["B2B_BASE_URL"] = "https://b2b.example.gov.uk/portal"
    with app.test_request_context("/", base_url="http://evil.example"):
        assert external_url("auth.reset_password", token="t") == \
            "https://b2b.example.gov.uk/portal/reset-password/t"
