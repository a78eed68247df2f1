"""`tuitrack server`'s options: what it refuses before anything starts."""

from __future__ import annotations

import pytest

from tuitrack.cli.main import main


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "example.com", "::"])
def test_a_non_loopback_host_is_refused_until_there_is_auth(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["server", "--host", host, "--port", "5999"]) == 1
    message = capsys.readouterr().err
    assert f"--host {host!r} is not a loopback address" in message
    assert "ssh -L" in message


def test_a_port_outside_tcps_range_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", "--port", "70000"]) == 1
    assert "--port 70000 is not a TCP port" in capsys.readouterr().err
