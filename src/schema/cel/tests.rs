use super::*;
use crate::json;

/// Runs the rules of `schema` on `value`: (kind, pointer, message) per outcome.
fn run(schema: Value, value: Value) -> Vec<(&'static str, String, String)> {
    let node = Node::from_schema(&schema);
    let rules = Rules::compile(&node).expect("the schema has rules");
    rules
        .check(&value, &node, &[])
        .into_iter()
        .map(|o| match o {
            Outcome::Failed { pointer, message } => ("failed", pointer, message),
            Outcome::NotChecked { pointer, message } => ("not-checked", pointer, message),
            Outcome::Transition { pointer, message } => ("transition", pointer, message),
        })
        .collect()
}

fn object(props: Value, rules: Value) -> Value {
    json!({"type": "object", "properties": props, "x-kubernetes-validations": rules})
}

#[test]
fn a_false_rule_fails_with_its_message_reason_and_field_path() {
    let schema = object(
        json!({"min": {"type": "integer"}, "max": {"type": "integer"}}),
        json!([{"rule": "self.min <= self.max", "message": "min must not exceed max",
                "fieldPath": ".min", "reason": "FieldValueForbidden"}]),
    );
    assert_eq!(run(schema.clone(), json!({"min": 1, "max": 2})), vec![]);
    assert_eq!(
        run(schema, json!({"min": 3, "max": 2})),
        vec![(
            "failed",
            "/min".to_string(),
            "min: Forbidden: min must not exceed max".to_string()
        )]
    );
}

#[test]
fn message_expression_and_the_default_message() {
    let schema = object(
        json!({"replicas": {"type": "integer"}}),
        json!([
            {"rule": "self.replicas < 10", "messageExpression": "'replicas is ' + string(self.replicas)"},
            {"rule": "self.replicas % 2 == 0"}
        ]),
    );
    let got = run(schema, json!({"replicas": 11}));
    let messages: Vec<&str> = got.iter().map(|g| g.2.as_str()).collect();
    assert_eq!(
        messages,
        [
            "(root): Invalid value: replicas is 11",
            "(root): Invalid value: failed rule: self.replicas % 2 == 0"
        ]
    );
}

#[test]
fn self_is_every_instance_of_the_node_in_lists_and_maps() {
    let item = object(
        json!({"name": {"type": "string"}, "weight": {"type": "integer"}}),
        json!([{"rule": "self.weight >= 0 && self.weight <= 100", "message": "weight out of range"}]),
    );
    let schema = json!({"type": "object", "properties": {
        "backends": {"type": "array", "items": item.clone()},
        "byName": {"type": "object", "additionalProperties": item}
    }});
    let got = run(
        schema,
        json!({"backends": [{"name": "a", "weight": 5}, {"name": "b", "weight": 500}],
               "byName": {"x": {"weight": -1}, "y": {"weight": 1}}}),
    );
    let at: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
    assert_eq!(at, ["/backends/1", "/byName/x"]);
    assert!(
        got[0]
            .2
            .starts_with("backends[1]: Invalid value: weight out of range")
    );
}

#[test]
fn list_rules_with_macros() {
    let schema = json!({"type": "object", "properties": {"rules": {
    "type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}},
    "x-kubernetes-validations": [
        {"rule": "self.all(r, self.exists_one(o, o.name == r.name))", "message": "names must be unique"},
        {"rule": "self.map(r, r.name).filter(n, n.startsWith('x-')).size() == 0", "message": "no x- names"},
        {"rule": "self.all(r, has(r.name) && r.name.matches('^[a-z-]+$'))", "message": "bad name"}
    ]}}});
    assert_eq!(
        run(
            schema.clone(),
            json!({"rules": [{"name": "a"}, {"name": "b"}]})
        ),
        vec![]
    );
    let got = run(
        schema,
        json!({"rules": [{"name": "a"}, {"name": "a"}, {"name": "x-y"}]}),
    );
    let messages: Vec<&str> = got.iter().map(|g| g.2.as_str()).collect();
    assert_eq!(
        messages,
        [
            "rules: Invalid value: names must be unique",
            "rules: Invalid value: no x- names"
        ]
    );
}

