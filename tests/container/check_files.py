#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# ctest container_files (unit): what can be checked of the container files without running them — the files the
# Grafana/OpenTelemetry profile mounts cannot be tried here (their images cannot be pulled). compose.yaml and its
# host-network override parse, every bind-mount source exists, the override names only services of the base file,
# the provisioning YAML parses and names the datasource uid every dashboard panel uses, the OpenTelemetry collector
# config wires its pipeline to defined parts, and the Dockerfile keeps its promises (exec-form ENTRYPOINT,
# HEALTHCHECK, non-root USER, OCI labels, headless build).
import json
import pathlib
import re
import sys

import yaml

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


base = yaml.safe_load((root / "compose.yaml").read_text())
host = yaml.safe_load((root / "compose.hostnet.yaml").read_text())
services = base["services"]
check({"mosquitto", "postgres", "prometheus", "subscriber", "grafana", "otel-collector"} <= services.keys(),
      f"compose.yaml services: {sorted(services)}")
for name, svc in host["services"].items():
    check(name in services, f"compose.hostnet.yaml: service {name} is not in compose.yaml")
    check(svc.get("network_mode") == "host", f"compose.hostnet.yaml: {name} without network_mode: host")
for name in ("grafana", "otel-collector"):
    check(services[name].get("profiles") == ["observability"], f"{name} is not in the observability profile")
for name, svc in services.items():
    if "build" in svc:
        ctx = root / svc["build"]["context"]
        check((ctx / svc["build"].get("dockerfile", "Dockerfile")).is_file(), f"{name}: no build file in {ctx}")
        check("/" not in svc["image"].split(":")[0], f"{name}: a locally built image with a registry name: {svc['image']}")
    for vol in svc.get("volumes", []):
        src = vol.split(":")[0]
        if src.startswith("./"):
            check((root / src).exists(), f"{name}: bind-mount source {src} is missing")
        else:
            check(src in (base.get("volumes") or {}), f"{name}: volume {src} is not declared")

prov = root / "containers/grafana/provisioning"
ds = yaml.safe_load((prov / "datasources/prometheus.yml").read_text())["datasources"]
uids = {d["uid"] for d in ds}
dash_prov = yaml.safe_load((prov / "dashboards/iot-subscriber.yml").read_text())["providers"][0]
grafana_mounts = dict(v.split(":")[:2][::-1] for v in services["grafana"]["volumes"] if v.startswith("./"))
check(dash_prov["options"]["path"] in grafana_mounts, "the dashboard provider's path is not mounted")
dashboard = json.loads((root / "containers/grafana/dashboards/iot-subscriber.json").read_text())
ids = set()
for p in dashboard["panels"]:
    check(p["id"] not in ids, f"panel id {p['id']} twice")
    ids.add(p["id"])
    check(p["datasource"]["uid"] in uids, f"panel {p['title']}: datasource {p['datasource']} not provisioned")
    for t in p["targets"]:
        check(t["datasource"]["uid"] in uids, f"panel {p['title']}: target datasource not provisioned")
        check("iot_subscriber_" in t["expr"] or t["expr"].startswith("up{"), f"unexpected expression {t['expr']}")

otel = yaml.safe_load((root / "containers/otel-collector/config.yaml").read_text())
for pname, pipe in otel["service"]["pipelines"].items():
    for kind in ("receivers", "processors", "exporters"):
        for part in pipe.get(kind, []):
            check(part in (otel.get(kind) or {}), f"otel pipeline {pname}: {kind[:-1]} {part} is not defined")

prom = yaml.safe_load((root / "containers/prometheus/prometheus.yml").read_text())
targets = [t for sc in prom["scrape_configs"] for s in sc["static_configs"] for t in s["targets"]]
check(targets == ["subscriber:8001"], f"prometheus.yml targets {targets} (compose.hostnet.yaml rewrites subscriber:8001)")

docker = (root / "Dockerfile").read_text()
for pattern, what in [(r'^ENTRYPOINT \[', "exec-form ENTRYPOINT"), (r"^HEALTHCHECK .*CMD", "HEALTHCHECK"),
                      (r"^USER (?!root)\S+", "a non-root USER"), (r"-DIOT_BUILD_GUI=OFF", "the headless build"),
                      (r"-DIOT_BUILD_TESTS=OFF", "no tests in the build"), (r"^VOLUME ", "a VOLUME"),
                      (r"org\.opencontainers\.image\.version", "OCI version label"),
                      (r"org\.opencontainers\.image\.source", "OCI source label"),
                      (r"org\.opencontainers\.image\.licenses", "OCI licence label")]:
    check(re.search(pattern, docker, re.M), f"Dockerfile: no {what}")
config = (root / "containers/subscriber/config.toml").read_text()
check("password" not in re.sub(r"#.*", "", config), "the image's config.toml holds a password")

for e in errors:
    print("container_files:", e, file=sys.stderr)
print(f"container_files: {len(errors)} problem(s); {len(dashboard['panels'])} panels, {len(services)} services")
sys.exit(1 if errors else 0)
