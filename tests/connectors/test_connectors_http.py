"""The HTTP core with httpx.MockTransport: auth on the configured origin only, retries, redaction."""

import random

import httpx
import orjson
import pytest

from connectors.budget import RateBudget
from connectors.config import HubConfig
from connectors.errors import AuthError, RetryExhausted, UnsafeLinkError
from connectors.http import VendorClient, make_http_client
from connectors.pagination import (
    CursorPaginator,
    NextLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    PageRequest,
    iter_pages,
)

TOKEN = "s3cret-token"


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def make_client(handler, retry_max_seconds="60"):
    config = HubConfig.from_env(
        {
            "HUB_META_BASE_URL": "https://graph.example.com",
            "HUB_META_ACCESS_TOKEN": TOKEN,
            "HUB_META_AD_ACCOUNT_IDS": "act_1",
            "HUB_HTTP_RETRY_MAX_SECONDS": retry_max_seconds,
        }
    )
    clock = FakeClock()
    client = VendorClient(
        config.system("meta"),
        config,
        "meta__insights",
        {"authorization": f"Bearer {TOKEN}"},
        make_http_client(config, httpx.MockTransport(handler)),
        budget=RateBudget(clock=clock, sleep=clock.sleep),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(1),
    )
    return client, clock


def test_retries_429_5xx_dropped_and_truncated_then_succeeds():
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(503),
            httpx.ReadError("connection reset"),
            httpx.ReadTimeout("timed out"),
            httpx.Response(200, content=b'{"data": [1, 2'),  # truncated body
            httpx.Response(400, json={"error": {"code": 17}}),
            httpx.Response(200, json={"data": [1]}),
        ]
    )

    def handler(request):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client, clock = make_client(handler)
    response = client.send("GET", client.url("/v21.0/act_1/insights"))
    assert response.data == {"data": [1]}
    assert (client.stats.requests, client.stats.retries) == (7, 6)
    assert client.stats.rate_limit_wait_seconds >= 3
    assert clock.now >= 3


def test_gives_up_after_the_time_bound_naming_stream_url_and_status():
    client, clock = make_client(lambda request: httpx.Response(502), retry_max_seconds="20")
    with pytest.raises(RetryExhausted) as err:
        client.send("GET", client.url("/v21.0/act_1/insights"), params={"access_token": TOKEN})
    message = str(err.value)
    assert message.startswith("meta__insights: gave up on GET https://graph.example.com/v21.0/act_1/insights?access_token=***")
    assert "last status: HTTP 502. Nothing of this fetch was loaded and the stream's cursor did not move" in message
    assert TOKEN not in message
    assert clock.now <= 20


def test_auth_failure_is_not_retried_and_names_the_variables():
    client, _ = make_client(lambda request: httpx.Response(401, json={"error": {"message": f"bad {TOKEN}"}}))
    with pytest.raises(AuthError) as err:
        client.send("GET", client.url("/v21.0/act_1/insights"))
    assert str(err.value) == (
        "meta__insights: meta rejected the credentials (HTTP 401) at GET "
        "https://graph.example.com/v21.0/act_1/insights: check HUB_META_ACCESS_TOKEN, HUB_META_AD_ACCOUNT_IDS"
    )
    assert client.stats.requests == 1


def test_redirects_are_not_followed():
    client, _ = make_client(lambda request: httpx.Response(302, headers={"location": "https://evil.example.com/"}))
    with pytest.raises(UnsafeLinkError):
        client.send("GET", client.url("/v21.0/act_1/insights"))


def test_credentials_only_go_to_the_configured_origin():
    seen = []
    page2 = "https://graph.example.com/v21.0/act_1/insights?after=B&access_token=" + TOKEN

    def handler(request):
        seen.append((str(request.url), request.headers.get("authorization")))
        if "after" in request.url.params:
            return httpx.Response(200, json={"data": [2], "paging": {"next": "https://evil.example.com/steal"}})
        return httpx.Response(200, json={"data": [1], "paging": {"next": page2}})

    client, _ = make_client(handler)
    pages = iter_pages(client, PageRequest("GET", client.url("/v21.0/act_1/insights")), NextLinkPaginator(("paging", "next"), client))
    assert next(pages).data["data"] == [1]
    assert next(pages).data["data"] == [2]
    with pytest.raises(UnsafeLinkError) as err:
        next(pages)
    assert "evil.example.com" in str(err.value)
    assert all(url.startswith("https://graph.example.com/") for url, _ in seen)
    assert [auth for _, auth in seen] == [f"Bearer {TOKEN}"] * 2