#[test]
fn transition_rules_run_on_create_only_with_optional_old_self() {
    let schema = object(
        json!({"mode": {"type": "string"}}),
        json!([
            {"rule": "self.mode == oldSelf.mode", "message": "mode is immutable"},
            {"rule": "!oldSelf.hasValue() || self.mode == oldSelf.value().mode",
             "optionalOldSelf": true, "message": "immutable"},
            {"rule": "oldSelf.hasValue() || self.mode != 'legacy'", "optionalOldSelf": true,
             "message": "legacy mode cannot be created"}
        ]),
    );
    let got = run(schema, json!({"mode": "legacy"}));
    let kinds: Vec<(&str, &str)> = got.iter().map(|g| (g.0, g.2.as_str())).collect();
    assert_eq!(kinds[0].0, "transition");
    assert_eq!(
        kinds[1],
        (
            "failed",
            "(root): Invalid value: legacy mode cannot be created"
        )
    );
    assert_eq!(kinds.len(), 2);
}

#[test]
fn kubernetes_functions_we_do_not_evaluate_are_reported_not_passed() {
    let schema = object(
        json!({"endpoint": {"type": "string"}, "items": {"type": "array", "items": {"type": "string"}}}),
        json!([
            {"rule": "authorizer.serviceAccount('ns', 'sa').check('get').allowed()"},
            {"rule": "isURL(self.endpoint)"},
            {"rule": "self.endpoint.size() > 0"}
        ]),
    );
    let got = run(schema, json!({"endpoint": "https://x", "items": ["a"]}));
    assert_eq!(
        got,
        vec![(
            "not-checked",
            String::new(),
            "(root): rule not checked: uses authorizer (rule \"authorizer.serviceAccount('ns', 'sa').check('get').allowed()\")".to_string()
        )]
    );
}

/// Each rule with the value it is true on and the value it is false on.
const TWO_VARIABLE_RULES: &[(&str, &str, &str)] = &[
    (
        "self.l.all(i, v, v > i)",
        r#"{"l": [1, 2, 3]}"#,
        r#"{"l": [1, 1]}"#,
    ),
    (
        "self.m.all(k, v, k.startsWith(v))",
        r#"{"m": {"ab": "a", "bc": "b"}}"#,
        r#"{"m": {"ab": "b"}}"#,
    ),
    (
        "self.l.exists(i, v, i == 1 && v == 'b')",
        r#"{"l": ["a", "b"]}"#,
        r#"{"l": ["b", "a"]}"#,
    ),
    (
        "self.m.exists(k, v, k == v)",
        r#"{"m": {"x": "y", "z": "z"}}"#,
        r#"{"m": {"x": "y"}}"#,
    ),
    (
        "self.l.existsOne(i, v, v == 'a')",
        r#"{"l": ["a", "b"]}"#,
        r#"{"l": ["a", "a"]}"#,
    ),
    (
        "self.l.exists_one(i, v, i == 0 && v == 'a')",
        r#"{"l": ["a"]}"#,
        r#"{"l": ["b"]}"#,
    ),
    (
        "self.l.transformList(i, v, v * i) == [0, 2, 6]",
        r#"{"l": [1, 2, 3]}"#,
        r#"{"l": [1, 1, 1]}"#,
    ),
    (
        "self.l.transformList(i, v, i > 0, v) == [2, 3]",
        r#"{"l": [1, 2, 3]}"#,
        r#"{"l": [2, 3]}"#,
    ),
    (
        "self.m.transformList(k, v, k + v).exists(s, s == 'ab')",
        r#"{"m": {"a": "b"}}"#,
        r#"{"m": {"b": "a"}}"#,
    ),
    (
        "self.m.transformMap(k, v, v + 1) == {'a': 2}",
        r#"{"m": {"a": 1}}"#,
        r#"{"m": {"a": 2}}"#,
    ),
    (
        "self.m.transformMap(k, v, v > 1, v).size() == 1",
        r#"{"m": {"a": 1, "b": 2}}"#,
        r#"{"m": {"a": 2, "b": 2}}"#,
    ),
    (
        "self.l.transformMap(i, v, v)[1] == 'b'",
        r#"{"l": ["a", "b"]}"#,
        r#"{"l": ["b", "a"]}"#,
    ),
    (
        "self.m.transformMapEntry(k, v, {v: k}) == {'x': 'a'}",
        r#"{"m": {"a": "x"}}"#,
        r#"{"m": {"a": "y"}}"#,
    ),
    // Nested: the inner names shadow nothing of the outer ones.
    (
        "self.m.all(k, v, v.all(i, w, w.startsWith(k)))",
        r#"{"m": {"a": ["ab"], "b": ["b"]}}"#,
        r#"{"m": {"a": ["b"]}}"#,
    ),
    (
        "self.?o.optMap(v, v + 1).orValue(0) == 2",
        r#"{"o": 1}"#,
        r#"{"o": 5}"#,
    ),
    (
        "self.?o.optMap(v, v + 1).orValue(0) == 0",
        r#"{}"#,
        r#"{"o": 1}"#,
    ),
    (
        "self.?o.optFlatMap(v, v > 0 ? optional.of(v) : optional.none()).hasValue()",
        r#"{"o": 1}"#,
        r#"{"o": 0}"#,
    ),
    (
        "self.l.sortBy(e, -e) == [3, 2, 1]",
        r#"{"l": [1, 3, 2]}"#,
        r#"{"l": [1, 3]}"#,
    ),
    (
        "self.l.first().orValue(0) == 1 && self.l.last().orValue(0) == 3",
        r#"{"l": [1, 2, 3]}"#,
        r#"{"l": [3, 1]}"#,
    ),
    (
        "!self.l.first().hasValue()",
        r#"{"l": []}"#,
        r#"{"l": [1]}"#,
    ),
];

