//! What the API server's own validation refuses in objects the OpenAPI schema accepts, for the
//! fields most manifests carry: pod specs wherever a workload holds one (quantities, requests
//! above limits, images, ports, pull and restart policies, volume mounts, probes, env sources),
//! Services' ports and types, and Deployment strategies. Messages follow the API server's
//! (`field: Invalid value: …`, `Unsupported value`, `Required value`, `Not found`).
//!
//! Pure: a value in, violations out. Names, labels and list uniqueness are not here.

use crate::value::Value;

use super::practices::items;
use crate::finding::pointer_push;
use crate::schema::kubernetes::{Violation, dotted};

const CODE: &str = "api-validation";

struct Out(Vec<Violation>);

impl Out {
    fn push(&mut self, pointer: String, message: String) {
        let at = dotted(&pointer);
        self.0.push(Violation {
            code: CODE,
            message: format!("{at}: {message}"),
            pointer,
        });
    }

    fn unsupported(&mut self, pointer: String, got: &str, allowed: &[&str]) {
        let allowed: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
        self.push(
            pointer,
            format!(
                "Unsupported value: {:?}: supported values: {}",
                short(got),
                allowed.join(", ")
            ),
        );
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(39).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Where a kind keeps its pod spec (built-in workload kinds only).
fn pod_spec_pointer(group: &str, kind: &str) -> Option<(&'static str, &'static [&'static str])> {
    let always: &[&str] = &["Always"];
    let job: &[&str] = &["OnFailure", "Never"];
    let any: &[&str] = &["Always", "OnFailure", "Never"];
    Some(match (group, kind) {
        ("", "Pod") => ("/spec", any),
        ("", "PodTemplate") => ("/template/spec", any),
        ("", "ReplicationController") => ("/spec/template/spec", always),
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => {
            ("/spec/template/spec", always)
        }
        ("batch", "Job") => ("/spec/template/spec", job),
        ("batch", "CronJob") => ("/spec/jobTemplate/spec/template/spec", job),
        _ => return None,
    })
}

/// Every violation of the API server's validation found in a built-in object (empty for other
/// kinds). Call it once the schema accepted the object.
pub fn check(group: &str, kind: &str, value: &Value) -> Vec<Violation> {
    let mut out = Out(Vec::new());
    if let Some((at, restart)) = pod_spec_pointer(group, kind)
        && let Some(spec) = value.pointer(at)
    {
        // A StatefulSet's claim templates are volumes of its pods too.
        let claims: Vec<&str> = value
            .pointer("/spec/volumeClaimTemplates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.pointer("/metadata/name").and_then(Value::as_str))
            .filter(|_| kind == "StatefulSet")
            .collect();
        pod_spec(&mut out, spec, at, restart, &claims);
    }
    match (group, kind) {
        ("", "Service") => service(&mut out, value),
        ("", "Secret" | "ConfigMap") => out.0.extend(super::config_data::check(kind, value)),
        ("apps", "Deployment") => deployment_strategy(&mut out, value),
        _ => {}
    }
    out.0
}

/// A Kubernetes quantity (`500m`, `1.5Gi`, `2e3`) as `resource.ParseQuantity` reads it, as a
/// number; `None` when it does not parse.
pub fn quantity(v: &Value) -> Option<f64> {
    let s = match v {
        Value::Number(n) => return n.as_f64(),
        Value::String(s) => s.as_str(),
        _ => return None,
    };
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1.0, &s[1..]),
        b'-' => (-1.0, &s[1..]),
        _ => (1.0, s),
    };
    let num_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (num, suffix) = rest.split_at(num_len);
    if num.is_empty() || num.matches('.').count() > 1 || num == "." {
        return None;
    }
    let n: f64 = num.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => {
            let exp = &e[1..];
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            10f64.powi(exp.parse::<i32>().ok()?)
        }
        _ => return None,
    };
    Some(sign * n * factor)
}

const QUANTITY_RE: &str = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

fn resources(out: &mut Out, r: &Value, at: &str) {
    let mut parsed: [Vec<(String, f64)>; 2] = [Vec::new(), Vec::new()];
    for (i, side) in ["limits", "requests"].into_iter().enumerate() {
        for (name, q) in r.get(side).and_then(Value::as_object).into_iter().flatten() {
            // The pointer is built only for a finding.
            let p = || pointer_push(&format!("{at}/{side}"), name);
            match quantity(q) {
                None => out.push(
                    p(),
                    format!(
                        "Invalid value: {:?}: quantities must match the regular expression '{QUANTITY_RE}'",
                        short(&q.as_str().map_or(q.to_string(), str::to_string))
                    ),
                ),
                Some(n) if n < 0.0 => out.push(
                    p(),
                    format!(
                        "Invalid value: {:?}: must be greater than or equal to 0",
                        q.as_str().map_or(q.to_string(), str::to_string)
                    ),
                ),
                Some(n) => parsed[i].push((name.clone(), n)),
            }
        }
    }
    let [limits, requests] = &parsed;
    for (name, req) in requests {
        // Quantities are compared as floats: `3000m` and `3` must be equal, not a rounding apart.
        if let Some((_, lim)) = limits.iter().find(|(n, _)| n == name)
            && req - lim > lim.abs() * 1e-9
        {
            let shown = |side: &str| {
                r.pointer(&pointer_push(&format!("/{side}"), name))
                    .map(|q| q.as_str().map_or(q.to_string(), str::to_string))
                    .unwrap_or_default()
            };
            out.push(
                pointer_push(&format!("{at}/requests"), name),
                format!(
                    "Invalid value: {:?}: must be less than or equal to {name} limit of {}",
                    shown("requests"),
                    shown("limits")
                ),
            );
        }
    }
}

/// An IANA service name as the API server checks port names: at most 15 characters, lowercase
/// letters, digits and `-`, at least one letter, no `-` at either end or twice in a row.
fn iana_svc_name_problem(name: &str) -> Option<&'static str> {
    if name.len() > 15 {
        Some("must be no more than 15 characters")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Some("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    } else if name.contains("--") {
        Some("must not contain consecutive hyphens")
    } else if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        Some("must contain at least one letter (a-z)")
    } else if name.starts_with('-') || name.ends_with('-') {
        Some("must not begin or end with a hyphen")
    } else {
        None
    }
}

