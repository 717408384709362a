#!/usr/bin/env python3
"""Writes the tree `cargo bench --bench render` builds (benches/render.rs `generate`): N copies of
3 Deployments + 3 Services + 1 ConfigMap in DIR/base, and DIR/overlays/staging with namespace,
labels, commonAnnotations, images, strategic-merge patches with labelSelector targets and a
configMapGenerator. Usage: gen-overlay.py DEPLOYMENTS DIR (prints the overlay directory)."""
import os
import sys

SERVICES = ["auth", "embedder", "media-clustering"]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    deployments, root = int(sys.argv[1]), sys.argv[2]
    copies = max(1, -(-deployments // 3))
    base_k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
    for c in range(copies):
        text = ""
        for s in SERVICES:
            name = f"{s}-{c}"
            text += (
                f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n"
                f"    app.kubernetes.io/name: {s}\n    app.kubernetes.io/instance: {name}\n"
                f"    app.kubernetes.io/part-of: media\nspec:\n  replicas: 1\n  selector:\n"
                f"    matchLabels:\n      app.kubernetes.io/instance: {name}\n  template:\n"
                f"    metadata:\n      labels:\n        app.kubernetes.io/instance: {name}\n"
                f"        app.kubernetes.io/name: {s}\n    spec:\n      containers:\n"
                f"      - name: {s}\n        image: sploot/python-base:3.11-cpu\n"
                f"        args: [\"--port\", \"8080\"]\n        ports:\n        - containerPort: 8080\n"
                f"          name: http\n        env:\n        - name: LOG_LEVEL\n          value: info\n"
                f"        - name: ENABLE_EMBEDDING_EVENT_STREAMS\n          value: \"0\"\n"
                f"        envFrom:\n        - configMapRef:\n            name: media-config-{c}\n"
                f"        resources:\n          limits: {{cpu: \"1\", memory: 512Mi}}\n"
                f"          requests: {{cpu: 100m, memory: 128Mi}}\n        readinessProbe:\n"
                f"          httpGet: {{path: /healthz, port: http}}\n---\napiVersion: v1\n"
                f"kind: Service\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/name: {s}\n"
                f"spec:\n  selector:\n    app.kubernetes.io/instance: {name}\n  ports:\n"
                f"  - port: 80\n    targetPort: http\n---\n"
            )
        text += (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: media-config-{c}\ndata:\n"
            f"  REDIS_URL: redis://redis:6379/0\n  WORKERS: \"4\"\n"
        )
        write(f"{root}/base/copy-{c}.yaml", text)
        base_k += f"- copy-{c}.yaml\n"
    write(f"{root}/base/kustomization.yaml", base_k)
    overlay = f"{root}/overlays/staging"
    write(
        f"{overlay}/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: media\n"
        "resources:\n- ../../base\nlabels:\n- pairs:\n    environment: staging\n"
        "  includeSelectors: false\ncommonAnnotations:\n  rollout.sploot.io/spec: rollout.yaml\n"
        "images:\n- name: sploot/python-base\n  newTag: 3.11-cpu-20260101\npatches:\n"
        "- path: flag-on.yaml\n  target:\n    kind: Deployment\n"
        "    labelSelector: app.kubernetes.io/name in (auth,embedder)\n- path: replicas.yaml\n"
        "  target:\n    kind: Deployment\n    labelSelector: app.kubernetes.io/part-of=media\n"
        "configMapGenerator:\n- name: rollout-flags\n  literals:\n"
        "  - ENABLE_EMBEDDING_EVENT_STREAMS=1\n",
    )
    write(
        f"{overlay}/flag-on.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\nspec:\n  template:\n"
        "    spec:\n      containers:\n      - name: auth\n        env:\n"
        "        - name: ENABLE_EMBEDDING_EVENT_STREAMS\n          value: \"1\"\n",
    )
    write(
        f"{overlay}/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\nspec:\n  replicas: 2\n",
    )
    print(overlay)


main()