def test_offset_paginator_follows_the_reported_end_position():
    paginator = OffsetPaginator("envelopes", "totalSetSize", end_key="endPosition")
    request = PageRequest("GET", "https://x/envelopes", {"start_position": 100, "count": 100})

    def page(data):
        return type("R", (), {"data": data})()

    # A page that starts one early (a record moved) and so holds 101 records ending at 199.
    moved = page({"envelopes": [{}] * 101, "endPosition": "199", "totalSetSize": "300"})
    assert paginator.next_request(request, moved).params["start_position"] == 200
    last = page({"envelopes": [{}] * 100, "endPosition": "299", "totalSetSize": "300"})
    assert paginator.next_request(request, last) is None


@pytest.mark.parametrize(
    ("paginator", "pages"),
    [
        (
            CursorPaginator(("paging", "next", "after")),
            {None: {"results": [1], "paging": {"next": {"after": "x"}}}, "x": {"results": [2]}},
        ),
        (PageNumberPaginator("items"), {None: {"items": [1], "pages": 2}, "2": {"items": [2], "pages": 2}}),
        (
            OffsetPaginator("envelopes", "totalSetSize"),
            {None: {"envelopes": [1], "totalSetSize": "2"}, "1": {"envelopes": [2], "totalSetSize": "2"}},
        ),
    ],
)
def test_paginators_walk_every_page_and_stop(paginator, pages):
    param = {CursorPaginator: "after", PageNumberPaginator: "page", OffsetPaginator: "start_position"}[type(paginator)]

    def handler(request):
        key = request.url.params.get(param)
        return httpx.Response(200, content=orjson.dumps(pages[key]))

    client, _ = make_client(handler)
    got = [r.data for r in iter_pages(client, PageRequest("GET", client.url("/list")), paginator)]
    assert got == list(pages.values())
    assert client.stats.requests == 2


@pytest.mark.parametrize(
    ("link", "followed"),
    [
        ("https://graph.example.com/v21.0/act_1/insights?after=B", "https://graph.example.com/v21.0/act_1/insights?after=B"),
        (f"https://graph.example.com/v21.0/x?after=B&access_token={TOKEN}", "https://graph.example.com/v21.0/x?after=B"),
        ("https://graph.example.com:443/v21.0/x", "https://graph.example.com:443/v21.0/x"),
        ("https://user:pw@graph.example.com/v21.0/x", None),
        ("http://graph.example.com/v21.0/x", None),
        ("https://graph.example.com:8443/v21.0/x", None),
        ("https://graph.example.com.evil.test/v21.0/x", None),
    ],
)
def test_followed_links_keep_the_origin_drop_credential_params_and_refuse_userinfo(link, followed):
    client, _ = make_client(lambda request: httpx.Response(200))
    if followed is None:
        with pytest.raises(UnsafeLinkError) as err:
            client.follow(link)
        assert "pw@graph" not in str(err.value) and "no credentials were sent" in str(err.value)
    else:
        assert client.follow(link) == followed


def test_followed_links_keep_the_base_path_prefix():
    config = HubConfig.from_env({"HUB_META_BASE_URL": "https://proxy.example.com/meta", "HUB_META_ACCESS_TOKEN": TOKEN,
                                 "HUB_META_AD_ACCOUNT_IDS": "act_1"})
    client = VendorClient(config.system("meta"), config, "meta__insights", {}, make_http_client(config))
    assert client.follow("https://proxy.example.com/meta/v21.0/x") == "https://proxy.example.com/meta/v21.0/x"
    for outside in ("https://proxy.example.com/hubspot/x", "https://proxy.example.com/metadata/x", "https://proxy.example.com/"):
        with pytest.raises(UnsafeLinkError, match="outside the configured path '/meta'"):
            client.follow(outside)


def test_redactor_masks_userinfo_and_scrubs_secrets_from_pages():
    from connectors.redaction import Redactor

    redactor = Redactor((TOKEN, "q"))
    assert redactor.text("GET https://u:p@h.example/x failed") == "GET https://***@h.example/x failed"
    page = b'{"data": [], "paging": {"next": "https://h/x?access_token=' + TOKEN.encode() + b'"}}'
    assert redactor.scrub(page) == b'{"data": [], "paging": {"next": "https://h/x?access_token=***"}}'
    clean = b'{"data": ["q"]}'
    assert redactor.scrub(clean) is clean  # no secret: the same bytes, no copy; a 1-char "secret" is not scrubbed