/// Field `key` of the port at `at`, when set, is a port number (or 0 with `zero_ok`).
fn port_number(out: &mut Out, port: &Value, at: &str, key: &str, zero_ok: bool) {
    let Some(n) = port.get(key).and_then(Value::as_i64) else {
        return;
    };
    if (zero_ok && n == 0) || (1..=65535).contains(&n) {
        return;
    }
    out.push(
        format!("{at}/{key}"),
        format!("Invalid value: {n}: must be between 1 and 65535, inclusive"),
    );
}

fn protocol(out: &mut Out, port: &Value, p: &str) {
    if let Some(proto) = port.get("protocol").and_then(Value::as_str)
        && !matches!(proto, "TCP" | "UDP" | "SCTP")
    {
        out.unsupported(format!("{p}/protocol"), proto, &["SCTP", "TCP", "UDP"]);
    }
}

fn enum_field(out: &mut Out, v: &Value, key: &str, at: &str, allowed: &[&str]) {
    if let Some(s) = v.get(key).and_then(Value::as_str)
        && !allowed.contains(&s)
    {
        out.unsupported(format!("{at}/{key}"), s, allowed);
    }
}

fn probe(out: &mut Out, pr: &Value, p: &str, liveness_like: bool) {
    let handlers = ["exec", "httpGet", "tcpSocket", "grpc"]
        .iter()
        .filter(|h| pr.get(**h).is_some_and(|v| !v.is_null()))
        .count();
    if handlers == 0 {
        out.push(
            p.to_string(),
            "Required value: must specify a handler type".into(),
        );
    } else if handlers > 1 {
        out.push(
            p.to_string(),
            "Forbidden: may not specify more than 1 handler type".into(),
        );
    }
    if liveness_like
        && let Some(n) = pr.get("successThreshold").and_then(Value::as_i64)
        && n != 1
    {
        out.push(
            format!("{p}/successThreshold"),
            format!("Invalid value: {n}: must be 1"),
        );
    }
}

