//! `rollout verify` at API-server grade: the Kubernetes CEL libraries in CRD rules (IP, CIDR,
//! URL, semver, format, timestamps and durations), rules that do not compile refused on the CRD
//! itself, the uniqueness the server enforces, and ObjectMeta as the server validates it. The
//! CRDs here are written for these tests in the shape of well-known ones (Gateway API,
//! cert-manager, a version-gated operator).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// `rollout verify --output github --policy off` with `args`, in a cleared environment.
fn rollout_verify(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::cargo_bin("rollout")
        .expect("binary builds")
        .env_clear()
        .args(["verify", "--output", "github", "--policy", "off"])
        .args(args)
        .output()
        .expect("runs")
}

/// The annotations of `title` in a run's stdout.
fn titled<'a>(stdout: &'a str, title: &str) -> Vec<&'a str> {
    let tag = format!("title={title}::");
    stdout.lines().filter(|l| l.contains(&tag)).collect()
}

/// Runs `rollout verify --output github` on `dir`: (exit code, annotation lines with the
/// directory shown as `[DIR]`, the summary line).
fn verify(dir: &Path) -> (i32, Vec<String>, String) {
    let out = rollout_verify(&[dir.as_os_str()]);
    let stdout = String::from_utf8_lossy(&out.stdout).replace(&dir.display().to_string(), "[DIR]");
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&dir.display().to_string(), "[DIR]");
    let lines = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| l.starts_with("::"))
        .map(str::to_string)
        .collect();
    let summary = stderr
        .lines()
        .chain(stdout.lines())
        .find(|l| l.starts_with("verify:"))
        .unwrap_or("")
        .to_string();
    (out.status.code().unwrap_or(-1), lines, summary)
}

/// A fresh directory holding `files` (name, text).
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    dir
}

/// Writes `files` into a fresh directory and verifies it, as [`verify`] does.
fn verify_files(files: &[(&str, &str)]) -> (i32, Vec<String>, String) {
    verify(dir_with(files).path())
}

/// A namespaced CRD of one served version `v1` whose `spec` schema's `properties` are `spec`
/// (indented 14 spaces, starting at line 20 of the file).
fn crd(group: &str, kind: &str, plural: &str, spec: &str) -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {plural}.{group}\nspec:\n  group: {group}\n  names: {{kind: {kind}, listKind: {kind}List, plural: {plural}}}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n{spec}"
    )
}

/// `spec.properties` (and what follows) of the Gateway CRD, from line 20.
const GATEWAY_SPEC: &str = r#"              addresses:
                type: array
                maxItems: 16
                items:
                  type: object
                  properties:
                    type: {type: string, default: IPAddress}
                    value: {type: string, maxLength: 253}
                  x-kubernetes-validations:
                  - rule: "self.type != 'IPAddress' || isIP(self.value)"
                    message: value must be an IP address
                  - rule: "self.type != 'IPAddress' || !isIP(self.value) || ip.isCanonical(self.value)"
                    message: value must be the canonical form of the IP address
                  - rule: "self.type != 'IPAddress' || !isIP(self.value) || !ip(self.value).isLoopback()"
                    message: value must not be a loopback address
              allowedSourceRanges:
                type: array
                maxItems: 16
                items: {type: string, maxLength: 64}
                x-kubernetes-validations:
                - rule: "self.all(r, isCIDR(r) && cidr(r) == cidr(r).masked())"
                  message: each range must be a CIDR with no host bits set
              internalNetwork:
                type: string
                x-kubernetes-validations:
                - rule: "cidr('10.0.0.0/8').containsCIDR(self)"
                  message: internalNetwork must be inside 10.0.0.0/8
"#;

