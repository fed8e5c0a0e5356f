from __future__ import annotations

from pathlib import Path

import pytest

from interlace.config import load_config
from interlace.errors import ConfigError
from tests.conftest import write_files


def test_no_config_uses_the_embedded_default(tmp_path: Path) -> None:
    loaded = load_config(tmp_path)
    assert loaded.files == ()
    assert loaded.env == "dev"
    assert loaded.database_path(tmp_path, loaded.default_connection) == tmp_path / ".interlace/dev.duckdb"


def test_env_overlay_is_deep_merged(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "config.yaml": """
            name: shop
            connections:
              default: {path: "data/{env}.duckdb", settings: {threads: 2}}
            run: {max_workers: 3}
        """,
        "config.prod.yaml": """
            connections:
              default: {settings: {memory_limit: 1GB}}
        """,
    })
    loaded = load_config(tmp_path, "prod")
    conn = loaded.default_connection
    assert conn.settings == {"threads": 2, "memory_limit": "1GB"}
    assert loaded.database_path(tmp_path, conn) == tmp_path / "data/prod.duckdb"
    assert loaded.config.run.max_workers == 3
    assert [p.name for p in loaded.files] == ["config.yaml", "config.prod.yaml"]


def test_env_comes_from_interlace_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERLACE_ENV", "ci")
    assert load_config(tmp_path).env == "ci"


def test_variables_are_substituted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_DIR", "/srv/wh")
    write_files(tmp_path, {"config.yaml": """
        connections:
          default: {path: "${WAREHOUSE_DIR}/{env}.duckdb"}
          other: {path: "${OTHER_DIR:-local}/x.duckdb"}
    """})
    config = load_config(tmp_path).config
    assert config.connections["default"].path == "/srv/wh/dev.duckdb"
    assert config.connections["other"].path == "local/x.duckdb"


def test_unset_variable_names_key_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_DIR", raising=False)
    write_files(tmp_path, {"config.yaml": "connections:\n  default: {path: '${NOPE_DIR}/x.duckdb'}\n"})
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path)
    assert str(exc.value) == (
        f"{tmp_path / 'config.yaml'}: key 'connections.default.path' uses ${{NOPE_DIR}}, but the "
        "environment variable NOPE_DIR is not set\n"
        "Fix: set NOPE_DIR, or give a default: ${NOPE_DIR:-value}"
    )


def test_unknown_key_names_key_file_and_valid_keys(tmp_path: Path) -> None:
    write_files(tmp_path, {"config.yaml": "connections:\n  default: {pth: x.duckdb}\n"})
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path)
    assert str(exc.value) == (
        f"{tmp_path / 'config.yaml'}: unknown key 'connections.default.pth' "
        "(valid keys here: type, path, dsn, data_path, metadata, state_path, master, app_name, conf, "
        "warehouse, backend, config, access, shared, attach, settings)\n"
        "Fix: correct the key named above (see the configuration reference in README.md)"
    )


def test_wrong_type_in_overlay_names_the_overlay_file(tmp_path: Path) -> None:
    write_files(tmp_path, {"config.yaml": "run: {max_workers: 2}\n", "config.dev.yaml": "run: {max_workers: many}\n"})
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path)
    assert str(exc.value).startswith(
        f"{tmp_path / 'config.dev.yaml'}: key 'run.max_workers': Input should be a valid integer"
    )


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    write_files(tmp_path, {"config.yaml": "name: shop\nrun: [unclosed\n"})
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path)
    assert str(exc.value).startswith(f"{tmp_path / 'config.yaml'}:3: invalid YAML")


def test_default_connection_must_exist(tmp_path: Path) -> None:
    write_files(tmp_path, {"config.yaml": "default_connection: wh\n"})
    with pytest.raises(ConfigError, match="default_connection 'wh' is not one of the connections"):
        load_config(tmp_path)


def test_service_section_defaults_and_validation(tmp_path: Path) -> None:
    from interlace.config import Config

    service = Config().service
    assert (service.host, service.port, service.auth.enabled, service.auth.whitelist) == (
        "127.0.0.1", 8080, True, ["/health"])
    assert (service.rate_limit.rate, service.rate_limit.burst, service.cors.origins) == (50.0, 200, [])
    (tmp_path / "config.yaml").write_text("service:\n  cors:\n    origins: ['*']\n")
    with pytest.raises(ConfigError) as wildcard:
        load_config(tmp_path)
    assert "'*' is not an explicit origin" in str(wildcard.value)
    (tmp_path / "config.yaml").write_text("service:\n  auth:\n    enable: false\n")
    with pytest.raises(ConfigError) as typo:
        load_config(tmp_path)
    assert "unknown key 'service.auth.enable' (valid keys here: enabled, keys, whitelist, session_hours)" in str(
        typo.value)