fn container(out: &mut Out, c: &Value, p: &str, volumes: &[&str], needs_image: bool) {
    if needs_image
        && c.get("image")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        out.push(format!("{p}/image"), "Required value".into());
    }
    enum_field(
        out,
        c,
        "imagePullPolicy",
        p,
        &["Always", "IfNotPresent", "Never"],
    );
    enum_field(
        out,
        c,
        "terminationMessagePolicy",
        p,
        &["File", "FallbackToLogsOnError"],
    );
    for (i, port) in items(c, "ports") {
        let pp = format!("{p}/ports/{i}");
        port_number(out, port, &pp, "containerPort", false);
        port_number(out, port, &pp, "hostPort", true);
        protocol(out, port, &pp);
        if let Some(name) = port.get("name").and_then(Value::as_str)
            && let Some(problem) = iana_svc_name_problem(name)
        {
            out.push(
                format!("{pp}/name"),
                format!("Invalid value: {:?}: {problem}", short(name)),
            );
        }
    }
    if let Some(r) = c.get("resources") {
        resources(out, r, &format!("{p}/resources"));
    }
    let mut paths: Vec<&str> = Vec::new();
    for (i, m) in items(c, "volumeMounts") {
        let mp = format!("{p}/volumeMounts/{i}");
        if let Some(n) = m.get("name").and_then(Value::as_str)
            && !volumes.contains(&n)
        {
            out.push(format!("{mp}/name"), format!("Not found: {:?}", short(n)));
        }
        if let Some(path) = m.get("mountPath").and_then(Value::as_str) {
            if paths.contains(&path) {
                out.push(
                    format!("{mp}/mountPath"),
                    format!("Invalid value: {:?}: must be unique", short(path)),
                );
            }
            paths.push(path);
        }
    }
    for (key, liveness_like) in [
        ("livenessProbe", true),
        ("readinessProbe", false),
        ("startupProbe", true),
    ] {
        if let Some(pr) = c.get(key).filter(|v| v.is_object()) {
            probe(out, pr, &format!("{p}/{key}"), liveness_like);
        }
    }
    for (i, e) in items(c, "env") {
        let ep = format!("{p}/env/{i}");
        let value_set = e
            .get("value")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty());
        if let Some(from) = e.get("valueFrom").filter(|v| v.is_object()) {
            let sources = [
                "fieldRef",
                "resourceFieldRef",
                "configMapKeyRef",
                "secretKeyRef",
                "fileKeyRef",
            ]
            .iter()
            .filter(|k| from.get(**k).is_some_and(|v| !v.is_null()))
            .count();
            if value_set {
                out.push(
                    format!("{ep}/valueFrom"),
                    "Invalid value: \"\": may not be specified when `value` is not empty".into(),
                );
            } else if sources == 0 {
                out.push(
                    format!("{ep}/valueFrom"),
                    "Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`".into(),
                );
            } else if sources > 1 {
                out.push(
                    format!("{ep}/valueFrom"),
                    "Invalid value: \"\": may not have more than one field specified at a time"
                        .into(),
                );
            }
        }
    }
}

/// The fields of a volume that name its source (anything but `name`).
fn volume_sources(v: &Value) -> usize {
    v.as_object().map_or(0, |m| {
        m.iter()
            .filter(|(k, x)| *k != "name" && !x.is_null())
            .count()
    })
}

fn pod_spec(out: &mut Out, spec: &Value, at: &str, restart: &[&str], claims: &[&str]) {
    let volumes: Vec<&str> = items(spec, "volumes")
        .filter_map(|(_, v)| v.get("name").and_then(Value::as_str))
        .chain(claims.iter().copied())
        .collect();
    for (i, v) in items(spec, "volumes") {
        if volume_sources(v) > 1 {
            out.push(
                format!("{at}/volumes/{i}"),
                "Forbidden: may not specify more than 1 volume type".into(),
            );
        }
    }
    for (key, needs_image) in [
        ("initContainers", true),
        ("containers", true),
        ("ephemeralContainers", false),
    ] {
        for (i, c) in items(spec, key) {
            container(out, c, &format!("{at}/{key}/{i}"), &volumes, needs_image);
        }
    }
    match spec.get("restartPolicy").and_then(Value::as_str) {
        Some(r) if !restart.contains(&r) => {
            out.unsupported(format!("{at}/restartPolicy"), r, restart);
        }
        // A pod's default (Always) is no Job's: a Job must say which.
        None if !restart.contains(&"Always") => {
            let allowed: Vec<String> = restart.iter().map(|a| format!("{a:?}")).collect();
            out.push(
                format!("{at}/restartPolicy"),
                format!("Required value: valid values: {}", allowed.join(", ")),
            );
        }
        _ => {}
    }
    enum_field(
        out,
        spec,
        "dnsPolicy",
        at,
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
    );
}