#[test]
fn gateway_like_crd_checks_addresses_with_the_ip_and_cidr_libraries() {
    let dir = dir_with(&[
        (
            "crd.yaml",
            &crd("gateway.example.io", "Gateway", "gateways", GATEWAY_SPEC),
        ),
        (
            "gateway.yaml",
            r#"apiVersion: gateway.example.io/v1
kind: Gateway
metadata:
  name: edge
  namespace: media
spec:
  addresses:
  - value: 10.0.0.1
  - value: 10.0.0.300
  - value: 2001:DB8::1
  - value: 127.0.0.1
  - {type: Hostname, value: edge.example.com}
  allowedSourceRanges: [192.168.0.0/16, 10.1.2.3/8]
  internalNetwork: 10.20.0.0/16
"#,
        ),
    ]);
    let (code, lines, summary) = verify(dir.path());
    assert_eq!(
        lines,
        [
            "::error file=[DIR]/gateway.yaml,line=9,col=5,title=cel-rule::spec.addresses[1]: Invalid value: value must be an IP address (gateway.example.io/v1 Gateway media/edge)",
            "::error file=[DIR]/gateway.yaml,line=10,col=5,title=cel-rule::spec.addresses[2]: Invalid value: value must be the canonical form of the IP address (gateway.example.io/v1 Gateway media/edge)",
            "::error file=[DIR]/gateway.yaml,line=11,col=5,title=cel-rule::spec.addresses[3]: Invalid value: value must not be a loopback address (gateway.example.io/v1 Gateway media/edge)",
            "::error file=[DIR]/gateway.yaml,line=13,col=3,title=cel-rule::spec.allowedSourceRanges: Invalid value: each range must be a CIDR with no host bits set (gateway.example.io/v1 Gateway media/edge)",
        ]
    );
    assert_eq!(code, 1, "{summary}");

    // A value a function cannot parse fails the rule with the server's evaluation error.
    write(
        dir.path(),
        "gateway.yaml",
        "apiVersion: gateway.example.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: media}\nspec:\n  internalNetwork: 10.0.0.0/40\n",
    );
    let (code, lines, _) = verify(dir.path());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("::error file=[DIR]/gateway.yaml,line=5,col=3,title=cel-rule::spec.internalNetwork: Invalid value: evaluation error: "),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("network address parse error during conversion from string"),
        "{}",
        lines[0]
    );
    assert_eq!(code, 1);

    // Clean addresses pass every rule: nothing is left unchecked.
    write(
        dir.path(),
        "gateway.yaml",
        "apiVersion: gateway.example.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: media}\nspec:\n  addresses: [{value: 10.0.0.1}, {value: '2001:db8::1'}]\n  allowedSourceRanges: [10.0.0.0/8]\n  internalNetwork: 10.20.0.0/16\n",
    );
    let (code, lines, summary) = verify(dir.path());
    assert_eq!((code, lines), (0, vec![]), "{summary}");
    assert!(summary.contains("0 errors, 0 warnings"), "{summary}");
}

/// `spec.properties` (and what follows) of the Issuer CRD, from line 20.
const ISSUER_SPEC: &str = r#"              acme:
                type: object
                properties:
                  server: {type: string}
                  renewBefore: {type: string, format: duration}
                  notAfter: {type: string, format: date-time}
                  minVersion: {type: string}
                x-kubernetes-validations:
                - rule: "isURL(self.server) && url(self.server).getScheme() == 'https'"
                  message: server must be an https URL
                - rule: "!has(self.server) || url(self.server).getHostname() != 'localhost'"
                  message: server must not be localhost
                - rule: "!has(self.renewBefore) || self.renewBefore >= duration('1h')"
                  message: renewBefore must be at least 1h
                - rule: "!has(self.notAfter) || self.notAfter > timestamp('2025-01-01T00:00:00Z')"
                  message: notAfter must be after 2025
                - rule: "!has(self.minVersion) || semver(self.minVersion, true).isGreaterThan(semver('1.0.0'))"
                  message: minVersion must be above 1.0.0
              secretName:
                type: string
                maxLength: 253
                x-kubernetes-validations:
                - rule: "!format.dns1123Subdomain().validate(self).hasValue()"
                  messageExpression: "'secretName: ' + format.dns1123Subdomain().validate(self).value()[0]"
"#;

