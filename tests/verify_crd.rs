//! `rollout verify` on custom resources as the API server takes them (issue 13): CEL
//! `x-kubernetes-validations`, defaults applied before validation, the structural extensions, and
//! the CRD manifests themselves checked. The CRDs here are written for these tests, in the shape of
//! well-known ones (Gateway API's HTTPRoute, cert-manager's Certificate, Argo Rollouts' Rollout).

use std::path::{Path, PathBuf};

use rollout::verify::{Report, Severity, VerifyOptions};

fn verify(paths: &[PathBuf]) -> Report {
    rollout::verify::run(&VerifyOptions {
        paths: paths.to_vec(),
        practices: rollout::verify::PracticeLevel::Off,
        ..VerifyOptions::default()
    })
    .expect("verify runs")
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// (code, severity, line:col, message) of every diagnostic, notes included.
fn found(r: &Report) -> Vec<(String, Severity, String, String)> {
    r.diagnostics
        .iter()
        .map(|d| {
            let at = d
                .span
                .as_ref()
                .map(|s| format!("{}:{}", s.line, s.col))
                .unwrap_or_default();
            (d.code.clone(), d.severity, at, d.message.clone())
        })
        .collect()
}

const HTTPROUTE_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: httproutes.gateway.example.io
spec:
  group: gateway.example.io
  names:
    kind: HTTPRoute
    listKind: HTTPRouteList
    plural: httproutes
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              hostnames:
                type: array
                maxItems: 16
                items:
                  type: string
                  pattern: ^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
              parentRefs:
                type: array
                maxItems: 32
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string, maxLength: 253}
                    sectionName: {type: string, maxLength: 253}
                x-kubernetes-validations:
                - message: sectionName must be unique when parentRefs includes 2 or more references to the same parent
                  rule: self.all(p1, self.exists_one(p2, p1.name == p2.name && ((!has(p1.sectionName) && !has(p2.sectionName)) || (has(p1.sectionName) && has(p2.sectionName) && p1.sectionName == p2.sectionName))))
              rules:
                type: array
                maxItems: 16
                items:
                  type: object
                  properties:
                    matches:
                      type: array
                      maxItems: 64
                      items:
                        type: object
                        properties:
                          path:
                            type: object
                            default: {type: PathPrefix, value: /}
                            properties:
                              type:
                                type: string
                                default: PathPrefix
                                enum: [Exact, PathPrefix, RegularExpression]
                              value:
                                type: string
                                maxLength: 1024
                                default: /
                            x-kubernetes-validations:
                            - message: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']
                              fieldPath: .value
                              rule: "(self.type in ['Exact', 'PathPrefix']) ? self.value.startsWith('/') : true"
                            - message: must not contain '//' when type one of ['Exact', 'PathPrefix']
                              rule: "(self.type in ['Exact', 'PathPrefix']) ? !self.value.contains('//') : true"
                    backendRefs:
                      type: array
                      maxItems: 16
                      items:
                        type: object
                        required: [name]
                        properties:
                          name: {type: string}
                          port: {type: integer, minimum: 1, maximum: 65535}
                          weight: {type: integer, default: 1}
                    timeouts:
                      type: object
                      properties:
                        request: {type: string}
                        backendRequest: {type: string}
                      x-kubernetes-validations:
                      - message: backendRequest timeout cannot be longer than request timeout
                        rule: "!(has(self.request) && has(self.backendRequest) && duration(self.request) != duration('0s') && duration(self.backendRequest) > duration(self.request))"
                  x-kubernetes-validations:
                  - message: RequestRedirect filter must not be used together with backendRefs
                    rule: "!has(self.backendRefs) || size(self.backendRefs) == 0 || self.backendRefs.all(b, b.weight >= 0)"
"#;