fn service(out: &mut Out, svc: &Value) {
    let Some(spec) = svc.get("spec") else {
        return;
    };
    let ty = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    enum_field(
        out,
        spec,
        "type",
        "/spec",
        &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
    );
    if ty == "ExternalName"
        && spec
            .get("externalName")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        out.push("/spec/externalName".into(), "Required value".into());
    }
    let ports: Vec<(usize, &Value)> = items(spec, "ports").collect();
    let mut names: Vec<&str> = Vec::new();
    for (i, port) in &ports {
        let pp = format!("/spec/ports/{i}");
        port_number(out, port, &pp, "port", false);
        if matches!(ty, "NodePort" | "LoadBalancer") {
            port_number(out, port, &pp, "nodePort", true);
        }
        protocol(out, port, &pp);
        match port.get("targetPort") {
            Some(Value::Number(_)) => port_number(out, port, &pp, "targetPort", false),
            Some(Value::String(s)) => {
                if let Some(problem) = iana_svc_name_problem(s) {
                    out.push(
                        format!("{pp}/targetPort"),
                        format!("Invalid value: {:?}: {problem}", short(s)),
                    );
                }
            }
            _ => {}
        }
        let name = port.get("name").and_then(Value::as_str).unwrap_or("");
        if ports.len() > 1 && name.is_empty() {
            out.push(format!("{pp}/name"), "Required value".into());
        } else if !name.is_empty() {
            if names.contains(&name) {
                out.push(
                    format!("{pp}/name"),
                    format!("Duplicate value: {:?}", short(name)),
                );
            }
            names.push(name);
        }
    }
}

