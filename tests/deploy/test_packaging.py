"""The packaging past one machine (deploy/): the image, the compose file, the Kubernetes manifests.

No cluster, daemon or network is needed: the manifests are checked against the Kubernetes API's schemas
that `kubernetes-validate` bundles, the compose file against the Compose specification's schema that
`check-jsonschema` vendors (both dev dependencies in pyproject.toml), and the Dockerfile is read as text.
Then what matters to thidua: every service of thidua/registry.py is deployed, probed on the right paths and
ports, budgeted for disruptions and run as non-root; NATS is three nodes routed to each other with JetStream
syncing every write; streams are replicated three times.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from thidua import registry

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
# The Kubernetes version the manifests are checked against (one whose schemas kubernetes-validate bundles):
# the oldest still supported where this is deployed; policy/v1 budgets and batch/v1 Jobs are in all since 1.21.
K8S_VERSION = "1.31.0"
NOT_KUBERNETES_OBJECTS = {"kustomization.yaml", "nats-values.yaml"}  # kustomize's and Helm's input
HEALTH_LIVE, HEALTH_SERVING = "/health/live", "/health/serving"
NATS_NODES = ("nats-1", "nats-2", "nats-3")


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def k8s_objects() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.name, doc)
        for path in sorted(K8S.glob("*.yaml"))
        if path.name not in NOT_KUBERNETES_OBJECTS
        for doc in load_all(path)
    ]


def find(kind: str, name: str) -> dict[str, Any]:
    found = [doc for _, doc in k8s_objects() if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def compose() -> dict[str, Any]:
    doc = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(doc, dict)
    return doc


def compose_schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(vendored.read_text())
    assert isinstance(schema, dict)
    return schema


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def known_settings() -> set[str]:
    """Every variable the services read (shared/settings.py), per-service database URLs included."""
    text = (ROOT / "shared" / "settings.py").read_text()
    names = set(re.findall(r'env\.get\("([A-Z_]+)"', text))
    return names | {f"{name.upper()}_DATABASE_URL" for name in registry.NAMES}


# --- the Kubernetes manifests ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(p.name for p in K8S.glob("*.yaml") if p.name not in NOT_KUBERNETES_OBJECTS))
def test_each_manifest_is_valid_against_the_kubernetes_schemas(path: str) -> None:
    docs = load_all(K8S / path)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_schemas_reject_a_misspelt_field() -> None:
    deployment = find("Deployment", "units")
    probe = deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]
    probe["httpGet"]["pth"] = probe["httpGet"].pop("path")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_kustomization_applies_every_manifest_but_the_secret_template() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    assert all((K8S / name).is_file() for name in listed)
    manifests = {p.name for p in K8S.glob("*.yaml")} - NOT_KUBERNETES_OBJECTS
    assert set(listed) == manifests - {"secret.example.yaml"}
    images = {image["name"] for image in kustomization["images"]}
    used = {c["image"].split(":")[0] for _, doc in k8s_objects() for c in pod_spec(doc).get("containers", [])}
    assert used == images == {"thidua"}


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["kind"] in ("Deployment", "Job"):
        spec = doc["spec"]["template"]["spec"]
        assert isinstance(spec, dict)
        return spec
    return {}


@pytest.mark.parametrize("name", registry.NAMES)
def test_each_service_is_deployed_probed_and_budgeted(name: str) -> None:
    port = registry.default_port(name)
    assert (ROOT / "services" / name / "asgi.py").is_file()

    deployment = find("Deployment", name)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert deployment["spec"]["replicas"] >= 2  # a budget of one unavailable pod then allows a drain
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["SERVICE"] == name and env["PORT"] == str(port)
    assert container["args"] == ["serve"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": port}
    for probe, path in (
        ("livenessProbe", HEALTH_LIVE),
        ("readinessProbe", HEALTH_SERVING),
        ("startupProbe", HEALTH_LIVE),
    ):
        assert container[probe]["httpGet"]["path"] == path, probe
        assert ports[container[probe]["httpGet"]["port"]] == port, probe
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= container["resources"][kind].keys(), kind
    refs = [next(iter(source.values()))["name"] for source in container["envFrom"]]
    assert refs == ["thidua-settings", "thidua-secrets"]

    service = find("Service", name)
    assert service["spec"]["selector"].items() <= labels.items()
    (service_port,) = service["spec"]["ports"]
    assert service_port["port"] == port and service_port["targetPort"] == "http"

    budget = find("PodDisruptionBudget", name)
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("kind_name", [("Deployment", n) for n in registry.NAMES] + [("Job", "thidua-migrate")])
def test_pods_run_as_non_root_on_a_read_only_root(kind_name: tuple[str, str]) -> None:
    spec = pod_spec(find(*kind_name))
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert spec["automountServiceAccountToken"] is False
    mounts = {v["name"] for v in spec["volumes"]}
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        # the only place written: multipart uploads past the spool size
        assert {m["mountPath"]: m["name"] for m in container["volumeMounts"]} == {"/tmp": "tmp"}
        assert "tmp" in mounts


def test_the_migration_job_runs_thidua_migrate() -> None:
    job = find("Job", "thidua-migrate")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["thidua", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")


def test_the_settings_are_settings_the_services_read() -> None:
    config = find("ConfigMap", "thidua-settings")["data"]
    secret = load_all(K8S / "secret.example.yaml")[0]["stringData"]
    known = known_settings()
    assert set(config) <= known, set(config) - known
    assert set(secret) <= known, set(secret) - known
    assert "DATABASE_URL" in secret and "DATABASE_URL" not in config  # the password stays in the Secret
    per_service = {f"{name.upper()}_DATABASE_URL" for name in registry.NAMES}  # optional overrides
    missing = known - per_service - set(config) - set(secret)
    assert not missing, f"settings the services read that settings.yaml does not set: {missing}"
    assert config["NATS_STREAM_REPLICAS"] == "3"
    assert all(isinstance(value, str) for value in config.values())
    for name in registry.NAMES:
        if name != "console":  # the console reaches the other three
            assert config[f"{name.upper()}_URL"] == f"http://{name}:{registry.default_port(name)}"


def test_nats_comes_from_the_chart_as_three_clustered_jetstream_servers() -> None:
    values = yaml.safe_load((K8S / "nats-values.yaml").read_text())
    cluster, jetstream = values["config"]["cluster"], values["config"]["jetstream"]
    assert cluster["enabled"] is True and cluster["replicas"] == 3
    assert jetstream["enabled"] is True
    assert jetstream["fileStore"]["enabled"] is True and jetstream["fileStore"]["pvc"]["enabled"] is True
    assert jetstream["merge"]["sync_interval"] == "always"
    assert values["podDisruptionBudget"]["enabled"] is True
    # the services list the chart's three pods (release `nats`: nats-0.. behind nats-headless)
    urls = find("ConfigMap", "thidua-settings")["data"]["NATS_URL"].split(",")
    assert urls == [f"nats://nats-{i}.nats-headless:4222" for i in range(cluster["replicas"])]


# --- the compose file --------------------------------------------------------------------------------------


def test_compose_is_valid_against_the_compose_specification() -> None:
    jsonschema.validate(compose(), compose_schema())


def test_the_compose_schema_rejects_a_mistake() -> None:
    broken = compose()
    broken["services"]["units"]["depends_on"]["migrate"]["condition"] = "service_done"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, compose_schema())


def test_compose_runs_three_nats_nodes_routed_to_each_other() -> None:
    services = compose()["services"]
    conf_text = (DEPLOY / "compose" / "nats.conf").read_text()
    routes = set(re.findall(r"nats-route://([\w-]+):6222", conf_text))
    assert routes == set(NATS_NODES)
    assert re.search(r"^\s*sync_interval:\s*always\s*$", conf_text, re.M)
    assert re.search(r"^server_name:\s*\$SERVER_NAME\s*$", conf_text, re.M)
    names = set()
    for node in NATS_NODES:
        nats = services[node]
        assert nats["image"].startswith("nats:")
        assert "./compose/nats.conf:/etc/nats/thidua.conf:ro" in nats["volumes"]
        assert nats["command"] == ["--config", "/etc/nats/thidua.conf"]
        assert any(v.startswith(f"{node}:/data") for v in nats["volumes"])  # each its own store
        assert "healthcheck" in nats
        names.add(nats["environment"]["SERVER_NAME"])
    assert names == set(NATS_NODES)
    nodes = {name for name in services if name.startswith("nats")}
    assert nodes == set(NATS_NODES)


def test_compose_runs_postgres_a_migration_and_every_service() -> None:
    doc = compose()
    services = doc["services"]
    env = env_file(DEPLOY / "compose" / "thidua.env")
    assert set(env) - {"POSTGRES_USER", "POSTGRES_PASSWORD"} <= known_settings()
    assert env["NATS_STREAM_REPLICAS"] == "3"
    assert env["NATS_URL"].split(",") == [f"nats://{node}:4222" for node in NATS_NODES]
    assert env["DATABASE_URL"].split("@")[1].startswith("postgres:5432/")
    assert f":{env['POSTGRES_PASSWORD']}@" in env["DATABASE_URL"]

    assert services["postgres"]["image"].split(":")[0] == "postgres"  # the official image: unaccent, pg_trgm
    migrate = services["migrate"]
    assert migrate["command"] == ["thidua", "migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"

    for name in registry.NAMES:
        service = services[name]
        port = registry.default_port(name)
        assert service["environment"]["SERVICE"] == name
        assert service["env_file"] == ["compose/thidua.env"]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["healthcheck"]["test"] == ["CMD", "thidua-entrypoint", "health"]
        assert service["ports"] == [f"127.0.0.1:{port}:{port}"]
        assert service["read_only"] is True
        depends = service["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert all(depends[node]["condition"] == "service_healthy" for node in NATS_NODES)
    assert all(
        env[f"{n.upper()}_URL"] == f"http://{n}:{registry.default_port(n)}" for n in ("units", "awards", "events")
    )


# --- the image ---------------------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(
        r"\\\n",
        " ",
        "\n".join(
            line for line in (DEPLOY / "Dockerfile").read_text().splitlines() if not line.lstrip().startswith("#")
        ),
    )
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.strip().partition(" ") for line in text.splitlines() if line.strip())
    ]


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def test_the_image_is_built_in_stages_and_runs_as_non_root() -> None:
    build, runtime = stages()
    assert re.fullmatch(r"python:\$\{PYTHON_VERSION\}-slim\S* AS build", build[0][1])
    assert re.fullmatch(r"python:\$\{PYTHON_VERSION\}-slim\S* AS runtime", runtime[0][1])
    assert any(i == "COPY" and args.startswith("--from=build ") for i, args in runtime)
    users = [args for i, args in runtime if i == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert all(i != "ADD" for i, _ in dockerfile_instructions())  # nothing fetched from a URL
    (healthcheck,) = [args for i, args in runtime if i == "HEALTHCHECK"]
    assert healthcheck.endswith('CMD ["thidua-entrypoint", "health"]')
    entrypoint = [json.loads(args) for i, args in runtime if i == "ENTRYPOINT"]
    assert entrypoint == [["thidua-entrypoint"]]
    assert [json.loads(args) for i, args in runtime if i == "CMD"] == [["serve"]]
    assert "COPY deploy/entrypoint.sh /usr/local/bin/thidua-entrypoint" in [f"{i} {a}" for i, a in runtime]


def test_the_image_python_is_the_projects() -> None:
    (arg,) = [args for i, args in dockerfile_instructions() if i == "ARG" and args.startswith("PYTHON_VERSION=")]
    version = arg.split("=", 1)[1]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'requires-python = ">={version}"' in pyproject
    assert f'python_version = "{version}"' in pyproject


def test_what_the_image_copies_exists_and_passes_the_dockerignore() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for instruction, args in dockerfile_instructions():
        if instruction == "COPY" and not args.startswith("--from="):
            *sources, _ = shlex.split(args)
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"


def test_the_image_leaves_out_only_the_local_servers() -> None:
    (install,) = [args for i, args in dockerfile_instructions() if i == "RUN" and "pip uninstall" in args]
    left_out = re.search(r"pip uninstall --yes ([\w -]+?)\s*&&", install)
    assert left_out is not None
    pyproject = (ROOT / "pyproject.toml").read_text()
    for package in left_out.group(1).split():
        assert f'"{package}>=' in pyproject  # still a dependency of `make run`, named as pyproject names it
        module = package.replace("-", "_")
        for path in [*(ROOT / "shared").rglob("*.py"), *(ROOT / "services").rglob("*.py")]:
            assert not re.search(rf"^\s*(import|from) {module}\b", path.read_text(), re.M), path


def entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(DEPLOY / "entrypoint.sh"), *args],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_entrypoint_knows_every_service_by_its_port() -> None:
    assert os.access(DEPLOY / "entrypoint.sh", os.X_OK)
    text = (DEPLOY / "entrypoint.sh").read_text()
    ports = {name: int(port) for name, port in re.findall(r"^\s*(\w+)\) echo (\d+) ;;", text, re.M)}
    assert ports == {name: registry.default_port(name) for name in registry.NAMES}
    assert "services.${SERVICE}.asgi:app" in text
    # anything but `serve` and `health` runs as given (`thidua migrate`); an unknown service is refused
    assert entrypoint("echo", "migrate").stdout == "migrate\n"
    refused = entrypoint("serve", SERVICE="payroll")
    assert refused.returncode == 2 and "SERVICE must be one of" in refused.stderr
