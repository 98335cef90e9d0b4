"""A local stand-in for DigitalOcean Functions' Python runtime, to run sxp's functions the
way DigitalOcean does: each invocation is a fresh process (`python -S`, only the function's
built `virtualenv/` on the path, the function's folder as working directory) that loads
`packages/sxp/<name>/__main__.py` and calls `main(args)`.

What it keeps of the platform:
- the environment: project.yml's `environment` (its `${VAR}`s resolved from the deploying
  shell's variables, unresolved ones empty) under the function's own, and the `__OW_*`
  variables of an activation (id, deadline, function name, namespace);
- the function's `limits.timeout` (the process is killed: a `timeout` activation);
- 1 MiB limits: a non-web invocation's arguments (refused before it runs) and every result
  (an `application error`, as DigitalOcean reports a response over the limit);
- web functions' arguments: `__ow_method`, `__ow_headers` (lowercase), `__ow_path`, and for
  raw ones (`web: raw`) `__ow_query` and `__ow_body` (base64 when binary); for `web: true`
  the query and a JSON body merged into the arguments;
- scheduled triggers: their `withBody` as the arguments.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAYLOAD_LIMIT_BYTES = 1024 * 1024
NAMESPACE = "fn-sxp-local"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LAUNCH = """
import json, runpy, sys
args = json.loads(sys.stdin.buffer.read())
result = runpy.run_path(sys.argv[1], run_name="__sxp_function__")["main"](args)
with open(sys.argv[2], "w") as out:
    json.dump(result, out)
"""


@dataclass
class Activation:
    name: str
    status: str  # success | timeout | application error | developer error
    result: dict[str, Any]
    elapsed_s: float
    stderr: str

    @property
    def body(self) -> Any:
        return self.result.get("body")


class FunctionsRuntime:
    def __init__(self, project: dict[str, Any], *, repo: Path, site_packages: Path,
                 deploy_env: dict[str, str], scratch: Path) -> None:
        (package,) = project["packages"]
        self.package = package["name"]
        self.functions = {f["name"]: f for f in package["functions"]}
        self.project_env = {k: _resolve(v, deploy_env)
                            for k, v in (project.get("environment") or {}).items()}
        self.triggers = {t["name"]: (f["name"], t) for f in self.functions.values()
                         for t in f.get("triggers") or []}
        self.repo, self.site_packages, self.scratch = repo, site_packages, scratch
        self.activations: list[Activation] = []

    def fire(self, trigger: str) -> Activation:
        """What the scheduler does at a trigger's time."""
        name, spec = self.triggers[trigger]
        assert spec["sourceType"] == "scheduler", spec
        return self.invoke(name, dict(spec["sourceDetails"].get("withBody") or {}))

    def request(self, name: str, method: str, *, body: bytes = b"", query: str = "",
                headers: dict[str, str] | None = None) -> dict[str, Any]:
        """An HTTPS request to a web function; its response (statusCode, headers, body)."""
        web = self.functions[name].get("web")
        assert web in (True, "raw"), f"{name} is not a web function"
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        args: dict[str, Any] = {"__ow_method": method.lower(), "__ow_headers": lowered,
                                "__ow_path": ""}
        if web == "raw":
            args["__ow_query"] = query
            try:
                args["__ow_body"] = body.decode() if _is_text(lowered) else ""
            except UnicodeDecodeError:
                args["__ow_body"] = ""
            if body and not args["__ow_body"]:
                args["__ow_body"] = base64.b64encode(body).decode()
        else:
            args.update(dict(urllib.parse.parse_qsl(query)))
            if body:
                args.update(json.loads(body))
        activation = self.invoke(name, args, web=True)
        assert activation.status == "success", activation
        return activation.result

    def invoke(self, name: str, args: dict[str, Any], *, web: bool = False) -> Activation:
        spec = self.functions[name]
        payload = json.dumps(args).encode()
        if not web and len(payload) > PAYLOAD_LIMIT_BYTES:
            raise ValueError(f"{name}: arguments over 1 MiB are refused before invocation")
        timeout_s = spec.get("limits", {}).get("timeout", 60000) / 1000
        folder = self.repo / "packages" / self.package / name
        result_path = self.scratch / f"result-{uuid.uuid4().hex}.json"
        env = self._environment(name, spec, timeout_s)
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, "-S", "-c", _LAUNCH, str(folder / "__main__.py"),
                 str(result_path)],
                input=payload, env=env, cwd=folder, capture_output=True, timeout=timeout_s,
                check=False)
        except subprocess.TimeoutExpired as exc:
            stderr = (exc.stderr or b"").decode(errors="replace")
            return self._record(Activation(name, "timeout", {}, timeout_s, stderr))
        elapsed = time.monotonic() - started
        stderr = proc.stderr.decode(errors="replace")
        if proc.returncode != 0 or not result_path.exists():
            return self._record(Activation(name, "developer error", {}, elapsed, stderr))
        raw = result_path.read_bytes()
        result_path.unlink()
        if len(raw) > PAYLOAD_LIMIT_BYTES:
            return self._record(Activation(
                name, "application error",
                {"error": "The function produced a response that exceeded the allowed length"},
                elapsed, stderr))
        return self._record(Activation(name, "success", json.loads(raw), elapsed, stderr))

    def _environment(self, name: str, spec: dict[str, Any], timeout_s: float) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": str(self.scratch / "fn-home"), "LANG": "C.UTF-8",
               "PYTHONPATH": str(self.site_packages)}
        env.update(self.project_env)
        env.update({k: str(v) for k, v in (spec.get("environment") or {}).items()})
        env.update({"__OW_ACTIVATION_ID": uuid.uuid4().hex, "__OW_NAMESPACE": NAMESPACE,
                    "__OW_ACTION_NAME": f"/{NAMESPACE}/{self.package}/{name}",
                    "__OW_DEADLINE": str(int((time.time() + timeout_s) * 1000))})
        return env

    def _record(self, activation: Activation) -> Activation:
        self.activations.append(activation)
        return activation


def _resolve(value: Any, variables: dict[str, str]) -> str:
    return _VAR.sub(lambda m: variables.get(m.group(1), ""), str(value))


def _is_text(headers: dict[str, str]) -> bool:
    kind = headers.get("content-type", "").lower()
    return kind.startswith("text/") or any(t in kind for t in ("json", "csv", "ndjson"))