#[test]
fn two_variable_comprehensions_optional_maps_and_list_ends_are_evaluated() {
    let schema = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
    for (rule, good, bad) in TWO_VARIABLE_RULES {
        let mut schema = schema.clone();
        schema["x-kubernetes-validations"] = json!([{"rule": rule, "message": "false"}]);
        let good: Value = serde_json::from_str(good).unwrap();
        let bad: Value = serde_json::from_str(bad).unwrap();
        assert_eq!(
            run(schema.clone(), good),
            vec![],
            "{rule} on its good value"
        );
        assert_eq!(
            run(schema, bad),
            vec![(
                "failed",
                String::new(),
                "(root): Invalid value: false".to_string()
            )],
            "{rule} on its bad value"
        );
    }
}

#[test]
fn two_variable_comprehension_errors_are_the_rules_errors() {
    // A key made twice by transformMapEntry is an evaluation error, as in cel-go.
    let schema = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true,
        "x-kubernetes-validations": [{"rule": "self.m.transformMapEntry(k, v, {'same': v}).size() > 0"}]});
    let got = run(schema, json!({"m": {"a": 1, "b": 2}}));
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].2.contains("insert failed: key same already exists"),
        "{got:?}"
    );
    // The two names must differ and be names.
    assert!(compile_error("self.all(v, v, v > 0)").is_some());
    assert!(compile_error("self.all(1, v, v > 0)").is_some());
}

#[test]
fn two_variable_comprehensions_and_sort_by_are_too_new_for_older_servers() {
    for (rule, minor, added) in [
        ("self.all(k, v, v > 0)", 31, 32),
        ("self.l.transformList(i, v, v)[0] == 1", 31, 32),
        ("self.l.sortBy(e, e)[0] == 1", 33, 34),
        ("self.l.first().hasValue()", 33, 34),
    ] {
        let why = compile_error_for(rule, Some(minor)).unwrap_or_default();
        assert!(
            why.contains(&format!(
                "(Kubernetes 1.{minor}; it was added in 1.{added})"
            )),
            "{rule}: {why}"
        );
        assert_eq!(compile_error_for(rule, Some(added)), None, "{rule}");
    }
}

