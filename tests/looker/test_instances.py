"""looker.ini sections become LookerInstances; secrets stay in the file."""

import pickle

import pytest
from looker_sdk.sdk.api40.methods import Looker40SDK

from restoration.looker.instances import (
    InstanceNotConfigured,
    get_instance,
    list_instances,
    make_sdk,
)

INI = """
[production]
base_url = https://looker.example.com
client_id = abc
client_secret = very-secret-value
verify_ssl = false
timeout = 30

[staging]
base_url = "https://staging.example.com:19999"
client_id = def
client_secret = other-secret

[broken]
base_url = https://looker.example.com/api/4.0/
client_id = x
client_secret = y
"""


@pytest.fixture
def ini(tmp_path, settings):
    path = tmp_path / "looker.ini"
    path.write_text(INI)
    settings.LOOKER_INI = str(path)
    return path


def test_it_lists_usable_sections(ini):
    found = {i.section: i for i in list_instances()}
    assert set(found) == {"production", "staging"}
    assert found["production"].base_url == "https://looker.example.com"
    assert found["production"].verify_ssl is False
    assert found["production"].timeout == 30
    assert found["staging"].base_url == "https://staging.example.com:19999"
    assert found["staging"].verify_ssl is True


def test_an_instance_never_holds_secrets(ini):
    instance = get_instance("production")
    assert "very-secret-value" not in repr(instance)
    assert b"very-secret-value" not in pickle.dumps(instance)


def test_a_base_url_with_a_path_is_refused_with_the_fix(ini):
    with pytest.raises(InstanceNotConfigured, match="use 'https://looker.example.com'"):
        get_instance("broken")


def test_an_unknown_section_names_the_known_ones(ini):
    with pytest.raises(InstanceNotConfigured, match="production, staging, broken"):
        get_instance("prod")


def test_a_missing_file_says_where_it_looked(tmp_path, settings):
    settings.LOOKER_INI = str(tmp_path / "nowhere.ini")
    with pytest.raises(InstanceNotConfigured, match="nowhere.ini"):
        get_instance("production")
    assert list_instances() == []


def test_make_sdk_builds_a_client_whose_settings_hold_no_secret(ini):
    sdk = make_sdk("production")
    assert isinstance(sdk, Looker40SDK)
    settings_obj = sdk.auth.settings
    assert settings_obj.base_url == "https://looker.example.com"
    assert "very-secret-value" not in repr(vars(settings_obj))
    # the secret is read from the file only when the SDK logs in
    assert settings_obj.read_config()["client_secret"] == "very-secret-value"


def test_each_call_gets_its_own_client(ini):
    assert make_sdk("staging") is not make_sdk("staging")


def test_proxies_and_ca_bundle_from_the_environment_still_apply(ini, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    session = make_sdk("staging").transport.session
    assert session.proxies["https"] == "http://proxy.internal:3128"
    assert session.verify == "/etc/ssl/corporate.pem"
    # verify_ssl=false in looker.ini wins over the bundle
    assert make_sdk("production").transport.session.verify is False


def test_no_proxy_is_honoured(ini, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "staging.example.com")
    assert "https" not in make_sdk("staging").transport.session.proxies


def test_the_web_address_is_web_url_else_base_url_without_the_api_port(tmp_path, settings):
    from restoration.looker.instances import web_url_for

    path = tmp_path / "looker.ini"
    path.write_text(
        INI.replace(
            "[broken]",
            "[own-ui]\nbase_url = https://own.example.com:19999\n"
            "web_url = https://ui.example.com:9999/\nclient_id = a\nclient_secret = b\n\n[broken]",
        )
    )
    settings.LOOKER_INI = str(path)
    by_name = {i.section: i for i in list_instances()}
    assert by_name["own-ui"].web_url == "https://ui.example.com:9999"
    assert web_url_for(by_name["own-ui"].base_url, by_name["own-ui"].web_url) == (
        "https://ui.example.com:9999"
    )
    # Looker's API port is dropped: the web UI answers on the host's own port.
    assert web_url_for("https://staging.example.com:19999") == "https://staging.example.com"
    # Other addresses serve the API and the UI together.
    assert web_url_for("https://looker.example.com") == "https://looker.example.com"
    assert web_url_for("http://127.0.0.1:19102") == "http://127.0.0.1:19102"


def test_a_web_url_that_is_not_an_address_is_refused(tmp_path, settings):
    path = tmp_path / "looker.ini"
    path.write_text("[x]\nbase_url = https://x.example.com\nweb_url = x.example.com\n")
    settings.LOOKER_INI = str(path)
    with pytest.raises(InstanceNotConfigured, match="web_url 'x.example.com' must start with"):
        get_instance("x")