#[test]
fn cert_manager_like_crd_checks_urls_durations_timestamps_semver_and_formats() {
    let dir = dir_with(&[
        (
            "crd.yaml",
            &crd("cert.example.io", "Issuer", "issuers", ISSUER_SPEC),
        ),
        (
            "issuer.yaml",
            r#"apiVersion: cert.example.io/v1
kind: Issuer
metadata: {name: letsencrypt, namespace: media}
spec:
  acme:
    server: http://localhost:14000/dir
    renewBefore: 30m
    notAfter: "2024-06-01T00:00:00Z"
    minVersion: v0.9
  secretName: Bad_Name
"#,
        ),
    ]);
    let (code, lines, _) = verify(dir.path());
    let at = "::error file=[DIR]/issuer.yaml";
    let who = "(cert.example.io/v1 Issuer media/letsencrypt)";
    assert_eq!(
        lines,
        [
            format!(
                "{at},line=5,col=3,title=cel-rule::spec.acme: Invalid value: server must be an https URL {who}"
            ),
            format!(
                "{at},line=5,col=3,title=cel-rule::spec.acme: Invalid value: server must not be localhost {who}"
            ),
            format!(
                "{at},line=5,col=3,title=cel-rule::spec.acme: Invalid value: renewBefore must be at least 1h {who}"
            ),
            format!(
                "{at},line=5,col=3,title=cel-rule::spec.acme: Invalid value: notAfter must be after 2025 {who}"
            ),
            format!(
                "{at},line=5,col=3,title=cel-rule::spec.acme: Invalid value: minVersion must be above 1.0.0 {who}"
            ),
            // (messages are bounded: the long format message is cut)
            format!(
                "{at},line=10,col=3,title=cel-rule::spec.secretName: Invalid value: secretName: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. … {who}"
            ),
        ]
    );
    assert_eq!(code, 1);

    write(
        dir.path(),
        "issuer.yaml",
        r#"apiVersion: cert.example.io/v1
kind: Issuer
metadata: {name: letsencrypt, namespace: media}
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.example/directory
    renewBefore: 720h
    notAfter: "2027-01-01T00:00:00+01:00"
    minVersion: v1.2
  secretName: letsencrypt-account
"#,
    );
    let (code, lines, summary) = verify(dir.path());
    assert_eq!((code, lines), (0, vec![]), "{summary}");
    assert!(summary.contains("0 errors, 0 warnings"), "{summary}");
}

/// `spec.properties` (and what follows) of the Backup CRD, from line 20.
const BACKUP_SPEC: &str = r#"              target: {type: string}
              schedule: {type: string}
              retention: {type: string}
            x-kubernetes-validations:
            - rule: "isIPv4(self.target)"
            - rule: "self.schedule.matches('[')"
            - rule: "self.retention == duration('3days')"
            - rule: "isURL(42)"
            - rule: "authorizer.group('').resource('backups').check('create').allowed()"
            - rule: "self.target.size() > 0"
              messageExpression: "'bad ' + nope(self.target)"
            - rule: "self.target != 'forbidden'"
              message: target must not be forbidden
"#;