fn deployment_strategy(out: &mut Out, d: &Value) {
    let Some(s) = d.pointer("/spec/strategy") else {
        return;
    };
    enum_field(
        out,
        s,
        "type",
        "/spec/strategy",
        &["Recreate", "RollingUpdate"],
    );
    let ty = s
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("RollingUpdate");
    let ru = s.get("rollingUpdate").filter(|v| !v.is_null());
    if ty == "Recreate" && ru.is_some() {
        out.push(
            "/spec/strategy/rollingUpdate".into(),
            "Forbidden: may not be specified when strategy `type` is 'Recreate'".into(),
        );
    }
    if let Some(ru) = ru {
        let zero = |k: &str| match ru.get(k) {
            Some(Value::Number(n)) => n.as_i64() == Some(0),
            Some(Value::String(s)) => s.trim_end_matches('%').parse::<f64>() == Ok(0.0),
            _ => false,
        };
        // maxSurge defaults to 25%: only a written 0 counts.
        if zero("maxUnavailable") && zero("maxSurge") {
            out.push(
                "/spec/strategy/rollingUpdate/maxUnavailable".into(),
                "Invalid value: 0: may not be 0 when `maxSurge` is 0".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn deploy(container: Value, pod: Value) -> Value {
        let mut spec = json!({"containers": [container]});
        if let (Some(s), Some(p)) = (spec.as_object_mut(), pod.as_object()) {
            s.extend(p.clone());
        }
        json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
            "spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":spec}}})
    }

    fn messages(group: &str, kind: &str, v: &Value) -> Vec<String> {
        check(group, kind, v)
            .into_iter()
            .map(|v| v.message)
            .collect()
    }

    #[test]
    fn quantities_parse_as_the_api_server_reads_them() {
        for (q, want) in [
            ("500m", Some(0.5)),
            ("1.5Gi", Some(1.5 * 1024f64.powi(3))),
            ("2e3", Some(2000.0)),
            (".5", Some(0.5)),
            ("+1k", Some(1000.0)),
            ("-1", Some(-1.0)),
            ("1GB", None),
            ("500 m", None),
            ("1.2.3", None),
            ("", None),
            ("m", None),
            ("1e", None),
        ] {
            assert_eq!(quantity(&json!(q)), want, "{q}");
        }
        assert_eq!(quantity(&json!(2)), Some(2.0));
    }

    #[test]
    fn pod_specs_as_the_api_server_validates_them() {
        let ok = deploy(
            json!({"name":"c","image":"nginx:1.25","imagePullPolicy":"IfNotPresent",
                "ports":[{"containerPort":80,"name":"http","protocol":"TCP"}],
                "resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"cpu":1,"memory":"128Mi"}},
                "volumeMounts":[{"name":"data","mountPath":"/data"}],
                "livenessProbe":{"httpGet":{"path":"/","port":80}},
                "env":[{"name":"A","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}),
            json!({"volumes":[{"name":"data","emptyDir":{}}],"restartPolicy":"Always"}),
        );
        assert_eq!(messages("apps", "Deployment", &ok), Vec::<String>::new());
        let bad = deploy(
            json!({"name":"c","imagePullPolicy":"always",
                "ports":[{"containerPort":70000,"name":"Http_Port","protocol":"tcp"}],
                "resources":{"requests":{"cpu":"2"},"limits":{"cpu":"1","memory":"1GB"}},
                "volumeMounts":[{"name":"missing","mountPath":"/x"}],
                "readinessProbe":{"periodSeconds":5},
                "env":[{"name":"A","value":"x","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}),
            json!({"restartPolicy":"OnFailure"}),
        );
        let p = "spec.template.spec.containers[0]";
        assert_eq!(
            messages("apps", "Deployment", &bad),
            [
                format!("{p}.image: Required value"),
                format!("{p}.imagePullPolicy: Unsupported value: \"always\": supported values: \"Always\", \"IfNotPresent\", \"Never\""),
                format!("{p}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
                format!("{p}.ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
                format!("{p}.ports[0].name: Invalid value: \"Http_Port\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
                format!("{p}.resources.limits.memory: Invalid value: \"1GB\": quantities must match the regular expression '{QUANTITY_RE}'"),
                format!("{p}.resources.requests.cpu: Invalid value: \"2\": must be less than or equal to cpu limit of 1"),
                format!("{p}.volumeMounts[0].name: Not found: \"missing\""),
                format!("{p}.readinessProbe: Required value: must specify a handler type"),
                format!("{p}.env[0].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty"),
                "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"".to_string(),
            ]
        );
    }

    #[test]
    fn services_and_deployment_strategies() {
        let svc = json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},
            "spec":{"type":"NodePort","ports":[{"port":80,"targetPort":"http"},{"port":0,"targetPort":"Web_UI","protocol":"http"}]}});
        assert_eq!(
            messages("", "Service", &svc),
            [
                "spec.ports[0].name: Required value",
                "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[1].protocol: Unsupported value: \"http\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "spec.ports[1].targetPort: Invalid value: \"Web_UI\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "spec.ports[1].name: Required value",
            ]
        );
        let job = json!({"apiVersion":"batch/v1","kind":"Job",
            "spec":{"template":{"spec":{"containers":[{"name":"c","image":"x:1"}]}}}});
        assert_eq!(
            messages("batch", "Job", &job),
            [
                "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""
            ]
        );
        let sts = json!({"apiVersion":"apps/v1","kind":"StatefulSet","spec":{
            "volumeClaimTemplates":[{"metadata":{"name":"data"}}],
            "template":{"spec":{"containers":[{"name":"c","image":"x:1",
                "volumeMounts":[{"name":"data","mountPath":"/d"}]}]}}}});
        assert_eq!(messages("apps", "StatefulSet", &sts), Vec::<String>::new());
        let same = deploy(
            json!({"name":"c","image":"x:1","resources":{"requests":{"cpu":"3000m","memory":"1Gi"},
                "limits":{"cpu":3,"memory":"1073741824"}}}),
            json!({}),
        );
        assert_eq!(messages("apps", "Deployment", &same), Vec::<String>::new());
        let one = json!({"apiVersion":"v1","kind":"Service","spec":{"ports":[{"port":443,"targetPort":8443}]}});
        assert_eq!(messages("", "Service", &one), Vec::<String>::new());
        let mut d = deploy(json!({"name":"c","image":"x:1"}), json!({}));
        d["spec"]["strategy"] =
            json!({"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":"0%"}});
        assert_eq!(
            messages("apps", "Deployment", &d),
            [
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
            ]
        );
        d["spec"]["strategy"] = json!({"type":"Recreate","rollingUpdate":{"maxSurge":1}});
        assert_eq!(
            messages("apps", "Deployment", &d),
            [
                "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
            ]
        );
    }
}