#[test]
fn network_url_and_semver_rules_pass_and_fail_as_on_the_server() {
    let schema = object(
        json!({"address": {"type": "string"}, "network": {"type": "string"},
               "issuer": {"type": "string"}, "version": {"type": "string"}}),
        json!([
            {"rule": "isIP(self.address) && ip(self.address).family() == 4", "message": "address must be an IPv4 address"},
            {"rule": "cidr(self.network).containsIP(self.address)", "message": "address must be in network"},
            {"rule": "url(self.issuer).getScheme() == 'https'", "message": "issuer must use https"},
            {"rule": "semver(self.version).isGreaterThan(semver('1.0.0'))", "message": "version must be above 1.0.0"}
        ]),
    );
    let good = json!({"address": "10.0.0.7", "network": "10.0.0.0/24",
                      "issuer": "https://acme.example/dir", "version": "1.2.0"});
    assert_eq!(run(schema.clone(), good), vec![]);
    let bad = json!({"address": "10.0.1.7", "network": "10.0.0.0/24",
                     "issuer": "http://acme.example/dir", "version": "0.9.0"});
    let messages: Vec<String> = run(schema.clone(), bad).into_iter().map(|g| g.2).collect();
    assert_eq!(
        messages,
        [
            "(root): Invalid value: address must be in network",
            "(root): Invalid value: issuer must use https",
            "(root): Invalid value: version must be above 1.0.0"
        ]
    );
    // A function that errors at run time fails the rule, as on the server.
    let broken = json!({"address": "10.0.0.7", "network": "10.0.0.0/99",
                        "issuer": "acme.example", "version": "1.2"});
    let got = run(schema, broken);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.iter().all(|g| g.0 == "failed"), "{got:?}");
    assert!(
        got[0]
            .2
            .starts_with("(root): Invalid value: evaluation error: "),
        "{}",
        got[0].2
    );
    assert!(
        got[0].2.contains("network address parse error"),
        "{}",
        got[0].2
    );
}

#[test]
fn date_time_and_duration_fields_are_timestamps_and_durations() {
    let schema = object(
        json!({"start": {"type": "string", "format": "date-time"},
               "end": {"type": "string", "format": "date-time"},
               "day": {"type": "string", "format": "date"},
               "timeout": {"type": "string", "format": "duration"}}),
        json!([
            {"rule": "self.start < self.end", "message": "start must be before end"},
            {"rule": "self.timeout <= duration('1h')", "message": "timeout at most 1h"},
            {"rule": "self.day.getDayOfWeek() != 0", "message": "not on a Sunday"}
        ]),
    );
    let ok = json!({"start": "2025-01-01T00:00:00Z", "end": "2026-01-01T00:00:00+01:00",
                    "day": "2026-01-05", "timeout": "90s"});
    assert_eq!(run(schema.clone(), ok), vec![]);
    let got = run(
        schema,
        json!({"start": "2026-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z",
               "day": "2026-01-04", "timeout": "1h30m"}),
    );
    let messages: Vec<&str> = got.iter().map(|g| g.2.as_str()).collect();
    assert_eq!(
        messages,
        [
            "(root): Invalid value: start must be before end",
            "(root): Invalid value: timeout at most 1h",
            "(root): Invalid value: not on a Sunday"
        ]
    );
}

#[test]
fn a_hostile_rule_is_bounded() {
    let schema = json!({"type": "array", "items": {"type": "integer"},
    "x-kubernetes-validations": [
        {"rule": "self.all(a, self.all(b, self.all(c, a + b + c >= 0)))"},
        {"rule": "self.all(a, a >= 0)"}
    ]});
    let big: Vec<i64> = (0..2000).collect();
    let got = run(schema, json!(big));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "not-checked");
    assert!(got[0].2.contains("over the budget"), "{}", got[0].2);
}

#[test]
fn values_as_the_api_server_types_them() {
    let schema = object(
        json!({
            "ratio": {"type": "number"},
            "port": {"x-kubernetes-int-or-string": true},
            "max-surge": {"type": "string"},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}}
        }),
        json!([
            {"rule": "self.ratio == 0.5 || self.ratio == 1.0", "message": "ratio"},
            {"rule": "type(self.port) == int ? self.port > 0 : self.port.startsWith('http')", "message": "port"},
            {"rule": "self.max__dash__surge.endsWith('%')", "message": "surge"},
            {"rule": "self.__namespace__ != 'kube-system'", "message": "namespace"},
            {"rule": "!('app.kubernetes.io/name' in self.labels) || self.labels['app.kubernetes.io/name'] != ''", "message": "label"}
        ]),
    );
    let ok = json!({"ratio": 1, "port": "https", "max-surge": "25%", "namespace": "media",
                    "labels": {"app.kubernetes.io/name": "auth"}});
    assert_eq!(run(schema.clone(), ok), vec![]);
    let bad = json!({"ratio": 0.7, "port": 0, "max-surge": "2", "namespace": "kube-system",
                     "labels": {"app.kubernetes.io/name": ""}});
    let messages: Vec<String> = run(schema, bad).into_iter().map(|g| g.2).collect();
    assert_eq!(messages.len(), 5, "{messages:?}");
}

