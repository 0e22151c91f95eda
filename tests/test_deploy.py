"""deploy/: the systemd unit verifies and is hardened; the Dockerfile runs foiwatch as a non-root user."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from monitor.config import load_config
from tests.conftest import REPO

UNIT = REPO / "deploy" / "foiwatch.service"
DOCKERFILE = REPO / "deploy" / "Dockerfile"


def _settings(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_unit_runs_the_service_as_its_own_user_in_its_data_folder() -> None:
    unit = _settings(UNIT.read_text(encoding="utf-8"))
    assert unit["User"] == ["foiwatch"] and unit["WorkingDirectory"] == ["/var/lib/foiwatch"]
    assert "FOIWATCH_DATA_DIR=/var/lib/foiwatch" in unit["Environment"]
    assert unit["ExecStart"][0].endswith("/foiwatch run")
    assert unit["Restart"] == ["on-failure"] and unit["RestartPreventExitStatus"] == ["2"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ReadWritePaths": "/var/lib/foiwatch",
    }.items():
        assert unit[key] == [value], key


def test_the_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    # The unit names /opt/foiwatch/bin/foiwatch, absent here: any executable stands in for it.
    unit = tmp_path / "foiwatch.service"
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace("/opt/foiwatch/bin/foiwatch", "/usr/bin/true"),
        encoding="utf-8",
    )
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done.stderr


def test_the_image_runs_foiwatch_unprivileged_with_a_volume_port_and_health_check() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    assert "FROM python:3.11-slim" in lines
    assert "USER foiwatch" in lines and 'VOLUME ["/data"]' in lines and "EXPOSE 8080" in lines
    assert "FOIWATCH_DATA_DIR=/data" in text
    assert 'CMD ["foiwatch", "run"]' in lines
    assert re.search(r"HEALTHCHECK .*\n.*http://127\.0\.0\.1:8080/healthz", text)


def test_the_images_configuration_serves_on_every_interface(tmp_path: Path) -> None:
    """The sed the Dockerfile runs on the shipped settings.yaml does what it says."""
    sed = re.search(r"sed -i '([^']+)' /etc/foiwatch/settings.yaml", DOCKERFILE.read_text(encoding="utf-8"))
    assert sed is not None
    config = tmp_path / "etc-foiwatch"
    shutil.copytree(REPO / "config", config)
    subprocess.run(["sed", "-i", sed.group(1), str(config / "settings.yaml")], check=True)
    assert load_config(config).service.host == "0.0.0.0"
