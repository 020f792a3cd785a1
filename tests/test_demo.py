"""The demo's pieces that need no processes (the whole demo runs in tests/browser)."""

import configparser
import socket

from restoration import demo


def test_the_looker_ini_names_both_instances_for_its_owner_only(tmp_path):
    path = demo.write_looker_ini(
        tmp_path / "looker.ini",
        {"demo-prod": "http://127.0.0.1:19101", "demo-staging": "http://127.0.0.1:19102"},
    )
    ini = configparser.ConfigParser()
    ini.read(path)
    assert ini.sections() == ["demo-prod", "demo-staging"]
    assert ini["demo-staging"]["base_url"] == "http://127.0.0.1:19102"
    assert ini["demo-prod"]["verify_ssl"] == "false"
    assert path.stat().st_mode & 0o077 == 0


def test_a_busy_preferred_port_is_given_up_after_the_wait():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert demo._wait_for_free_port(port, seconds=0.3) is False
    assert demo._wait_for_free_port(port, seconds=0.3) is True