#[test]
fn a_missing_field_fails_as_in_the_api_server_and_schema_errors_come_first() {
    let schema = object(
        json!({"a": {"type": "integer"}}),
        json!([{"rule": "self.a > 0", "message": "a must be positive"}]),
    );
    let got = run(schema.clone(), json!({}));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "failed");
    assert!(got[0].2.contains("evaluation error"), "{}", got[0].2);
    // A value the schema rejected does not run its own rules; the rules above it still run.
    let schema = object(
        json!({"a": {"type": "integer", "x-kubernetes-validations": [{"rule": "self > 0"}]},
               "b": {"type": "string"}}),
        json!([{"rule": "self.b != ''", "message": "b must not be empty"}]),
    );
    let node = Node::from_schema(&schema);
    let rules = Rules::compile(&node).unwrap();
    let got = rules.check(&json!({"a": "x", "b": ""}), &node, &["/a".to_string()]);
    assert_eq!(
        got,
        vec![Outcome::Failed {
            pointer: String::new(),
            message: "(root): Invalid value: b must not be empty".into()
        }]
    );
}

#[test]
fn field_paths() {
    assert_eq!(
        field_path_pointer("/spec", ".a.b").as_deref(),
        Some("/spec/a/b")
    );
    assert_eq!(
        field_path_pointer("", ".labels['app.kubernetes.io/name']").as_deref(),
        Some("/labels/app.kubernetes.io~1name")
    );
    assert_eq!(
        field_path_pointer("/s", ".list[2].x").as_deref(),
        Some("/s/list/2/x")
    );
    assert_eq!(field_path_pointer("", "a"), None);
    assert_eq!(field_path_pointer("", ".a[x]"), None);
}

#[test]
fn what_the_api_server_refuses_to_compile() {
    for (rule, why) in [
        ("isIPv4(self.a)", "undeclared reference to 'isIPv4'"),
        ("self.a.matches('[')", "invalid regular expression \"[\""),
        ("matches(self.a, '(')", "invalid regular expression \"(\""),
        (
            "self.d == duration('3days')",
            "invalid duration literal \"3days\"",
        ),
        (
            "self.t > timestamp('yesterday')",
            "invalid timestamp literal \"yesterday\"",
        ),
        (
            "isURL(42)",
            "found no matching overload for 'isURL' applied to '(int)'",
        ),
        (
            "format.nope().validate(self.a).hasValue()",
            "undeclared reference to 'format.nope'",
        ),
        (
            "cel.bind(x, self.a, x != '')",
            "undeclared reference to 'cel.bind'",
        ),
    ] {
        assert_eq!(compile_error(rule).as_deref(), Some(why), "{rule}");
    }
    let syntax = compile_error("self.a.size() > ").unwrap();
    assert!(
        syntax.starts_with("syntax error: 1:17: Syntax error: "),
        "{syntax}"
    );
    // Valid rules, those using functions this build does not evaluate included, compile.
    for rule in [
        "self.all(k, v, v > 0)",
        "self.exists(i, v, v > 0)",
        "self.transformList(i, v, v + 1).size() > 0",
        "authorizer.group('').resource('x').check('get').allowed()",
        "ip.isCanonical(self.a) && format.dns1123Label().validate(self.a).hasValue()",
        "sets.contains(self.l, ['a']) && self.?b.orValue('') == ''",
        "duration('1h30m') > duration('0s') && timestamp('2026-01-01T00:00:00Z') > timestamp('2025-01-01T00:00:00Z')",
    ] {
        assert_eq!(compile_error(rule), None, "{rule}");
    }
}

