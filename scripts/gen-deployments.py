#!/usr/bin/env python3
"""Writes a render of N services (Deployment + Service, a ConfigMap for every third, one Namespace)
as one multi-document YAML stream, as `kubectl kustomize` would print it. For N=1002: 1,002
Deployments in 2,339 documents. Usage: gen-deployments.py N OUT."""
import sys

n, out = int(sys.argv[1]), sys.argv[2]
docs = ["apiVersion: v1\nkind: Namespace\nmetadata:\n  name: media\n"]
for i in range(n):
    name = f"svc-{i:04d}"
    docs.append(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels:
    app: {name}
    team: media
  name: {name}
  namespace: media
spec:
  replicas: 2
  selector:
    matchLabels:
      app: {name}
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
    type: RollingUpdate
  template:
    metadata:
      annotations:
        prometheus.io/scrape: "true"
      creationTimestamp: null
      labels:
        app: {name}
    spec:
      containers:
      - env:
        - name: ENABLE_EMBEDDING_EVENT_STREAMS
          value: "1"
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        envFrom:
        - configMapRef:
            name: settings
        image: sploot/{name}:3.11-cpu-4f2a9c1
        imagePullPolicy: IfNotPresent
        livenessProbe:
          httpGet:
            path: /healthz
            port: http
          initialDelaySeconds: 10
        name: {name}
        ports:
        - containerPort: 8080
          name: http
          protocol: TCP
        readinessProbe:
          httpGet:
            path: /ready
            port: 8080
        resources:
          limits:
            cpu: "1"
            memory: 512Mi
          requests:
            cpu: 250m
            memory: 256Mi
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
        volumeMounts:
        - mountPath: /tmp
          name: tmp
      - args:
        - --port=9090
        image: sploot/metrics-sidecar:1.4.2
        name: metrics
        ports:
        - containerPort: 9090
          name: metrics
      securityContext:
        runAsNonRoot: true
      serviceAccountName: {name}
      volumes:
      - emptyDir: {{}}
        name: tmp
""")
    docs.append(f"""apiVersion: v1
kind: Service
metadata:
  labels:
    app: {name}
  name: {name}
  namespace: media
spec:
  ports:
  - name: http
    port: 80
    targetPort: http
  selector:
    app: {name}
""")
    if i % 3 == 0:
        docs.append(f"""apiVersion: v1
data:
  LOG_LEVEL: info
  STREAM: embeddings-{i}
kind: ConfigMap
metadata:
  name: {name}-settings
  namespace: media
""")
with open(out, "w") as f:
    f.write("---\n".join(docs))
print(f"{out}: {sum(d.startswith('apiVersion: apps/v1') for d in docs)} Deployments, {len(docs)} documents")
