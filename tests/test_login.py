"""Local mode and its refusal (access.md): no login only on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from ui.login import came_through_proxy, listens_on_loopback

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("LOCALHOST", True),
        (None, False),  # Streamlit's default: every interface
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("dashboard.kommune.dk", False),
    ],
)
def test_only_a_loopback_address_counts_as_this_machine(address, loopback):
    assert listens_on_loopback(address) is loopback


@pytest.fixture
def app_db(sample_copy, monkeypatch):
    monkeypatch.setenv("SLCORE_DB", str(sample_copy))
    return sample_copy


@pytest.fixture
def listening_everywhere():
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", before)


def test_local_mode_on_a_reachable_server_shows_how_to_configure_login_and_no_data(
    app_db, listening_everywhere
):
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Login mangler"]
    assert "secrets.toml" in " ".join(m.value for m in at.markdown)
    assert not at.metric and not at.dataframe and not at.sidebar.multiselect


def test_local_mode_on_this_machine_opens_the_dashboard(app_db):
    assert listens_on_loopback(config.get_option("server.address"))  # .streamlit/config.toml
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Overblik"]
    assert at.metric


@pytest.mark.parametrize(
    ("headers", "proxied"),
    [
        ({"Host": "localhost:8501", "User-Agent": "x"}, False),
        ({"X-Forwarded-For": "10.0.0.7"}, True),
        ({"x-real-ip": "10.0.0.7"}, True),
        ({"Forwarded": "for=10.0.0.7;proto=https"}, True),
    ],
)
def test_a_proxy_is_told_by_its_headers(headers, proxied):
    assert came_through_proxy(headers) is proxied