#[test]
fn a_rule_that_does_not_compile_is_silent_on_resources_and_authorizer_is_not_checked() {
    let schema = object(
        json!({"a": {"type": "string"}}),
        json!([
            {"rule": "isIPv4(self.a)"},
            {"rule": "authorizer.group('').resource('x').check('get').allowed()"}
        ]),
    );
    let got = run(schema, json!({"a": "x"}));
    assert_eq!(
        got,
        vec![(
            "not-checked",
            String::new(),
            "(root): rule not checked: uses authorizer (rule \"authorizer.group('').resource('x').check('get').allowed()\")".to_string()
        )]
    );
}

#[test]
fn fields_the_schema_does_not_declare_do_not_compile() {
    let node = Node::from_schema(&json!({
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {
                "name": {"type": "string"},
                "foo-bar": {"type": "integer"},
                "namespace": {"type": "string"},
                "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "port": {"x-kubernetes-int-or-string": true},
                "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                             "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}}},
                "when": {"type": "string", "format": "date-time"}
            }}
        }
    }));
    let at_root = |rule: &str| compile_error_typed(rule, None, &node, true, false);
    for ok in [
        "self.spec.name == 'a'",
        "self.spec.foo__dash__bar > 0",
        "self.spec.__namespace__ == 'x'",
        "self.spec.items.all(i, i.name != '')",
        "self.spec.labels.anything == 'x' && self.spec.labels['a.b'] == 'y'",
        "self.spec.free.whatever.deeper == 1",
        "self.spec.port == 80",
        "self.apiVersion != '' && self.kind != '' && self.metadata.name != '' && has(self.metadata.generateName)",
        "self.spec.template.apiVersion != '' && self.spec.template.metadata.labels.size() > 0",
        "self.spec.template.spec.a == ''",
        "[1, 2].map(x, x * 2).size() == 2",
        "self.spec.items.map(i, i).all(j, j.anything)",
        "oldSelf.spec.name == self.spec.name",
    ] {
        assert_eq!(at_root(ok), None, "{ok}");
    }
    for (bad, why) in [
        ("self.spec.nmae == 'a'", "undefined field 'nmae'"),
        ("has(self.spec.missing)", "undefined field 'missing'"),
        (
            "self.spec.?missing.orValue('') == ''",
            "undefined field 'missing'",
        ),
        ("self.spec.foo_bar > 0", "undefined field 'foo_bar'"),
        (
            "self.spec.items.all(i, i.nme != '')",
            "undefined field 'nme'",
        ),
        ("self.spec.items[0].nme == ''", "undefined field 'nme'"),
        (
            "self.spec.items.exists(i, self.spec.items.all(j, j.name == i.nam))",
            "undefined field 'nam'",
        ),
        // sortBy binds its list: the key expression sees the items' type.
        (
            "self.spec.items.sortBy(i, i.nope).size() > 0",
            "undefined field 'nope'",
        ),
        (
            "self.metadata.labels.size() > 0",
            "undefined field 'labels'",
        ),
        ("self.spec.template.spec.b == ''", "undefined field 'b'"),
        (
            "self.spec.name.first == 'a'",
            "type 'string' does not support field selection",
        ),
        (
            "self.spec.when.seconds > 0",
            "type 'google.protobuf.Timestamp' does not support field selection",
        ),
        ("self.oops", "undefined field 'oops'"),
    ] {
        assert_eq!(at_root(bad).as_deref(), Some(why), "{bad}");
    }
    // Below the root, `self` is the node's value: apiVersion is a field like any other.
    let spec = node.property("spec").unwrap();
    assert_eq!(
        compile_error_typed("self.apiVersion == ''", None, spec, false, false).as_deref(),
        Some("undefined field 'apiVersion'")
    );
    assert_eq!(
        compile_error_typed("self.name == ''", None, spec, false, false),
        None
    );
}

