"""Deployment shape: App Platform specs valid against DO's schema; functions map to handlers."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from sxp.config import repo_root
from sxp.entrypoints import functions

ROOT = repo_root()
VENDORED = ROOT.parent / "shared/vendor/do-app-spec.schema.json"  # ../shared/vendor


SERVICE_ROLES = {"sxp-api": "sxp_api_svc", "sxp-worker": "sxp_worker_svc"}


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads((ROOT / "deploy/schema/do-app-spec.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_copy_keeps_its_provenance_and_content() -> None:
    copy = json.loads((ROOT / "deploy/schema/do-app-spec.schema.json").read_text())
    assert "DigitalOcean" in copy["$comment"] and "OpenAPI" in copy["$comment"]
    if VENDORED.exists():
        copy.pop("$comment")
        assert copy == json.loads(VENDORED.read_text())


@pytest.mark.parametrize("env", ["dev", "stage", "prod"])
def test_app_spec_is_valid(env: str, validator: jsonschema.protocols.Validator) -> None:
    spec = _load_yaml(ROOT / f"deploy/social-xpress/{env}.yaml")
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(spec)]
    assert not errors, errors
    assert [s["name"] for s in spec["services"]] == ["sxp-api"]
    assert [w["name"] for w in spec["workers"]] == ["sxp-worker"]
    (migrate,) = spec["jobs"]
    assert migrate["kind"] == "PRE_DEPLOY" and migrate["run_command"] == "sxp migrate"
    (db,) = spec["databases"]
    assert db["engine"] == "PG"
    for component in spec["services"] + spec["workers"] + spec["jobs"]:
        envs = {e["key"]: e for e in component["envs"]}
        assert envs["SXP_ENV"]["value"] == env
        if component["name"] == "sxp-migrate":  # the owner of the tables: the cluster's user
            assert envs["DATABASE_URL"]["value"] == "${sxp-db.DATABASE_URL}"
            assert "SXP_DB_ROLE" not in envs
        else:  # a database user of its own, its connection string a secret
            assert envs["DATABASE_URL"]["type"] == "SECRET" and "value" not in envs["DATABASE_URL"]
            assert envs["SXP_DB_ROLE"]["value"] == SERVICE_ROLES[component["name"]]
        provider_keys = {k for k in envs if k.startswith(("APOLLO_", "SKIPTRACE_"))}
        if component["name"] == "sxp-worker":  # the one component that calls providers
            assert provider_keys == {"APOLLO_BASE_URL", "APOLLO_API_KEY", "SKIPTRACE_BASE_URL",
                                     "SKIPTRACE_API_KEY"}
        else:
            assert not provider_keys, (component["name"], provider_keys)
        for secret in {"SPACES_KEY", "SPACES_SECRET", "APOLLO_API_KEY",
                       "SKIPTRACE_API_KEY"} & set(envs):
            assert envs[secret]["type"] == "SECRET" and "value" not in envs[secret]
        assert (ROOT / component["dockerfile_path"]).is_file()


def test_schema_rejects_unknown_keys(validator: jsonschema.protocols.Validator) -> None:
    spec = _load_yaml(ROOT / "deploy/social-xpress/dev.yaml")
    spec["services"][0]["no_such_key"] = 1
    assert not validator.is_valid(spec)


def test_dockerfiles_are_slim_non_root_and_run_the_cli() -> None:
    for name, cmd in (("Dockerfile.sxp-api", '"sxp", "api"'),
                      ("Dockerfile.sxp-worker", '"sxp", "worker"')):
        text = (ROOT / name).read_text()
        assert "FROM python:3.11-slim" in text and "\nUSER sxp\n" in text
        for folder in ("shared/", "migrations/", "contracts/"):
            assert f"COPY {folder} {folder}" in text
        assert "COPY pyproject.toml" in text and f"CMD [{cmd}" in text


def _main_calls(path: Path) -> list[str]:
    """Attributes of `functions` called inside `main(args)` of a function's __main__.py."""
    tree = ast.parse(path.read_text())
    (main,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
    return [n.func.attr for n in ast.walk(main)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name) and n.func.value.id == "functions"]


def test_project_yml_functions_map_to_packages_and_handlers() -> None:
    project = _load_yaml(ROOT / "project.yml")
    (package,) = project["packages"]
    assert package["name"] == "sxp"
    names = [f["name"] for f in package["functions"]]
    assert sorted(names) == sorted(functions.HANDLERS)
    assert sorted(names) == sorted(["scan", "drain", "ingest", "cards", "label", "gate",
                                    "export", "import", "upload", "status"])
    for fn in package["functions"]:
        main = ROOT / "packages/sxp" / fn["name"] / "__main__.py"
        assert main.is_file(), main
        (called,) = _main_calls(main)
        assert getattr(functions, called) is functions.HANDLERS[fn["name"]]
        assert fn["runtime"].startswith("python:3.11")
    by_name = {f["name"]: f for f in package["functions"]}
    for scheduled in ("scan", "export"):
        (trigger,) = by_name[scheduled]["triggers"]
        assert trigger["sourceType"] == "scheduler" and trigger["sourceDetails"]["cron"]
    assert by_name["import"]["web"] == "raw" and by_name["status"]["web"] is True
    assert project["environment"]["DATABASE_URL"] == "${DATABASE_URL}"
