#!/usr/bin/env bash
# Validates the Kubernetes manifests offline: every file listed in the kustomization against one
# pinned Kubernetes version's schemas (strict, so unknown fields fail), shipped inside the pinned
# kubernetes-validate package from PyPI; then the references between them (ConfigMap and Secret
# keys, selectors, named ports, KEDA targets). Custom resources have no schema there and are only
# reference-checked. Exits non-zero on any problem.
#   scripts/validate-k8s.sh [DIR]        DIR defaults to deploy/kubernetes
#   K8S_VERSION=1.36 scripts/validate-k8s.sh    another Kubernetes version shipped in the package
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/deploy/kubernetes}"
[[ -d $dir ]] || { echo "validate-k8s: $dir is not a directory" >&2; exit 2; }
dir="$(cd "$dir" && pwd)"

kv_version=1.37.0
k8s_version="${K8S_VERSION:-1.33}"
venv="$HOME/.cache/ipscopy/k8s-venv"

if ! "$venv/bin/python" -c "import sys, kubernetes_validate.version as v; sys.exit(v.__version__ != '$kv_version')" 2>/dev/null; then
  echo "validate-k8s: installing kubernetes-validate==$kv_version into $venv"
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$kv_version"
fi

exec "$venv/bin/python" - "$dir" "$root" "$k8s_version" <<'PY'
import os
import shutil
import subprocess
import sys

import yaml
from kubernetes_validate import utils as kv
from kubernetes_validate.version import __version__ as kv_version

directory, root, k8s_version = sys.argv[1:4]

# Kinds whose schema is a CRD's, not Kubernetes's. The registry packages that model them
# (@kubernetes-models/keda and /prometheus-operator on npm, cloudcoil-models-* on PyPI) ship
# generated code, not the CRDs' JSON Schema, so these are checked for references only.
CUSTOM = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


class StrictLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; kubectl rejects them, so this loader does too."""


def construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)


def shown(path):
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel


def name_of(doc):
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"


failures = 0


def report(status, label, detail):
    global failures
    if status == "FAIL":
        failures += 1
    print(f"{status:<8} {label}: {detail}")


print(
    f"validate-k8s: {shown(directory)} against Kubernetes {k8s_version} "
    f"(kubernetes-validate {kv_version}, strict schemas)"
)

# The kustomization: every entry exists, none repeats, and no manifest is left out of it.
kustomization_path = os.path.join(directory, "kustomization.yaml")
kustomization, listed = {}, []
try:
    with open(kustomization_path) as f:
        kustomization = yaml.load(f, Loader=StrictLoader) or {}
    problems = []
    listed = kustomization.get("resources") or []
    for entry in listed:
        if "://" in entry or not os.path.exists(os.path.join(directory, entry)):
            problems.append(f"{entry} does not exist here")
    repeated = sorted({e for e in listed if listed.count(e) > 1})
    problems += [f"{e} listed twice" for e in repeated]
    manifests = sorted(
        f for f in os.listdir(directory)
        if f.endswith((".yaml", ".yml")) and f not in ("kustomization.yaml", "kustomization.yml")
    )
    problems += [f"{f} is not listed" for f in manifests if f not in listed]
    if problems:
        report("FAIL", "kustomization.yaml", "; ".join(problems))
    else:
        report("ok", "kustomization.yaml", f"{len(listed)} resources, all present, every manifest listed")
except (OSError, yaml.YAMLError) as e:
    report("FAIL", "kustomization.yaml", str(e).replace("\n", " "))
namespace = kustomization.get("namespace")

# Each listed file, document by document.
objects = []  # (file, doc)
skipped = 0
unparsed = 0
for entry in listed:
    path = os.path.join(directory, entry)
    if not os.path.isfile(path):
        continue
    try:
        with open(path) as f:
            docs = [d for d in yaml.load_all(f, Loader=StrictLoader) if d is not None]
    except yaml.YAMLError as e:
        unparsed += 1
        report("FAIL", entry, "not YAML: " + str(e).replace("\n", " "))
        continue
    if not docs:
        report("FAIL", entry, "no Kubernetes object in it")
        continue
    errors, names, custom = [], [], []
    for doc in docs:
        if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind") \
                or not (doc.get("metadata") or {}).get("name"):
            errors.append("a document without apiVersion, kind and metadata.name")
            continue
        names.append(name_of(doc))
        objects.append((entry, doc))
        ns = doc["metadata"].get("namespace")
        if namespace and ns and ns != namespace and doc["kind"] != "Namespace":
            errors.append(f"{name_of(doc)} is in namespace {ns}, the kustomization sets {namespace}")
        if (doc["apiVersion"], doc["kind"]) in CUSTOM:
            custom.append(name_of(doc))
            continue
        try:
            kv.validate(doc, k8s_version, strict=True)
        except kv.ValidationError as e:
            where = ".".join(str(p) for p in e.path) or "(top level)"
            errors.append(f"{name_of(doc)}: {where}: {e.message}")
        except kv.SchemaNotFoundError:
            errors.append(
                f"{name_of(doc)}: Kubernetes {k8s_version} has no {doc['kind']} in "
                f"{doc['apiVersion']} (a typo, a removed API, or a custom resource this script "
                f"does not know)"
            )
        except kv.VersionNotSupportedError:
            print(f"validate-k8s: kubernetes-validate {kv_version} has no schemas for Kubernetes {k8s_version}")
            sys.exit(2)
    if errors:
        report("FAIL", entry, "; ".join(errors))
    elif custom:
        skipped += 1
        report(
            "skipped", entry,
            f"{', '.join(custom)}: custom resource, no schema in kubernetes-validate "
            f"(references checked below)",
        )
    else:
        report("ok", entry, ", ".join(names))

# References between the objects: what a schema cannot see and `kubectl apply` would not catch
# until a pod fails to start or a monitor finds no target.
by_kind = {}
for entry, doc in objects:
    by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = (entry, doc)
problems = []
checked = 0


def need(condition, entry, message):
    global checked
    checked += 1
    if not condition:
        problems.append(f"{entry}: {message}")


def keys_of(kind, name):
    found = by_kind.get(kind, {}).get(name)
    if found is None:
        return None
    doc = found[1]
    return set(doc.get("data") or {}) | set(doc.get("stringData") or {}) | set(doc.get("binaryData") or {})


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


templates = []  # (entry, workload, its pod template)
for kind in sorted(WORKLOADS):
    for name, (entry, doc) in by_kind.get(kind, {}).items():
        workload_spec = doc.get("spec") or {}
        template = workload_spec.get("template") or {}
        templates.append((entry, f"{kind}/{name}", template))
        if kind != "Job":
            selector = (workload_spec.get("selector") or {}).get("matchLabels") or {}
            labels = (template.get("metadata") or {}).get("labels") or {}
            need(matches(selector, labels), entry, f"{kind}/{name}: selector does not match its pod labels")

for entry, workload, template in templates:
    spec = template.get("spec") or {}
    account = spec.get("serviceAccountName")
    if account and account != "default":
        need(account in by_kind.get("ServiceAccount", {}), entry, f"{workload}: no ServiceAccount {account}")
    containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
    names = {c.get("name") for c in containers}
    for c in containers:
        where = f"{workload} container {c.get('name')}"
        ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or [] if p.get("name")}
        for source in c.get("envFrom") or []:
            for ref_key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = source.get(ref_key)
                if ref and not ref.get("optional"):
                    need(keys_of(kind, ref.get("name")) is not None, entry, f"{where}: no {kind} {ref.get('name')}")
        for var in c.get("env") or []:
            value_from = var.get("valueFrom") or {}
            for ref_key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = value_from.get(ref_key)
                if ref and not ref.get("optional"):
                    keys = keys_of(kind, ref.get("name"))
                    need(keys is not None and ref.get("key") in keys, entry,
                         f"{where}: {var.get('name')} wants key {ref.get('key')} of {kind} {ref.get('name')}")
            field = value_from.get("resourceFieldRef")
            if field and field.get("containerName"):
                need(field["containerName"] in names, entry,
                     f"{where}: {var.get('name')} reads the resources of unknown container {field['containerName']}")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            port = ((c.get(probe) or {}).get("httpGet") or {}).get("port")
            if isinstance(port, str):
                need(port in ports, entry, f"{where}: {probe} uses port {port}, which it does not declare")
        mounts = {m.get("name") for m in c.get("volumeMounts") or []}
        volumes = {v.get("name") for v in spec.get("volumes") or []}
        for mount in sorted(mounts - volumes):
            need(False, entry, f"{where}: mounts unknown volume {mount}")
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    if annotations.get("prometheus.io/scrape") == "true":
        declared = {str(p.get("containerPort")) for c in containers for p in c.get("ports") or []}
        need(annotations.get("prometheus.io/port") in declared, entry,
             f"{workload}: prometheus.io/port {annotations.get('prometheus.io/port')} is no container port")


def pods_selected(selector):
    return [t for t in templates if matches(selector, (t[2].get("metadata") or {}).get("labels") or {})]


def pod_port_names(selected):
    return {
        p.get("name")
        for _, _, t in selected
        for c in (t.get("spec") or {}).get("containers") or []
        for p in c.get("ports") or []
    }


for name, (entry, doc) in by_kind.get("Service", {}).items():
    selected = pods_selected((doc.get("spec") or {}).get("selector") or {})
    need(selected, entry, f"Service/{name}: selects no pod template")
    for port in (doc.get("spec") or {}).get("ports") or []:
        if isinstance(port.get("targetPort"), str):
            need(port["targetPort"] in pod_port_names(selected), entry,
                 f"Service/{name}: targetPort {port['targetPort']} is no port of the pods it selects")

for name, (entry, doc) in by_kind.get("PodDisruptionBudget", {}).items():
    selector = ((doc.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    need(pods_selected(selector), entry, f"PodDisruptionBudget/{name}: selects no pod template")

for name, (entry, doc) in by_kind.get("ServiceMonitor", {}).items():
    selector = ((doc.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    services = [d for _, d in by_kind.get("Service", {}).values()
                if matches(selector, (d.get("metadata") or {}).get("labels") or {})]
    need(services, entry, f"ServiceMonitor/{name}: selects no Service")
    service_ports = {p.get("name") for s in services for p in (s.get("spec") or {}).get("ports") or []}
    for endpoint in (doc.get("spec") or {}).get("endpoints") or []:
        need(endpoint.get("port") in service_ports, entry,
             f"ServiceMonitor/{name}: no selected Service has a port named {endpoint.get('port')}")

for name, (entry, doc) in by_kind.get("PodMonitor", {}).items():
    selected = pods_selected(((doc.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
    need(selected, entry, f"PodMonitor/{name}: selects no pod template")
    for endpoint in (doc.get("spec") or {}).get("podMetricsEndpoints") or []:
        need(endpoint.get("port") in pod_port_names(selected), entry,
             f"PodMonitor/{name}: no selected pod has a port named {endpoint.get('port')}")

for name, (entry, doc) in by_kind.get("TriggerAuthentication", {}).items():
    for ref in (doc.get("spec") or {}).get("secretTargetRef") or []:
        keys = keys_of("Secret", ref.get("name"))
        need(keys is not None and ref.get("key") in keys, entry,
             f"TriggerAuthentication/{name}: wants key {ref.get('key')} of Secret {ref.get('name')}")

for name, (entry, doc) in by_kind.get("ScaledObject", {}).items():
    spec = doc.get("spec") or {}
    target = spec.get("scaleTargetRef") or {}
    target_kind = target.get("kind", "Deployment")
    workload = by_kind.get(target_kind, {}).get(target.get("name"))
    need(workload is not None, entry, f"ScaledObject/{name}: no {target_kind} {target.get('name')} to scale")
    if workload is not None:
        need("replicas" not in (workload[1].get("spec") or {}), workload[0],
             f"{target_kind}/{target.get('name')}: sets replicas, which every apply would reset under KEDA")
    for trigger in spec.get("triggers") or []:
        for key, value in (trigger.get("metadata") or {}).items():
            need(isinstance(value, str), entry,
                 f"ScaledObject/{name}: trigger {trigger.get('name') or trigger.get('type')} metadata {key} must be a string")
        ref = trigger.get("authenticationRef")
        if ref:
            ref_kind = ref.get("kind", "TriggerAuthentication")
            need(ref.get("name") in by_kind.get(ref_kind, {}), entry,
                 f"ScaledObject/{name}: no {ref_kind} {ref.get('name')}")

if namespace:
    need(namespace in by_kind.get("Namespace", {}), "kustomization.yaml", f"no Namespace {namespace} among the resources")

if unparsed:
    # Whatever the unreadable file defined would show up here as a string of missing objects.
    print(f"{'skipped':<8} references: not checked while a file does not parse")
elif problems:
    for problem in problems:
        report("FAIL", "references", problem)
else:
    report("ok", "references", f"{checked} checked, all resolve")

# kubectl, where installed, also builds the kustomization as `kubectl apply -k` would.
kubectl = shutil.which("kubectl")
if kubectl is None:
    print(f"{'skipped':<8} kustomize build: kubectl not installed")
else:
    built = subprocess.run([kubectl, "kustomize", directory], capture_output=True, text=True)
    if built.returncode != 0:
        report("FAIL", "kustomize build", built.stderr.strip().replace("\n", " "))
    else:
        count = sum(1 for d in yaml.safe_load_all(built.stdout) if d)
        report("ok", "kustomize build", f"{count} objects")

if failures:
    print(f"validate-k8s: FAILED, {failures} line(s) marked FAIL above")
    sys.exit(1)
print(
    f"validate-k8s: all {len(listed)} manifests pass ({skipped} with custom resources: "
    f"references only)"
)
PY