#[test]
fn operators_and_functions_take_the_types_they_are_declared_for() {
    let node = Node::from_schema(&json!({
        "type": "object",
        "properties": {
            "replicas": {"type": "integer"},
            "ratio": {"type": "number"},
            "name": {"type": "string"},
            "on": {"type": "boolean"},
            "when": {"type": "string", "format": "date-time"},
            "timeout": {"type": "string", "format": "duration"},
            "port": {"x-kubernetes-int-or-string": true},
            "items": {"type": "array", "items": {"type": "string"}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "any": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
        }
    }));
    let check = |rule: &str| compile_error_typed(rule, None, &node, false, false);
    for ok in [
        "self.replicas > 0 && self.replicas <= 10",
        "self.ratio > 0 && self.ratio < 1.5 && self.replicas < self.ratio",
        "self.replicas + 1 == 2 && self.ratio * 2.0 < 3.0 && self.replicas % 2 == 0",
        "self.name + '-x' != '' && self.name.startsWith('a') && size(self.name) < 63",
        "self.when < timestamp('2030-01-01T00:00:00Z') && self.timeout > duration('1s')",
        "self.when + self.timeout > self.when && self.when - self.when == duration('0s')",
        "self.port == 80 || self.port == 'http'",
        "self.items.size() > 0 && self.items + ['a'] != [] && 'a' in self.items",
        "self.labels.size() < 5 && self.labels.all(k, self.labels[k].size() < 63)",
        "self.items[0] == 'a' && self.labels['app'] == 'x' && self.any['k'] == self.any[0]",
        "self.any.whatever + 1 == 2 && self.any.x.startsWith('y')",
        "self.on ? self.replicas > 0 : true",
        "(self.on ? self.name : null) != '' && (self.on ? self.port : 'x') != ''",
        "(self.on ? self.items : ['a']).size() > 0",
        "!self.on || has(self.name)",
        "self.items.map(i, i.size()).all(n, n > 0)",
        "self.items.exists_one(i, i == 'a') && self.items.filter(i, i != '').size() >= 0",
        "self.name == null || self.replicas != null",
        "int(self.name) > 0 && string(self.replicas) != '' && double(self.replicas) > 0.0",
    ] {
        assert_eq!(check(ok), None, "{ok}");
    }
    for (bad, why) in [
        (
            "self.replicas > '3'",
            "found no matching overload for '_>_' applied to '(int, string)'",
        ),
        (
            "self.name == 1",
            "found no matching overload for '_==_' applied to '(string, int)'",
        ),
        (
            "self.replicas + 1.5 > 2.0",
            "found no matching overload for '_+_' applied to '(int, double)'",
        ),
        (
            "self.name + 1 == 'a'",
            "found no matching overload for '_+_' applied to '(string, int)'",
        ),
        (
            "self.replicas && true",
            "found no matching overload for '_&&_' applied to '(int, bool)'",
        ),
        (
            "!self.name",
            "found no matching overload for '!_' applied to '(string)'",
        ),
        (
            "self.replicas ? true : false",
            "found no matching overload for '_?_:_' applied to '(int, bool, bool)'",
        ),
        (
            "(self.on ? self.replicas : self.name) != ''",
            "found no matching overload for '_?_:_' applied to '(bool, int, string)'",
        ),
        (
            "(self.on ? 1 : 2.0) > 0.0",
            "found no matching overload for '_?_:_' applied to '(bool, int, double)'",
        ),
        (
            "size(self.replicas) > 0",
            "found no matching overload for 'size' applied to '(int)'",
        ),
        (
            "self.replicas.startsWith('1')",
            "found no matching overload for 'startsWith' applied to 'int.(string)'",
        ),
        (
            "self.when > '2020-01-01'",
            "found no matching overload for '_>_' applied to '(google.protobuf.Timestamp, string)'",
        ),
        (
            "self.items.all(i, i > 0)",
            "found no matching overload for '_>_' applied to '(string, int)'",
        ),
        (
            "self.items['a'] == 'b'",
            "found no matching overload for '_[_]' applied to '(list, string)'",
        ),
        (
            "self.labels[0] == 'b'",
            "found no matching overload for '_[_]' applied to '(map, int)'",
        ),
        (
            "self.replicas",
            "cel expression must evaluate to a bool, not int",
        ),
        (
            "self.items.map(i, i)",
            "cel expression must evaluate to a bool, not list",
        ),
    ] {
        assert_eq!(check(bad).as_deref(), Some(why), "{bad}");
    }
    // A message expression evaluates to a string.
    let message = |m: &str| compile_error_typed(m, None, &node, false, true);
    assert_eq!(message("'replicas: ' + string(self.replicas)"), None);
    assert_eq!(
        message("self.replicas").as_deref(),
        Some("messageExpression must evaluate to a string, not int")
    );
}