#[test]
fn httproute_cel_rules_fail_at_the_field_with_the_rules_message() {
    let dir = tempfile::tempdir().unwrap();
    // The CRD sits beside the route: no --crd needed.
    write(dir.path(), "crd.yaml", HTTPROUTE_CRD);
    let route = write(
        dir.path(),
        "route.yaml",
        r#"apiVersion: gateway.example.io/v1
kind: HTTPRoute
metadata:
  name: media
  namespace: media
spec:
  hostnames: [media.example.com]
  parentRefs:
  - name: gw
    sectionName: https
  - name: gw
    sectionName: https
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: api
    - path:
        value: /a//b
    - {}
    backendRefs:
    - name: auth
      port: 8080
    timeouts:
      request: 10s
      backendRequest: 20s
"#,
    );
    let r = verify(&[dir.path().to_path_buf()]);
    let got = found(&r);
    let errors: Vec<_> = got
        .iter()
        .filter(|g| g.1 == Severity::Error)
        .map(|g| (g.0.as_str(), g.2.as_str(), g.3.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (
                "cel-rule",
                "8:3",
                "spec.parentRefs: Invalid value: sectionName must be unique when parentRefs includes 2 or more references to the same parent"
            ),
            (
                "cel-rule",
                "17:9",
                "spec.rules[0].matches[0].path.value: Invalid value: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"
            ),
            (
                "cel-rule",
                "18:7",
                "spec.rules[0].matches[1].path: Invalid value: must not contain '//' when type one of ['Exact', 'PathPrefix']"
            ),
            (
                "cel-rule",
                "24:5",
                "spec.rules[0].timeouts: Invalid value: backendRequest timeout cannot be longer than request timeout"
            ),
        ],
        "{got:#?}"
    );
    // The rule with CEL durations is evaluated: no rule is left unchecked.
    assert!(!got.iter().any(|g| g.1 == Severity::Warning), "{got:#?}");
    assert!(r.inputs.iter().any(|i| i.path == route && i.objects == 1));
    // The defaulted third match ({} → path PathPrefix "/") passes its rules.
    assert!(!got.iter().any(|g| g.3.contains("matches[2]")), "{got:#?}");

    // A valid route is clean.
    std::fs::write(
        &route,
        "apiVersion: gateway.example.io/v1\nkind: HTTPRoute\nmetadata: {name: ok}\nspec:\n  parentRefs: [{name: gw, sectionName: a}, {name: gw, sectionName: b}]\n  rules:\n  - matches: [{path: {type: Exact, value: /healthz}}, {path: {type: RegularExpression, value: 'x+'}}]\n",
    )
    .unwrap();
    let r = verify(&[dir.path().to_path_buf()]);
    assert_eq!(r.counts().errors, 0, "{:#?}", found(&r));
    assert_eq!(r.counts().warnings, 0, "{:#?}", found(&r));
}

const CERTIFICATE_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: certificates.cert.example.io
spec:
  group: cert.example.io
  names: {kind: Certificate, listKind: CertificateList, plural: certificates, singular: certificate}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [secretName, issuerRef]
            properties:
              secretName: {type: string}
              commonName: {type: string, maxLength: 64}
              dnsNames: {type: array, items: {type: string}}
              duration: {type: string, pattern: '(?i)^([0-9]+(\.[0-9]+)?(h|m|s))+\z'}
              usages:
                type: array
                x-kubernetes-list-type: set
                items: {type: string, enum: [digital signature, key encipherment, server auth, client auth]}
              privateKey:
                type: object
                default: {}
                required: [rotationPolicy]
                properties:
                  rotationPolicy: {type: string, enum: [Never, Always], default: Always}
                  size: {type: integer}
                  algorithm: {type: string, enum: [RSA, ECDSA, Ed25519], default: RSA}
                x-kubernetes-validations:
                - rule: "self.algorithm != 'RSA' || !has(self.size) || self.size >= 2048"
                  message: RSA keys must be at least 2048 bits
                  fieldPath: .size
                  reason: FieldValueInvalid
              issuerRef:
                type: object
                required: [name]
                properties:
                  name: {type: string}
                  kind: {type: string, default: Issuer}
                  group: {type: string, default: cert.example.io}
                x-kubernetes-validations:
                - rule: self.kind in ['Issuer', 'ClusterIssuer'] || self.group != 'cert.example.io'
                  messageExpression: "'unknown issuer kind ' + self.kind"
            x-kubernetes-validations:
            - rule: has(self.commonName) || (has(self.dnsNames) && size(self.dnsNames) > 0)
              message: at least one of commonName or dnsNames must be set
"#;

