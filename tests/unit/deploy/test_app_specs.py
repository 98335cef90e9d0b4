"""Deployment shape: App Platform specs valid against DO's schema; functions map to handlers."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from sxp.config import repo_root
from sxp.entrypoints import functions

ROOT = repo_root()
VENDORED = ROOT.parent / "shared/vendor/do-app-spec.schema.json"  # ../shared/vendor


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())

ENVS = ("dev", "stage", "prod")
DB_USERS = {"sxp-api": "sxp_api_svc", "sxp-worker": "sxp_worker_svc"}
SECRETS = {  # each component gets the secrets it uses, and no other
    "sxp-api": {"DATABASE_URL", "SPACES_KEY", "SPACES_SECRET", "SXP_PRIVACY_KEY"},
    "sxp-worker": {"DATABASE_URL", "SPACES_KEY", "SPACES_SECRET", "SXP_PRIVACY_KEY",
                   "SXP_VALKEY_URL", "APOLLO_API_KEY", "SKIPTRACE_API_KEY"},
    "sxp-functions": {"DATABASE_URL", "SPACES_KEY", "SPACES_SECRET", "SXP_PRIVACY_KEY",
                      "SXP_VALKEY_URL", "APOLLO_API_KEY", "SKIPTRACE_API_KEY"},
    "sxp-migrate": set(),
}
# Two places where DigitalOcean's OpenAPI models, and so the schema bundled from them, fall
# short of the app spec DigitalOcean documents and accepts (docs.digitalocean.com, "Reference
# for App Specification"): `alerts` on the app and on services, workers and jobs (the models
# carry them on functions only), and a service's autoscaling metrics (the bundle's allOf lets
# neither `cpu` nor `requests_per_second` through, only an empty `metrics`). The specs are
# validated against the schema with exactly these two amendments, each typed by the schema's
# own definitions; test_amendments_are_still_needed fails once a re-copied schema fixes them.
ALERTS = {"type": "array", "items": {"$ref": "#/$defs/app_alert_spec"}}


def _amended(schema: dict[str, Any]) -> dict[str, Any]:
    amended = json.loads(json.dumps(schema))
    defs = amended["$defs"]
    amended["properties"]["alerts"] = ALERTS
    for kind in ("app_service_spec", "app_worker_spec", "app_job_spec"):
        defs[kind]["allOf"][-1]["properties"]["alerts"] = ALERTS
    base_metrics = defs["app_autoscaling_spec"]["properties"]["metrics"]
    service_metrics = defs["app_autoscaling_spec_service"]["allOf"][1]["properties"]["metrics"]
    merged = {**base_metrics["properties"], **service_metrics["properties"]}
    defs["app_autoscaling_spec_service"] = {
        "type": "object", "unevaluatedProperties": False,
        "properties": {**defs["app_autoscaling_spec"]["properties"],
                       "metrics": {**base_metrics, "properties": merged}}}
    return amended


def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (ROOT / "deploy/schema/do-app-spec.schema.json").read_text())
    return loaded


def _spec(env: str) -> dict[str, Any]:
    loaded: dict[str, Any] = _load_yaml(ROOT / f"deploy/social-xpress/{env}.yaml")
    return loaded


def _components(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for kind in ("services", "workers", "functions", "jobs")
            for c in spec.get(kind) or []}


def _envs(component: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["key"]: e for e in component["envs"]}


def _errors(validator: jsonschema.protocols.Validator, spec: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(spec)]


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    amended = _amended(_schema())
    jsonschema.Draft202012Validator.check_schema(amended)
    return jsonschema.Draft202012Validator(amended)


def test_schema_copy_keeps_its_provenance_and_content() -> None:
    copy = _schema()
    assert "DigitalOcean" in copy["$comment"] and "OpenAPI" in copy["$comment"]
    if VENDORED.exists():
        copy.pop("$comment")
        assert copy == json.loads(VENDORED.read_text())


def test_amendments_are_still_needed() -> None:
    plain = jsonschema.Draft202012Validator(_schema())
    spec = _spec("prod")
    without_alerts = json.loads(json.dumps(spec))
    without_alerts.pop("alerts")
    for kind in ("services", "workers", "jobs"):
        for component in without_alerts[kind]:
            component.pop("alerts", None)
    assert any("'cpu' was unexpected" in e for e in _errors(plain, without_alerts))
    without_alerts["services"][0]["autoscaling"]["metrics"] = {
        "requests_per_second": {"per_instance": 50}}
    assert any("'requests_per_second' was unexpected" in e
               for e in _errors(plain, without_alerts))
    without_alerts["services"][0]["autoscaling"]["metrics"] = {}
    assert _errors(plain, without_alerts) == []  # nothing else needs amending
    assert any("'alerts' was unexpected" in e for e in _errors(plain, spec))


@pytest.mark.parametrize("env", ENVS)
def test_app_spec_is_valid(env: str, validator: jsonschema.protocols.Validator) -> None:
    spec = _spec(env)
    assert _errors(validator, spec) == []
    assert [s["name"] for s in spec["services"]] == ["sxp-api"]
    assert [w["name"] for w in spec["workers"]] == ["sxp-worker"]
    assert [f["name"] for f in spec["functions"]] == ["sxp-functions"]
    (migrate,) = spec["jobs"]
    assert migrate["kind"] == "PRE_DEPLOY" and migrate["run_command"] == "sxp migrate"
    (db,) = spec["databases"]
    assert db["engine"] == "PG"
    routes = {r["match"]["path"]["prefix"]: r["component"]["name"]
              for r in spec["ingress"]["rules"]}
    assert routes == {"/": "sxp-api", "/fn": "sxp-functions"}
    for name, component in _components(spec).items():
        envs = _envs(component)
        assert envs["SXP_ENV"]["value"] == env
        if name == "sxp-migrate":  # the owner of the tables: the cluster's user
            assert envs["DATABASE_URL"]["value"] == "${sxp-db.DATABASE_URL}"
        else:  # a database user of its own, its connection string a secret
            assert envs["DATABASE_URL"]["type"] == "SECRET"
        if name in DB_USERS:
            assert envs["SXP_DB_ROLE"]["value"] == DB_USERS[name]
        secrets = {k for k, e in envs.items() if e.get("type") == "SECRET"}
        assert secrets == SECRETS[name], name
        assert all("value" not in envs[k] for k in secrets)
        if "dockerfile_path" in component:
            assert (ROOT / component["dockerfile_path"]).is_file()


def test_the_functions_component_resolves_every_value_of_project_yml() -> None:
    project = _load_yaml(ROOT / "project.yml")
    wanted = {m for v in project["environment"].values()
              for m in re.findall(r"\$\{([A-Z0-9_]+)\}", str(v))}
    for env in ENVS:
        functions_component = _components(_spec(env))["sxp-functions"]
        assert functions_component["source_dir"] == "/"
        assert set(_envs(functions_component)) == wanted


def test_environments_differ_where_the_design_says() -> None:
    specs = {env: _components(_spec(env)) for env in ENVS}
    budgets = [int(_envs(specs[env]["sxp-worker"])["SXP_CREDIT_BUDGET_PER_DAY"]["value"])
               for env in ENVS]
    assert budgets == sorted(set(budgets))  # dev < stage < prod
    for env in ENVS:
        for name in ("sxp-api", "sxp-worker", "sxp-functions"):  # one budget per environment
            envs = _envs(specs[env][name])
            assert int(envs["SXP_CREDIT_BUDGET_PER_DAY"]["value"]) == budgets[ENVS.index(env)]
    sizes = {env: (specs[env]["sxp-api"]["instance_size_slug"],
                   specs[env]["sxp-worker"]["instance_size_slug"]) for env in ENVS}
    assert len(set(sizes.values())) == 3
    for env in ("dev", "stage"):
        for name in ("sxp-api", "sxp-worker"):
            assert specs[env][name]["instance_count"] == 1 and "autoscaling" not in specs[env][name]
    for name in ("sxp-api", "sxp-worker"):  # prod autoscales on CPU, on dedicated CPUs
        prod = specs["prod"][name]
        assert "instance_count" not in prod and prod["instance_size_slug"].startswith("apps-d-")
        scaling = prod["autoscaling"]
        assert 2 <= scaling["min_instance_count"] < scaling["max_instance_count"]
        assert 50 <= scaling["metrics"]["cpu"]["percent"] <= 90
    assert _load_yaml(ROOT / "deploy/social-xpress/prod.yaml")["databases"][0]["production"]
    assert not _spec("dev")["databases"][0]["production"]


@pytest.mark.parametrize("env", ENVS)
def test_alerts_cover_deploys_restarts_cpu_memory_and_function_errors(env: str) -> None:
    spec = _spec(env)
    assert [a["rule"] for a in spec["alerts"]] == ["DEPLOYMENT_FAILED"]
    components = _components(spec)
    for name in ("sxp-api", "sxp-worker"):
        assert {a["rule"] for a in components[name]["alerts"]} == {
            "RESTART_COUNT", "CPU_UTILIZATION", "MEM_UTILIZATION"}
    assert [a["rule"] for a in components["sxp-functions"]["alerts"]] == [
        "FUNCTIONS_ERROR_COUNT"]
    for component in components.values():
        for alert in component.get("alerts", []):
            assert alert["operator"] == "GREATER_THAN" and alert["value"] > 0 and alert["window"]


@pytest.mark.parametrize("env", ["stage", "prod"])
def test_log_forwarding_placeholders_are_valid_once_uncommented(
        env: str, validator: jsonschema.protocols.Validator) -> None:
    text = (ROOT / f"deploy/social-xpress/{env}.yaml").read_text()
    blocks = re.findall(r"^( +)# (log_destinations:\n(?:\1#   .*\n)+)", text, re.M)
    assert len(blocks) == 3  # the API, the worker, the functions
    uncommented = re.sub(r"^( +)# (log_destinations:|  )", r"\1\2", text, flags=re.M)
    spec = yaml.safe_load(uncommented)
    for component in _components(spec).values():
        if component["name"] != "sxp-migrate":
            (destination,) = component["log_destinations"]
            assert destination["name"] == "sxp-logs" and destination["papertrail"]["endpoint"]
    assert _errors(validator, spec) == []


def test_the_worker_schedules_the_app_shape() -> None:
    from sxp.config import Settings

    for env in ENVS:
        worker = _envs(_components(_spec(env))["sxp-worker"])
        periods = json.loads(worker["SXP_PERIODIC_TASKS"]["value"])
        assert Settings(SXP_PERIODIC_TASKS=periods).periodic_tasks == periods
        assert set(periods) == {"scan", "export", "retention"}


def test_schema_rejects_unknown_keys(validator: jsonschema.protocols.Validator) -> None:
    spec = _spec("dev")
    spec["services"][0]["no_such_key"] = 1
    assert not validator.is_valid(spec)


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
    assert not any("triggers" in f for f in package["functions"])  # none in an app component
    assert by_name["import"]["web"] == "raw" and by_name["status"]["web"] is True
    assert project["environment"]["DATABASE_URL"] == "${DATABASE_URL}"


def test_the_namespace_adds_at_most_three_scheduled_triggers() -> None:
    import importlib.util

    path = ROOT / "deploy/functions-namespace/assemble.py"
    spec = importlib.util.spec_from_file_location("assemble", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    project = module.namespace_project()
    triggers = {f["name"]: f["triggers"] for f in project["packages"][0]["functions"]
                if "triggers" in f}
    assert sorted(triggers) == ["drain", "export", "scan"]
    assert sum(len(t) for t in triggers.values()) <= module.MAX_SCHEDULED_TRIGGERS == 3
    for (trigger,) in triggers.values():
        assert trigger["sourceType"] == "scheduler" and trigger["sourceDetails"]["cron"]
    plain = _load_yaml(ROOT / "project.yml")
    for function in project["packages"][0]["functions"]:
        function.pop("triggers", None)
    assert project == plain  # the namespace's project is the app's plus its triggers


@pytest.mark.parametrize("env", ENVS)
def test_the_namespace_shape_app_is_valid_too(
        env: str, validator: jsonschema.protocols.Validator) -> None:
    """Shape 2 (deploy/README.md): the same app without its functions component, its /fn
    route and the worker's scheduling (the namespace's triggers schedule)."""
    spec = _spec(env)
    spec.pop("functions")
    spec["ingress"]["rules"] = [r for r in spec["ingress"]["rules"]
                                if r["component"]["name"] != "sxp-functions"]
    (worker,) = spec["workers"]
    worker["envs"] = [e for e in worker["envs"] if e["key"] != "SXP_PERIODIC_TASKS"]
    assert _errors(validator, spec) == []
