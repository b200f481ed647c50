"""Configuration precedence: defaults < file < environment < command line."""

from pathlib import Path

import pytest

from cpaas_daemon.config import ConfigError, load_config


def test_precedence(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[ami]\nport = 6000\nhost = "10.0.0.1"\n[http]\nport = 9000\n')
    config = load_config(
        file,
        environ={"CPAAS_AMI__PORT": "6001", "CPAAS_HTTP__PORT": "9001", "OTHER": "x"},
        overrides={"http": {"port": 9002}},
    )
    assert config.ami.host == "10.0.0.1"  # file over default
    assert config.ami.port == 6001  # env over file
    assert config.http.port == 9002  # CLI over env


def test_shipped_config_is_valid() -> None:
    config = load_config(Path(__file__).parents[2] / "config" / "cpaas.toml", environ={})
    assert config.dial.outbound_template == "Local/{number}@sim-endpoints"


@pytest.mark.parametrize(
    ("environ", "field"),
    [
        ({"CPAAS_HTTP__PORT": "70000"}, "http.port"),
        ({"CPAAS_DIAL__OUTBOUND_TEMPLATE": "PJSIP/trunk"}, "dial.outbound_template"),
        ({"CPAAS_AMI__PBX_TIMEZONE": "Nowhere/City"}, "ami.pbx_timezone"),
        ({"CPAAS_NOSUCH__KEY": "1"}, "nosuch"),
    ],
)
def test_invalid_values_name_the_field(environ: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(None, environ=environ)


def test_broken_toml_is_reported(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text("[ami\n")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_config(file, environ={})