#[test]
fn certificate_defaults_apply_before_schema_and_rules() {
    let dir = tempfile::tempdir().unwrap();
    let crd = write(dir.path(), "crds/certificate.yaml", CERTIFICATE_CRD);
    let cert = write(
        dir.path(),
        "cert.yaml",
        r#"apiVersion: cert.example.io/v1
kind: Certificate
metadata: {name: ok, namespace: media}
spec:
  secretName: ok-tls
  dnsNames: [media.example.com]
  duration: 2160H
  issuerRef: {name: letsencrypt}
---
apiVersion: cert.example.io/v1
kind: Certificate
metadata: {name: weak, namespace: media}
spec:
  secretName: weak-tls
  commonName: weak.example.com
  privateKey:
    size: 1024
  issuerRef:
    name: x
    kind: Vault
---
apiVersion: cert.example.io/v1
kind: Certificate
metadata: {name: nameless, namespace: media}
spec:
  secretName: nameless-tls
  duration: 90d
  issuerRef: {name: x}
"#,
    );
    let r = rollout::verify::run(&VerifyOptions {
        paths: vec![cert],
        crds: vec![crd],
        practices: rollout::verify::PracticeLevel::Off,
        ..VerifyOptions::default()
    })
    .unwrap();
    let got = found(&r);
    let errors: Vec<_> = got
        .iter()
        .map(|g| (g.0.as_str(), g.2.as_str(), g.3.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (
                "cel-rule",
                "17:5",
                "spec.privateKey.size: Invalid value: RSA keys must be at least 2048 bits"
            ),
            (
                "cel-rule",
                "18:3",
                "spec.issuerRef: Invalid value: unknown issuer kind Vault"
            ),
            (
                "cel-rule",
                "25:1",
                "spec: Invalid value: at least one of commonName or dnsNames must be set"
            ),
            (
                "schema-invalid",
                "27:3",
                "spec.duration: \"90d\" does not match the pattern \"(?i)^([0-9]+(\\\\.[0-9]+)?(h|m|s))+\\\\z\""
            ),
        ],
        "{got:#?}"
    );
    // The first certificate passes only because the defaults (privateKey.rotationPolicy, the
    // issuer's kind and group) are applied before `required` and the rules run.
    assert!(
        !got.iter()
            .any(|g| g.2.starts_with("1:") || g.2.starts_with("5:"))
    );
}

#[test]
fn a_broken_crd_is_reported_at_its_fields_and_its_resources_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let broken = CERTIFICATE_CRD
        .replace(
            "name: certificates.cert.example.io",
            "name: certs.cert.example.io",
        )
        .replace(
            "              commonName: {type: string, maxLength: 64}",
            "              commonName: {maxLength: 64}",
        )
        .replace(
            "                  rotationPolicy: {type: string, enum: [Never, Always], default: Always}",
            "                  rotationPolicy: {type: string, enum: [Never, Always], default: Sometimes}",
        )
        .replace(
            "                x-kubernetes-list-type: set\n",
            "                x-kubernetes-list-type: map\n",
        );
    let file = write(dir.path(), "crd.yaml", &broken);
    let r = verify(&[file]);
    let got: Vec<_> = found(&r)
        .into_iter()
        .filter(|g| g.0 == "crd-structural")
        .map(|g| (g.2, g.3))
        .collect();
    let at: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(at, ["4:3", "22:15", "25:15", "28:17", "34:73"], "{got:#?}");
    assert!(
        got[0]
            .1
            .contains("must be spec.names.plural+\".\"+spec.group")
    );
    assert!(
        got[1].1.contains("spec.commonName.type: Required value"),
        "{}",
        got[1].1
    );
    assert_eq!(
        got[4].1,
        "spec.versions[0] schema: spec.privateKey.rotationPolicy.default: Invalid value: the default does not validate: \"Sometimes\" is not one of [\"Never\",\"Always\"]"
    );
    // The privateKey default ({}) fails only through that nested default: one error, not two.
    assert!(
        !got.iter().any(|g| g.1.contains("privateKey.default")),
        "{got:#?}"
    );
}

const ROLLOUT_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: rollouts.rollouts.example.io
spec:
  group: rollouts.example.io
  names: {kind: Rollout, plural: rollouts, shortNames: [ro]}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              replicas: {type: integer, format: int32}
              template:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              strategy:
                type: object
                properties:
                  canary:
                    type: object
                    properties:
                      maxSurge: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                      maxUnavailable: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                      steps:
                        type: array
                        maxItems: 64
                        items:
                          type: object
                          properties:
                            setWeight: {type: integer, format: int32, minimum: 0, maximum: 100}
                            pause:
                              type: object
                              properties:
                                duration: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                    x-kubernetes-validations:
                    - rule: "!has(self.steps) || self.steps.filter(s, has(s.setWeight)).map(s, s.setWeight).isSorted()"
                      message: setWeight must not decrease from step to step
              analysisTemplate:
                type: object
                x-kubernetes-embedded-resource: true
                x-kubernetes-preserve-unknown-fields: true
"#;

#[test]
fn rollout_int_or_string_preserved_template_and_embedded_resource() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "crd.yaml", ROLLOUT_CRD);
    let ro = write(
        dir.path(),
        "rollout.yaml",
        r#"apiVersion: rollouts.example.io/v1alpha1
kind: Rollout
metadata: {name: auth, namespace: media}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: auth}}
    spec:
      containers: [{name: auth, image: "auth:1.2.3", anything: goes}]
  strategy:
    canary:
      maxSurge: "25%"
      maxUnavailable: 0
      steps:
      - setWeight: 20
      - pause: {duration: 10m}
      - setWeight: 50
      - pause: {duration: 60}
  analysisTemplate:
    apiVersion: rollouts.example.io/v1alpha1
    kind: AnalysisTemplate
    metadata: {name: success-rate}
    spec: {metrics: [{name: success-rate}]}