#[test]
fn rules_that_do_not_compile_are_errors_on_the_crd_not_warnings_on_its_resources() {
    let dir = dir_with(&[
        (
            "crd.yaml",
            &crd("ops.example.io", "Backup", "backups", BACKUP_SPEC),
        ),
        (
            "backup.yaml",
            "apiVersion: ops.example.io/v1\nkind: Backup\nmetadata: {name: nightly, namespace: ops}\nspec:\n  target: forbidden\n",
        ),
    ]);
    let (code, lines, _) = verify(dir.path());
    let crd = "(apiextensions.k8s.io/v1 CustomResourceDefinition backups.ops.example.io)";
    let at = |line: u32, n: u32, field: &str, why: &str| {
        format!(
            "::error file=[DIR]/crd.yaml,line={line},col=15,title=crd-rule-compile::spec.versions[0] schema: spec.x-kubernetes-validations[{n}].{field}: Invalid value: compilation failed: {why} {crd}"
        )
    };
    assert_eq!(
        lines,
        [
            // The server refuses the CRD, so its resources cannot be created: one error each,
            // not the findings of rules that will never run.
            "::error file=[DIR]/backup.yaml,line=2,col=1,title=crd-refused::no matches for kind \"Backup\" in version \"ops.example.io/v1\": its CustomResourceDefinition backups.ops.example.io is refused by the API server (a rule of it does not compile) (ops.example.io/v1 Backup ops/nightly)%0Ahelp: the rule is at [DIR]/crd.yaml:24:15: fix it first (crd-rule-compile)".to_string(),
            at(24, 0, "rule", "undeclared reference to 'isIPv4'"),
            at(25, 1, "rule", r#"invalid regular expression "[""#),
            at(26, 2, "rule", r#"invalid duration literal "3days""#),
            at(27, 3, "rule", "found no matching overload for 'isURL' applied to '(int)'"),
            at(30, 5, "messageExpression", "undeclared reference to 'nope'"),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn a_crd_that_is_not_structural_is_refused_and_its_resources_with_it() {
    // Any error the API server gives a CRD on create refuses the whole CRD, not only a rule that
    // does not compile: here a property without a type.
    let dir = dir_with(&[
        (
            "crd.yaml",
            &crd(
                "ops.example.io",
                "Backup",
                "backups",
                "              target: {description: where to}\n",
            ),
        ),
        (
            "backup.yaml",
            "apiVersion: ops.example.io/v1\nkind: Backup\nmetadata: {name: nightly, namespace: ops}\nspec:\n  target: 42\n  extra: 1\n",
        ),
    ]);
    let (code, lines, _) = verify(dir.path());
    assert_eq!(
        lines,
        [
            "::error file=[DIR]/backup.yaml,line=2,col=1,title=crd-refused::no matches for kind \"Backup\" in version \"ops.example.io/v1\": its CustomResourceDefinition backups.ops.example.io is refused by the API server (it fails the API server's checks) (ops.example.io/v1 Backup ops/nightly)%0Ahelp: its first error is at [DIR]/crd.yaml:20:15: fix it first (crd-structural)",
            "::error file=[DIR]/crd.yaml,line=20,col=15,title=crd-structural::spec.versions[0] schema: spec.target.type: Required value: must not be empty for specified object fields (apiextensions.k8s.io/v1 CustomResourceDefinition backups.ops.example.io)",
        ]
    );
    assert_eq!(code, 1);
    // Given with --crd, the same CRD is reported on its file and still refuses its resource.
    let crd_file = dir.path().join("crd.yaml");
    let out = rollout_verify(&[
        "--crd".as_ref(),
        crd_file.as_os_str(),
        dir.path().join("backup.yaml").as_os_str(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(titled(&stdout, "crd-structural").len(), 1, "{stdout}");
    assert_eq!(titled(&stdout, "crd-refused").len(), 1, "{stdout}");
    // Checked against the CRD, `spec.extra` would be an unknown field.
    assert_eq!(titled(&stdout, "schema-unknown-field").len(), 0, "{stdout}");
    assert_eq!(out.status.code(), Some(1));
}

/// `spec.properties` (and what follows) of the ListenerSet CRD, from line 20.
const LISTENERS_SPEC: &str = r#"              listeners:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [port, protocol]
                items:
                  type: object
                  required: [port]
                  properties:
                    name: {type: string}
                    port: {type: integer}
                    protocol: {type: string, default: HTTP}
              hostnames:
                type: array
                x-kubernetes-list-type: set
                items: {type: string}
"#;

#[test]
fn set_and_map_lists_reject_duplicates_at_the_second_item() {
    let dir = dir_with(&[
        (
            "crd.yaml",
            &crd(
                "gateway.example.io",
                "ListenerSet",
                "listenersets",
                LISTENERS_SPEC,
            ),
        ),
        (
            "listeners.yaml",
            r#"apiVersion: gateway.example.io/v1
kind: ListenerSet
metadata: {name: edge, namespace: media}
spec:
  listeners:
  - {name: web, port: 80}
  - {name: web-tls, port: 443, protocol: HTTPS}
  - {name: web-again, port: 80, protocol: HTTP}
  - {name: udp, port: 80, protocol: UDP}
  hostnames: [a.example.com, b.example.com, a.example.com]
"#,
        ),
    ]);
    let (code, lines, _) = verify(dir.path());
    let who = "(gateway.example.io/v1 ListenerSet media/edge)";
    assert_eq!(
        lines,
        [
            // The defaulted protocol makes the third listener a twin of the first.
            format!(
                "::error file=[DIR]/listeners.yaml,line=8,col=5,title=duplicate-value::spec.listeners[2]: Duplicate value: {{\"port\":80,\"protocol\":\"HTTP\"}} {who}"
            ),
            format!(
                "::error file=[DIR]/listeners.yaml,line=10,col=45,title=duplicate-value::spec.hostnames[2]: Duplicate value: \"a.example.com\" {who}"
            ),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn built_in_duplicates_the_server_rejects_and_env_duplicates_it_accepts() {
    let (code, lines, _) = verify_files(&[(
        "app.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: media}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers:
      - {name: migrate, image: "web:1"}
      containers:
      - name: web
        image: web:1
        env: [{name: A, value: "1"}, {name: A, value: "2"}]
        ports:
        - {name: http, containerPort: 8080}
        - {name: http, containerPort: 8081}
      - {name: migrate, image: "web:1"}
      volumes:
      - {name: data, emptyDir: {}}
      - {name: data, emptyDir: {}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: media}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: http, port: 80, targetPort: 8081, protocol: TCP}
"#,
    )]);
    let f = "::error file=[DIR]/app.yaml";
    assert_eq!(
        lines,
        [
            // As the server does, an init container is the duplicate of a regular one.
            format!(
                "{f},line=10,col=10,title=duplicate-value::spec.template.spec.initContainers[0].name: Duplicate value: \"migrate\" (apps/v1 Deployment media/web)"
            ),
            format!(
                "{f},line=17,col=12,title=duplicate-value::spec.template.spec.containers[0].ports[1].name: Duplicate value: \"http\" (apps/v1 Deployment media/web)"
            ),
            format!(
                "{f},line=21,col=10,title=duplicate-value::spec.template.spec.volumes[1].name: Duplicate value: \"data\" (apps/v1 Deployment media/web)"
            ),
            format!(
                "{f},line=30,col=5,title=duplicate-value::spec.ports[1]: Duplicate value: {{\"port\":80,\"protocol\":\"TCP\"}} (v1 Service media/web)"
            ),
            // The same port's name repeats too: the server reports both (API validation's check).
            format!(
                "{f},line=30,col=6,title=api-validation::spec.ports[1].name: Duplicate value: \"http\" (v1 Service media/web)"
            ),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn object_meta_as_the_api_server_validates_it() {
    let (code, lines, _) = verify_files(&[(
        "objects.yaml",
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: media.prod
---
apiVersion: v1
kind: Service
metadata:
  name: 2fa
  namespace: media
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: Settings
  namespace: Media
  labels:
    app.kubernetes.io/name: web
    example.com/tier: -front
    bad key: x
  annotations:
    Example.com/Owner: team
    a/b/c: x
data: {a: b}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregate-to-view
rules: []
---
apiVersion: v1
kind: ConfigMap
metadata:
  namespace: media
data: {a: b}
---
apiVersion: v1
kind: ConfigMap
metadata:
  generateName: job-config-
  namespace: media
data: {a: b}
"#,
    )]);
    let f = "::error file=[DIR]/objects.yaml";
    assert_eq!(
        lines,
        [
            format!(
                "{f},line=4,col=3,title=object-meta-invalid::metadata.name: Invalid value: \"media.prod\": must not contain dots (v1 Namespace media.prod)"
            ),
            format!(
                "{f},line=9,col=3,title=object-meta-invalid::metadata.name: Invalid value: \"2fa\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (v1 Service media/2fa)"
            ),
            format!(
                "{f},line=17,col=3,title=object-meta-invalid::metadata.name: Invalid value: \"Settings\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (v1 ConfigMap Media/Settings)"
            ),
            format!(
                "{f},line=18,col=3,title=object-meta-invalid::metadata.namespace: Invalid value: \"Media\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (v1 ConfigMap Media/Settings)"
            ),
            format!(
                "{f},line=21,col=5,title=object-meta-invalid::metadata.labels.example.com/tier: Invalid value: \"-front\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric ch… (v1 ConfigMap Media/Settings)"
            ),
            format!(
                "{f},line=22,col=5,title=object-meta-invalid::metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (v1 ConfigMap Media/Settings)"
            ),
            format!(
                "{f},line=25,col=5,title=object-meta-invalid::metadata.annotations: Invalid value: \"a/b/c\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (v1 ConfigMap Media/Settings)"
            ),
            format!(
                "{f},line=36,col=1,title=object-meta-required::metadata.name: Required value: name or generateName is required (v1 ConfigMap media/)"
            ),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn a_cel_library_newer_than_the_target_kubernetes_version_does_not_compile() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "crd.yaml",
        &crd("gateway.example.io", "Gateway", "gateways", GATEWAY_SPEC),
    );
    let out = rollout_verify(&[
        "--kubernetes-version".as_ref(),
        "1.29".as_ref(),
        dir.path().as_os_str(),
    ]);
    let stdout =
        String::from_utf8_lossy(&out.stdout).replace(&dir.path().display().to_string(), "[DIR]");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    let crd = "(apiextensions.k8s.io/v1 CustomResourceDefinition gateways.gateway.example.io)";
    let at = |line: u32, col: u32, field: &str, f: &str| {
        format!(
            "::error file=[DIR]/crd.yaml,line={line},col={col},title=crd-rule-compile::spec.versions[0] schema: spec.{field}.rule: Invalid value: compilation failed: undeclared reference to '{f}' (Kubernetes 1.29; it was added in 1.30) {crd}"
        )
    };
    assert_eq!(
        lines,
        [
            at(
                29,
                21,
                "addresses.items.x-kubernetes-validations[0]",
                "isIP"
            ),
            at(
                31,
                21,
                "addresses.items.x-kubernetes-validations[1]",
                "ip.isCanonical"
            ),
            at(33, 21, "addresses.items.x-kubernetes-validations[2]", "ip"),
            at(
                40,
                19,
                "allowedSourceRanges.x-kubernetes-validations[0]",
                "cidr"
            ),
            at(
                45,
                19,
                "internalNetwork.x-kubernetes-validations[0]",
                "cidr"
            ),
        ]
    );
    assert_eq!(out.status.code(), Some(1));
    // On 1.30 and later the same CRD is clean.
    let (code, lines, _) = verify(dir.path());
    assert_eq!((code, lines), (0, vec![]));
}

#[test]
fn a_rule_that_does_not_compile_in_a_crd_given_with_crd_is_reported_on_that_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let crds = tempfile::tempdir().unwrap();
    let crd_file = write(
        crds.path(),
        "backup-crd.yaml",
        &crd("ops.example.io", "Backup", "backups", BACKUP_SPEC),
    );
    write(
        dir.path(),
        "backup.yaml",
        "apiVersion: ops.example.io/v1\nkind: Backup\nmetadata: {name: nightly, namespace: ops}\nspec:\n  target: db\n",
    );
    let out = rollout_verify(&[
        "--crd".as_ref(),
        crd_file.as_os_str(),
        dir.path().as_os_str(),
    ]);
    let stdout =
        String::from_utf8_lossy(&out.stdout).replace(&crds.path().display().to_string(), "[CRDS]");
    let compile = titled(&stdout, "crd-rule-compile");
    assert_eq!(compile.len(), 5, "{stdout}");
    assert!(
        compile[0].starts_with("::error file=[CRDS]/backup-crd.yaml,line=24,col=15,title=crd-rule-compile::spec.versions[0] schema: spec.x-kubernetes-validations[0].rule: Invalid value: compilation failed: undeclared reference to 'isIPv4'"),
        "{}",
        compile[0]
    );
    assert_eq!(out.status.code(), Some(1));
    // The CRD given with --crd and as an input is reported once.
    let both = rollout_verify(&[
        "--crd".as_ref(),
        crd_file.as_os_str(),
        dir.path().as_os_str(),
        crd_file.as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&both.stdout);
    assert_eq!(text.matches("title=crd-rule-compile").count(), 5, "{text}");
}

#[test]
fn a_refused_crd_fails_each_of_its_resources_once_wherever_the_crd_comes_from() {
    let dir = tempfile::tempdir().unwrap();
    // The resources come first in the walk, the refused CRD last; a good CRD beside it.
    write(
        dir.path(),
        "a-backups.yaml",
        "apiVersion: ops.example.io/v1\nkind: Backup\nmetadata: {name: nightly, namespace: ops}\nspec:\n  target: db\n---\napiVersion: ops.example.io/v1\nkind: Backup\nmetadata: {name: weekly, namespace: ops}\nspec:\n  target: forbidden\n",
    );
    write(
        dir.path(),
        "a-restore.yaml",
        "apiVersion: ops.example.io/v1\nkind: Restore\nmetadata: {name: last, namespace: ops}\nspec:\n  target: forbidden\n",
    );
    write(
        dir.path(),
        "z-crd.yaml",
        &crd("ops.example.io", "Backup", "backups", BACKUP_SPEC),
    );
    let restore = "              target: {type: string}\n            x-kubernetes-validations:\n            - rule: \"self.target != 'forbidden'\"\n              message: target must not be forbidden\n";
    write(
        dir.path(),
        "z-restore-crd.yaml",
        &crd("ops.example.io", "Restore", "restores", restore),
    );
    let (code, lines, _) = verify(dir.path());
    let refused = |line: u32, name: &str, at: &str| {
        format!(
            "::error file=[DIR]/a-backups.yaml,line={line},col=1,title=crd-refused::no matches for kind \"Backup\" in version \"ops.example.io/v1\": its CustomResourceDefinition backups.ops.example.io is refused by the API server (a rule of it does not compile) (ops.example.io/v1 Backup ops/{name})%0Ahelp: the rule is at {at}: fix it first (crd-rule-compile)"
        )
    };
    let on_resources: Vec<&String> = lines
        .iter()
        .filter(|l| !l.contains("title=crd-rule-compile"))
        .collect();
    assert_eq!(
        on_resources,
        [
            &refused(2, "nightly", "[DIR]/z-crd.yaml:24:15"),
            &refused(8, "weekly", "[DIR]/z-crd.yaml:24:15"),
            // The Restore CRD compiles: its resources are checked against it.
            &"::error file=[DIR]/a-restore.yaml,line=4,col=1,title=cel-rule::spec: Invalid value: target must not be forbidden (ops.example.io/v1 Restore ops/last)".to_string(),
        ],
        "{lines:#?}"
    );
    assert_eq!(code, 1);

    // The same CRD given with --crd, wrapped in a List: the help names that file.
    let crds = tempfile::tempdir().unwrap();
    let listed = format!(
        "apiVersion: v1\nkind: List\nitems:\n- {}",
        crd("ops.example.io", "Backup", "backups", BACKUP_SPEC).replace('\n', "\n  ")
    );
    let crd_file = write(crds.path(), "crds.yaml", &listed);
    std::fs::remove_file(dir.path().join("z-crd.yaml")).unwrap();
    let out = rollout_verify(&[
        "--crd".as_ref(),
        crd_file.as_os_str(),
        dir.path().as_os_str(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout)
        .replace(&crds.path().display().to_string(), "[CRDS]")
        .replace(&dir.path().display().to_string(), "[DIR]");
    let refusals = titled(&stdout, "crd-refused");
    assert_eq!(refusals.len(), 2, "{stdout}");
    assert!(
        refusals[0].ends_with(
            "help: the rule is at [CRDS]/crds.yaml:27:17: fix it first (crd-rule-compile)"
        ),
        "{}",
        refusals[0]
    );
    assert!(!stdout.contains("title=cel-rule::spec: Invalid value: target must not be forbidden (ops.example.io/v1 Backup"), "{stdout}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_crd_refused_only_on_an_older_kubernetes_refuses_its_resources_only_there() {
    let gateway_crd = crd("gateway.example.io", "Gateway", "gateways", GATEWAY_SPEC);
    let dir = dir_with(&[
        ("crd.yaml", &gateway_crd),
        (
            "gateway.yaml",
            "apiVersion: gateway.example.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: net}\nspec:\n  addresses:\n  - value: 10.0.0.1\n",
        ),
    ]);
    let out = rollout_verify(&[
        "--kubernetes-version".as_ref(),
        "1.29".as_ref(),
        dir.path().as_os_str(),
    ]);
    let stdout =
        String::from_utf8_lossy(&out.stdout).replace(&dir.path().display().to_string(), "[DIR]");
    let refusals = titled(&stdout, "crd-refused");
    assert_eq!(refusals.len(), 1, "{stdout}");
    assert!(
        refusals[0].starts_with("::error file=[DIR]/gateway.yaml,line=2,col=1,"),
        "{}",
        refusals[0]
    );
    assert!(
        refusals[0].ends_with(
            "help: the rule is at [DIR]/crd.yaml:29:21: fix it first (crd-rule-compile)"
        ),
        "{}",
        refusals[0]
    );
    // On 1.30 and later the CRD is served and its resource clean.
    let (code, lines, _) = verify(dir.path());
    assert_eq!((code, lines), (0, vec![]));
}

#[test]
fn owner_references_managed_fields_and_generate_name_as_the_api_server_validates_them() {
    let widget_crd = crd(
        "ops.example.io",
        "Widget",
        "widgets",
        "              size: {type: integer}\n",
    );
    let (code, lines, _) = verify_files(&[
        ("crd.yaml", widget_crd.as_str()),
        (
            "objects.yaml",
            r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
  namespace: media
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: "", controller: true}
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7c9, uid: not-a-uuid, controller: true}
  managedFields:
  - {manager: kubectl, operation: Patch, fieldsType: FieldsV1, fieldsV1: {}}
data: {a: b}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  generateName: nightly-backup-of-the-media-database-and-its-indexes-
  namespace: media
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: backup, image: "backup:1.0"}]
---
apiVersion: ops.example.io/v1
kind: Widget
metadata:
  name: w
  namespace: media
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: owned}
  - {apiVersion: v1, kind: Event, name: e, uid: "1"}
spec: {size: 1}
"#,
        ),
    ]);
    let f = "::error file=[DIR]/objects.yaml";
    assert_eq!(
        lines,
        [
            format!(
                "{f},line=7,col=56,title=object-meta-invalid::metadata.ownerReferences[0].uid: Required value: must not be empty (v1 ConfigMap media/owned)"
            ),
            format!(
                "{f},line=8,col=77,title=object-meta-invalid::metadata.ownerReferences[1].controller: Invalid value: Only one reference can have Controller set to true. Found \"true\" in references for Deployment/web and ReplicaSet/web-7c9 (v1 ConfigMap media/owned)"
            ),
            format!(
                "{f},line=10,col=24,title=object-meta-invalid::metadata.managedFields[0].operation: Unsupported value: \"Patch\": supported values: \"Apply\", \"Update\" (v1 ConfigMap media/owned)"
            ),
            format!(
                "{f},line=16,col=3,title=object-meta-invalid::metadata.generateName: Invalid value: \"nightly-backup-of-the-media-database-and-its-indexes-\": the name generated from it (58 characters) must be no more than 52 characters (batch/v1 CronJob media/nightly-backup-of-the-media-database-and-its-indexes-)"
            ),
            // A custom resource's owner without a uid: the ObjectMeta schema requires it.
            format!(
                "{f},line=33,col=5,title=schema-required::missing required field \"metadata.ownerReferences[0].uid\" (ops.example.io/v1 Widget media/w)"
            ),
            format!(
                "{f},line=34,col=5,title=object-meta-invalid::metadata.ownerReferences[1]: Invalid value: /v1, Kind=Event is disallowed from being an owner (ops.example.io/v1 Widget media/w)"
            ),
        ],
        "{lines:#?}"
    );
    assert_eq!(code, 1);
}

#[test]
fn a_hostile_rule_is_refused_as_the_api_server_refuses_it_without_exhausting_the_stack() {
    // The parser recurses once per selection: 20,000 of them would abort the process.
    let deep = format!("self.target{}", ".a".repeat(20_000));
    let spec = format!(
        "              target: {{type: string}}\n            x-kubernetes-validations:\n            - rule: \"{deep}\"\n"
    );
    let dir = dir_with(&[
        (
            "crd.yaml",
            &crd("ops.example.io", "Backup", "backups", &spec),
        ),
        (
            "backup.yaml",
            "apiVersion: ops.example.io/v1\nkind: Backup\nmetadata: {name: nightly, namespace: ops}\nspec:\n  target: db\n",
        ),
    ]);
    let (code, lines, _) = verify(dir.path());
    assert_eq!(code, 1);
    assert!(
        lines.iter().any(|l| l.contains("title=crd-rule-compile")
            && l.contains("expression nests 20001 levels deep, over the parser's limit of 250")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("title=crd-refused")),
        "{lines:?}"
    );
}
