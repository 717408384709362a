#!/usr/bin/env python3
"""Generates a GitOps monorepo for the `rollout preview` benchmark, as a git repository with two
commits: base, then a change that touches N applications.

    scripts/gen-monorepo.py DIR [--apps 300] [--changed 20]

Layout (each application renders 11 resources over shared bases and components):
    bases/web/            Deployment, Service, ServiceAccount, HPA, PDB, Role, RoleBinding
    components/monitoring ServiceMonitor          components/netpol   NetworkPolicy
    apps/team-T/app-NNN/  kustomization (namespace, images, a replicas patch, a generated
                          ConfigMap and Secret, both components)
    argocd/apps/          one Argo CD Application per app for 4 of 5 apps
    argocd/fleet.yaml     an ApplicationSet (git directory generator) for apps under apps/fleet/
The change bumps the image tag and a config value of `--changed` applications (spread over teams
and the ApplicationSet). Output: the two commits are HEAD~1 (base) and HEAD (head).
"""

import argparse
import os
import subprocess
import sys

BASE = {
    "kustomization.yaml": """resources:
- deployment.yaml
- service.yaml
- serviceaccount.yaml
- hpa.yaml
- pdb.yaml
- rbac.yaml
""",
    "deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app.kubernetes.io/name: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app.kubernetes.io/name: web}
  template:
    metadata:
      labels: {app.kubernetes.io/name: web}
    spec:
      serviceAccountName: web
      containers:
      - name: web
        image: registry.example.com/web:1.0.0
        ports:
        - {name: http, containerPort: 8080}
        envFrom:
        - configMapRef: {name: web-config}
        - secretRef: {name: web-secret}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 500m, memory: 256Mi}
        readinessProbe:
          httpGet: {path: /healthz, port: http}
""",
    "service.yaml": """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app.kubernetes.io/name: web}
  ports:
  - {name: http, port: 80, targetPort: http}
""",
    "serviceaccount.yaml": """apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
""",
    "hpa.yaml": """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
""",
    "pdb.yaml": """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
  selector:
    matchLabels: {app.kubernetes.io/name: web}
""",
    "rbac.yaml": """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: web
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: web
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: web}
subjects:
- {kind: ServiceAccount, name: web}
""",
}

MONITORING = {
    "kustomization.yaml": """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
- servicemonitor.yaml
""",
    "servicemonitor.yaml": """apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: web
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: web}
  endpoints:
  - {port: http, interval: 30s}
""",
}

NETPOL = {
    "kustomization.yaml": """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
- networkpolicy.yaml
patches:
- path: deny-egress.yaml
  target: {kind: NetworkPolicy}
""",
    "networkpolicy.yaml": """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector:
    matchLabels: {app.kubernetes.io/name: web}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - {port: 8080}
""",
    "deny-egress.yaml": """- op: add
  path: /spec/policyTypes/-
  value: Egress
""",
}


def app_files(n, team, tag, level):
    return {
        "kustomization.yaml": f"""namespace: {team}
namePrefix: app-{n:03d}-
labels:
- pairs: {{app.kubernetes.io/part-of: app-{n:03d}, team: {team}}}
resources:
- ../../../bases/web
components:
- ../../../components/monitoring
- ../../../components/netpol
images:
- name: registry.example.com/web
  newTag: "{tag}"
patches:
- path: replicas.yaml
configMapGenerator:
- name: web-config
  literals:
  - LOG_LEVEL={level}
  - APP_ID=app-{n:03d}
secretGenerator:
- name: web-secret
  literals:
  - API_TOKEN=token-{n:03d}-{tag}
""",
        "replicas.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {2 + n % 3}
""",
    }


def application(n, team, path):
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-{n:03d}
  namespace: argocd
spec:
  project: {team}
  destination:
    server: https://kubernetes.default.svc
    namespace: {team}
  source:
    repoURL: https://git.example.com/platform/monorepo.git
    targetRevision: main
    path: {path}
"""


FLEET = """apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: fleet
  namespace: argocd
spec:
  generators:
  - git:
      repoURL: https://git.example.com/platform/monorepo.git
      revision: main
      directories:
      - path: apps/fleet/*
  template:
    metadata:
      name: '{{path.basename}}'
    spec:
      project: fleet
      destination:
        server: https://kubernetes.default.svc
        namespace: fleet
      source:
        repoURL: https://git.example.com/platform/monorepo.git
        targetRevision: main
        path: '{{path}}'
"""


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def layout(n):
    """(team, directory, via ApplicationSet) of application n."""
    if n % 5 == 4:
        return "fleet", f"apps/fleet/app-{n:03d}", True
    team = f"team-{n % 7}"
    return team, f"apps/{team}/app-{n:03d}", False


def git(root, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    subprocess.run(["git", *args], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--apps", type=int, default=300)
    ap.add_argument("--changed", type=int, default=20)
    a = ap.parse_args()
    root = a.dir
    if os.path.exists(root) and os.listdir(root):
        sys.exit(f"{root} is not empty")
    os.makedirs(root, exist_ok=True)
    for name, text in BASE.items():
        write(root, f"bases/web/{name}", text)
    for name, text in MONITORING.items():
        write(root, f"components/monitoring/{name}", text)
    for name, text in NETPOL.items():
        write(root, f"components/netpol/{name}", text)
    write(root, "argocd/fleet.yaml", FLEET)
    for n in range(a.apps):
        team, path, fleet = layout(n)
        for name, text in app_files(n, team, "1.0.0", "info").items():
            write(root, f"{path}/{name}", text)
        if not fleet:
            write(root, f"argocd/apps/app-{n:03d}.yaml", application(n, team, path))
    git(root, "init", "-q", "-b", "main")
    git(root, "remote", "add", "origin", "https://git.example.com/platform/monorepo.git")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    step = max(1, a.apps // max(1, a.changed))
    for n in range(0, a.apps, step)[: a.changed]:
        team, path, _ = layout(n)
        for name, text in app_files(n, team, "1.1.0", "debug").items():
            write(root, f"{path}/{name}", text)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", f"bump {a.changed} applications")
    print(f"{root}: {a.apps} applications, {a.changed} changed (HEAD~1 -> HEAD)")


if __name__ == "__main__":
    main()