"#,
    );
    let r = verify(&[dir.path().to_path_buf()]);
    assert_eq!(found(&r), [], "a valid Rollout is clean");

    let text = std::fs::read_to_string(&ro).unwrap();
    let bad = text
        .replace("maxSurge: \"25%\"", "maxSurge: 1.5")
        .replace("- setWeight: 50", "- setWeight: 10")
        .replace(
            "    apiVersion: rollouts.example.io/v1alpha1\n    kind: AnalysisTemplate\n",
            "    kind: AnalysisTemplate\n",
        );
    std::fs::write(&ro, bad).unwrap();
    let r = verify(&[dir.path().to_path_buf()]);
    let got: Vec<_> = found(&r).into_iter().map(|g| (g.0, g.2, g.3)).collect();
    let codes: Vec<(&str, &str)> = got.iter().map(|g| (g.0.as_str(), g.1.as_str())).collect();
    assert_eq!(
        codes,
        [
            ("cel-rule", "11:5"),
            ("schema-type", "12:7"),
            ("schema-required", "19:3"),
        ],
        "{got:#?}"
    );
    assert_eq!(
        got[0].2,
        "spec.strategy.canary: Invalid value: setWeight must not decrease from step to step"
    );
    assert!(got[2].2.contains("apiVersion"), "{}", got[2].2);
}

/// A CRD with one rule on a list of strings (`{bounds}` are written on the list and its items).
fn tags_crd(bounds_list: &str, bounds_item: &str, rules: &str) -> String {
    format!(
        r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.cost.example.io
spec:
  group: cost.example.io
  names: {{kind: Widget, plural: widgets}}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              tags:
                type: array{bounds_list}
                items: {{type: string{bounds_item}}}
                x-kubernetes-validations:
{rules}"#
    )
}

#[test]
fn a_rule_over_the_api_servers_cost_budget_refuses_the_crd_until_its_sizes_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let rule = "                - rule: self.all(t, t.contains('a'))\n";
    let widget =
        "apiVersion: cost.example.io/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  tags: [a]\n";
    let cr = write(dir.path(), "widget.yaml", widget);
    // Unbounded: a million strings of up to 3 MB each, each traversed.
    let crd = write(dir.path(), "crd.yaml", &tags_crd("", "", rule));
    let r = verify(&[crd.clone(), cr.clone()]);
    let got = found(&r);
    let cost: Vec<_> = got.iter().filter(|g| g.0 == "crd-rule-cost").collect();
    assert_eq!(cost.len(), 1, "{got:#?}");
    assert_eq!(cost[0].1, Severity::Error);
    assert_eq!(cost[0].2, "24:19", "the rule's own line");
    assert!(
        cost[0].3.starts_with(
            "spec.versions[0] schema: spec.tags.x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x"
        ),
        "{}",
        cost[0].3
    );
    // The refused CRD serves nothing: its resources are refused with it.
    assert!(got.iter().any(|g| g.0 == "crd-refused"), "{got:#?}");
    // Bounded as the message asks, the same rule is within budget and the resource is checked.
    let crd = write(
        dir.path(),
        "crd.yaml",
        &tags_crd("\n                maxItems: 100", ", maxLength: 64", rule),
    );
    let r = verify(&[crd, cr]);
    assert_eq!(found(&r), vec![], "a bounded rule is clean");
}

#[test]
fn rules_that_together_exceed_the_schemas_budget_are_named() {
    let dir = tempfile::tempdir().unwrap();
    // Each rule alone is within budget (4.2 M: 4 per item of a million), 40 of them are not
    // (168 M of 100 M).
    let rules: String = (0..40)
        .map(|i| format!("                - rule: self.all(t, {i} >= 0)\n"))
        .collect();
    let crd = write(dir.path(), "crd.yaml", &tags_crd("", "", &rules));
    let r = verify(&[crd]);
    let got: Vec<_> = found(&r)
        .into_iter()
        .filter(|g| g.0 == "crd-rule-cost")
        .collect();
    // The schema's total (reported first, at openAPIV3Schema), then the four costliest rules.
    assert_eq!(got.len(), 5, "{got:#?}");
    for g in &got[1..] {
        assert!(
            g.3.ends_with("Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"),
            "{}",
            g.3
        );
    }
    assert_eq!(got[0].2, "14:7", "at openAPIV3Schema");
    assert!(
        got[0].3.contains(
            "(root): Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of 1.7x"
        ),
        "{}",
        got[0].3
    );
}
