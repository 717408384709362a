//! `rollout status`: waits until an environment's workloads have rolled out and their pods are
//! Ready, failing fast on pods that cannot start.
//!
//! Owns the rollout conditions (the ones `kubectl rollout status` uses, per kind), the pod checks
//! (Ready, restarts, the waiting reasons that never heal by themselves) and the watch loop over
//! the kube API. The conditions are pure functions over the objects' JSON; only [`run`] talks to
//! the cluster, and it never writes to it. Prints nothing: progress goes to a callback.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::value::Value;
use futures_util::StreamExt;
use kube::api::{Api, DynamicObject, ListParams, WatchEvent, WatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use serde::Serialize;

use crate::live::{ClusterOptions, ClusterSource};
use crate::spec::{Spec, WorkloadKind};

/// `kind` of `rollout-status.json`.
pub const KIND: &str = "rollout-status";
/// The default evidence file name.
pub const EVIDENCE_FILE: &str = "rollout-status.json";

/// The server-side length of one watch (`timeoutSeconds`); an ended watch is started again from
/// the last resource version, until the caller's deadline.
pub const WATCH_SECONDS: u32 = 60;

/// Container waiting reasons that do not heal by waiting: `rollout status` fails on the first.
pub const FATAL_REASONS: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "InvalidImageName",
];

/// Where a workload's rollout stands (kubectl's `rollout status` conditions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Rolled out.
    Done,
    /// Still rolling out: what is being waited for.
    Waiting(String),
    /// Will not finish (progress deadline exceeded, or a strategy that has no rollout).
    Failed(String),
}

fn int(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

/// The rollout state of a Deployment, StatefulSet or DaemonSet given as its JSON (with `status`).
///
/// # Caveats
/// Deployment: done when `status.observedGeneration >= metadata.generation`, `updatedReplicas`
/// equals `spec.replicas` (default 1), no old replicas remain (`status.replicas`) and every updated
/// replica is available; a `Progressing` condition with reason `ProgressDeadlineExceeded` fails.
/// StatefulSet (RollingUpdate only): observed generation, `readyReplicas`, updated replicas above
/// the partition and `updateRevision == currentRevision`. DaemonSet (RollingUpdate only):
/// observed generation, `updatedNumberScheduled` and `numberAvailable` reach
/// `desiredNumberScheduled`. Other kinds are not checked by this function (`Done`).
pub fn rollout_progress(kind: WorkloadKind, obj: &Value) -> Progress {
    let name = crate::finding::str_at_pointer(obj, "/metadata/name");
    let generation = int(obj, "/metadata/generation");
    let observed = int(obj, "/status/observedGeneration");
    let lower = kind.kind().to_lowercase();
    if observed < generation {
        return Progress::Waiting(format!(
            "waiting for {lower} {name:?} spec update to be observed"
        ));
    }
    let want = obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    match kind {
        WorkloadKind::Deployment => {
            let conditions = obj
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if conditions.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Progressing")
                    && c.get("reason").and_then(Value::as_str) == Some("ProgressDeadlineExceeded")
            }) {
                return Progress::Failed(format!(
                    "deployment {name:?} exceeded its progress deadline"
                ));
            }
            let updated = int(obj, "/status/updatedReplicas");
            let replicas = int(obj, "/status/replicas");
            let available = int(obj, "/status/availableReplicas");
            if updated < want {
                Progress::Waiting(format!(
                    "{updated} of {want} new replicas of {name:?} updated"
                ))
            } else if replicas > updated {
                Progress::Waiting(format!(
                    "{} old replicas of {name:?} pending termination",
                    replicas - updated
                ))
            } else if available < updated {
                Progress::Waiting(format!(
                    "{available} of {updated} updated replicas of {name:?} available"
                ))
            } else {
                Progress::Done
            }
        }
        WorkloadKind::StatefulSet => {
            let strategy = crate::finding::str_at_pointer(obj, "/spec/updateStrategy/type");
            if strategy == "OnDelete" {
                return Progress::Failed(format!(
                    "statefulset {name:?} uses updateStrategy OnDelete: it has no rollout to wait for"
                ));
            }
            let ready = int(obj, "/status/readyReplicas");
            if ready < want {
                return Progress::Waiting(format!(
                    "{ready} of {want} pods of statefulset {name:?} ready"
                ));
            }
            let partition = int(obj, "/spec/updateStrategy/rollingUpdate/partition");
            let updated = int(obj, "/status/updatedReplicas");
            if partition > 0 {
                if updated < want - partition {
                    return Progress::Waiting(format!(
                        "{updated} of {} pods of statefulset {name:?} (partition {partition}) updated",
                        want - partition
                    ));
                }
                return Progress::Done;
            }
            let update = crate::finding::str_at_pointer(obj, "/status/updateRevision");
            let current = crate::finding::str_at_pointer(obj, "/status/currentRevision");
            if update != current {
                return Progress::Waiting(format!(
                    "statefulset {name:?} rolling update: {updated} pods at revision {update}"
                ));
            }
            Progress::Done
        }
        WorkloadKind::DaemonSet => {
            let strategy = crate::finding::str_at_pointer(obj, "/spec/updateStrategy/type");
            if strategy == "OnDelete" {
                return Progress::Failed(format!(
                    "daemonset {name:?} uses updateStrategy OnDelete: it has no rollout to wait for"
                ));
            }
            let desired = int(obj, "/status/desiredNumberScheduled");
            let updated = int(obj, "/status/updatedNumberScheduled");
            let available = int(obj, "/status/numberAvailable");
            if updated < desired {
                Progress::Waiting(format!(
                    "{updated} of {desired} updated pods of daemonset {name:?} scheduled"
                ))
            } else if available < desired {
                Progress::Waiting(format!(
                    "{available} of {desired} updated pods of daemonset {name:?} available"
                ))
            } else {
                Progress::Done
            }
        }
        _ => Progress::Done,
    }
}

/// A container that cannot start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodProblem {
    /// The pod.
    pub pod: String,
    /// The container (an init container too).
    pub container: String,
    /// The waiting reason, one of [`FATAL_REASONS`].
    pub reason: String,
    /// The kubelet's message, one line.
    pub message: String,
}

/// One pod as `rollout status` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodState {
    /// The pod's name.
    pub name: String,
    /// `status.phase`.
    pub phase: String,
    /// The `Ready` condition is `True`.
    pub ready: bool,
    /// Restarts of all its containers.
    pub restarts: i64,
    /// It has a deletion timestamp (an old replica going away).
    pub terminating: bool,
    /// The first container that cannot start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<PodProblem>,
}

/// A server message as one safe line; empty stays empty.
fn one_line(message: &str) -> String {
    if message.trim().is_empty() {
        return String::new();
    }
    crate::clients::http::reason(&Value::String(message.to_string()).to_string())
}

/// Reads a pod's JSON.
pub fn pod_state(pod: &Value) -> PodState {
    let name = crate::finding::str_at_pointer(pod, "/metadata/name").to_string();
    let statuses: Vec<&Value> = ["/status/initContainerStatuses", "/status/containerStatuses"]
        .iter()
        .filter_map(|p| pod.pointer(p).and_then(Value::as_array))
        .flatten()
        .collect();
    let restarts = statuses.iter().map(|c| int(c, "/restartCount")).sum();
    let problem = statuses.iter().find_map(|c| {
        let reason = crate::finding::str_at_pointer(c, "/state/waiting/reason");
        FATAL_REASONS.contains(&reason).then(|| PodProblem {
            pod: name.clone(),
            container: crate::finding::str_at_pointer(c, "/name").to_string(),
            reason: reason.to_string(),
            message: one_line(crate::finding::str_at_pointer(c, "/state/waiting/message")),
        })
    });
    let ready = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        });
    PodState {
        name,
        phase: crate::finding::str_at_pointer(pod, "/status/phase").to_string(),
        ready,
        restarts,
        terminating: pod.pointer("/metadata/deletionTimestamp").is_some(),
        problem,
    }
}

/// The label selector of a workload's `spec.selector`, in the API's query syntax.
pub fn selector_string(obj: &Value) -> Option<String> {
    let sel = obj.pointer("/spec/selector")?;
    let mut parts: Vec<String> = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = crate::finding::str_at_pointer(e, "/key");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match crate::finding::str_at_pointer(e, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => return None,
        });
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// One workload to wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// The service of the spec.
    pub service: String,
    /// Its kind.
    pub kind: WorkloadKind,
    /// Its namespace in the environment.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

/// The workloads of `env` from the spec: each service's workload, in the environment's namespace
/// unless the service names its own.
pub fn workloads(spec: &Spec, env: &str) -> Vec<Workload> {
    let ns = spec
        .environments
        .get(env)
        .map(|e| e.namespace.clone())
        .unwrap_or_default();
    spec.services
        .iter()
        .map(|s| Workload {
            service: s.name.clone(),
            kind: s.workload.kind,
            namespace: s.workload.namespace.clone().unwrap_or_else(|| ns.clone()),
            name: s.workload_name().to_string(),
        })
        .collect()
}

/// What `rollout status` needs.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    /// The environment (recorded in the evidence).
    pub environment: String,
    /// What to wait for.
    pub workloads: Vec<Workload>,
    /// How to reach the cluster (its timeout is per request).
    pub cluster: ClusterOptions,
    /// The whole wait.
    pub timeout: Duration,
}

/// One workload's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadRecord {
    pub service: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// `rolled-out`, `failed`, `timeout`, `not-checked` (a kind without rollout status) or
    /// `pending` (not reached: an earlier workload failed).
    pub result: String,
    /// The last thing waited for, or why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `metadata.generation` / `status.observedGeneration` last seen.
    pub generation: i64,
    pub observed_generation: i64,
    /// The status counters last seen (`replicas`, `updatedReplicas`, `readyReplicas`,
    /// `availableReplicas`; DaemonSets: `desiredNumberScheduled`, `updatedNumberScheduled`,
    /// `numberReady`, `numberAvailable`).
    pub replicas: BTreeMap<String, i64>,
    /// The pods its selector matched, last seen.
    pub pods: Vec<PodState>,
    /// Restarts over those pods.
    pub restarts: i64,
}

/// The result of `rollout status`, also its evidence record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub kind: &'static str,
    pub schema_version: u32,
    pub environment: String,
    /// The API server (no credentials).
    pub server: String,
    pub started_at: String,
    pub finished_at: String,
    pub timeout_seconds: u64,
    /// `rolled-out`, `failed` or `timeout`.
    pub result: String,
    pub workloads: Vec<WorkloadRecord>,
    /// The container that made it fail fast.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<PodProblem>,
    /// Why it did not succeed, one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl StatusReport {
    /// True when every workload rolled out.
    pub fn ok(&self) -> bool {
        self.result == "rolled-out"
    }
}

/// A failure to talk to the cluster (exit 2), not a failed rollout.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// Connecting failed.
    #[error(transparent)]
    Cluster(Box<crate::live::cluster::ClusterError>),
    /// A request failed.
    #[error("{verb} {what}: {message}")]
    Request {
        /// `get`, `list` or `watch`.
        verb: &'static str,
        /// What was asked for.
        what: String,
        /// The server's or transport's error, one line.
        message: String,
    },
    /// The workload has no usable `spec.selector`.
    #[error("{what} has no usable spec.selector: cannot find its pods")]
    NoSelector {
        /// The workload.
        what: String,
    },
}

fn api_resource(group: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, "v1", kind), plural)
}

fn plural(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "deployments",
        WorkloadKind::StatefulSet => "statefulsets",
        WorkloadKind::DaemonSet => "daemonsets",
        _ => "",
    }
}

fn request_error(verb: &'static str, what: &str, e: kube::Error) -> StatusError {
    let message = match &e {
        kube::Error::Api(s) => format!("{} ({})", s.message, s.code),
        other => other.to_string(),
    };
    StatusError::Request {
        verb,
        what: what.to_string(),
        message: one_line(&message),
    }
}

fn counters(kind: WorkloadKind, obj: &Value) -> BTreeMap<String, i64> {
    let keys: &[&str] = match kind {
        WorkloadKind::DaemonSet => &[
            "desiredNumberScheduled",
            "updatedNumberScheduled",
            "numberReady",
            "numberAvailable",
        ],
        _ => &[
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
        ],
    };
    keys.iter()
        .map(|k| (k.to_string(), int(obj, &format!("/status/{k}"))))
        .collect()
}

/// How one workload's wait ended.
enum Ending {
    Done,
    Failed(String, Option<PodProblem>),
    Timeout,
}

/// The evaluation of one workload and its pods: rolled out and every pod not going away Ready, a
/// container that cannot start (checked first: it fails even while the rollout still waits), or
/// what is being waited for.
fn evaluate(
    kind: WorkloadKind,
    obj: &Value,
    pods: &BTreeMap<String, PodState>,
) -> Result<Option<String>, (String, Option<PodProblem>)> {
    if let Some(p) = pods
        .values()
        .filter(|p| !p.terminating)
        .find_map(|p| p.problem.clone())
    {
        return Err((
            format!(
                "pod {} container {}: {}{}",
                p.pod,
                p.container,
                p.reason,
                if p.message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", p.message)
                }
            ),
            Some(p),
        ));
    }
    match rollout_progress(kind, obj) {
        Progress::Failed(m) => Err((m, None)),
        Progress::Waiting(m) => Ok(Some(m)),
        Progress::Done => {
            let unready: Vec<&str> = pods
                .values()
                .filter(|p| !p.terminating && !p.ready)
                .map(|p| p.name.as_str())
                .collect();
            if unready.is_empty() {
                Ok(None)
            } else {
                Ok(Some(format!("pods not Ready: {}", unready.join(", "))))
            }
        }
    }
}

fn to_value(o: &DynamicObject) -> Value {
    crate::value::to_value(o).unwrap_or(Value::Null)
}

type EventStream =
    futures_util::stream::BoxStream<'static, Result<WatchEvent<DynamicObject>, kube::Error>>;

/// Waits for one workload. `deadline` bounds everything, the requests included.
async fn wait_one(
    src: &ClusterSource,
    w: &Workload,
    deadline: Instant,
    record: &mut WorkloadRecord,
    progress: &mut dyn FnMut(&str),
) -> Result<Ending, StatusError> {
    let client = src.client();
    let ar = api_resource("apps", w.kind.kind(), plural(w.kind));
    let what = format!("{}/{} in namespace {}", w.kind.kind(), w.name, w.namespace);
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &w.namespace, &ar);
    let pod_api: Api<DynamicObject> =
        Api::namespaced_with(client, &w.namespace, &api_resource("", "Pod", "pods"));
    let per_request = src.timeout();
    let bounded = |d: Duration| d.min(deadline.saturating_duration_since(Instant::now()));
    let timed_out = |what: &str| StatusError::Request {
        verb: "get",
        what: what.to_string(),
        message: format!("no answer within {}", crate::duration::format(per_request)),
    };

    let mut obj = match tokio::time::timeout(bounded(per_request), api.get(&w.name)).await {
        Ok(r) => to_value(&r.map_err(|e| request_error("get", &what, e))?),
        Err(_) if Instant::now() >= deadline => return Ok(Ending::Timeout),
        Err(_) => return Err(timed_out(&what)),
    };
    let selector = selector_string(&obj).ok_or(StatusError::NoSelector { what: what.clone() })?;
    let lp = ListParams::default().labels(&selector);
    let pod_list = match tokio::time::timeout(bounded(per_request), pod_api.list(&lp)).await {
        Ok(r) => r.map_err(|e| request_error("list", &format!("pods of {what}"), e))?,
        Err(_) if Instant::now() >= deadline => return Ok(Ending::Timeout),
        Err(_) => return Err(timed_out(&format!("pods of {what}"))),
    };
    let mut pods_rv = pod_list
        .metadata
        .resource_version
        .clone()
        .unwrap_or_default();
    let mut pods: BTreeMap<String, PodState> = pod_list
        .items
        .iter()
        .map(|p| {
            let s = pod_state(&to_value(p));
            (s.name.clone(), s)
        })
        .collect();
    let mut obj_rv = crate::finding::str_at_pointer(&obj, "/metadata/resourceVersion").to_string();
    let mut wl_stream: Option<EventStream> = None;
    let mut pod_stream: Option<EventStream> = None;
    loop {
        record.generation = int(&obj, "/metadata/generation");
        record.observed_generation = int(&obj, "/status/observedGeneration");
        record.replicas = counters(w.kind, &obj);
        record.pods = pods.values().cloned().collect();
        record.restarts = record.pods.iter().map(|p| p.restarts).sum();
        match evaluate(w.kind, &obj, &pods) {
            Err((m, problem)) => return Ok(Ending::Failed(m, problem)),
            Ok(None) => return Ok(Ending::Done),
            Ok(Some(m)) => {
                progress(&format!("{}/{}: {m}", w.kind.kind(), w.name));
                record.message = Some(m);
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Ending::Timeout);
        }
        if wl_stream.is_none() {
            let wp = WatchParams::default()
                .fields(&format!("metadata.name={}", w.name))
                .timeout(WATCH_SECONDS);
            let s = tokio::time::timeout(bounded(per_request), api.watch(&wp, &obj_rv))
                .await
                .map_err(|_| timed_out(&what))?
                .map_err(|e| request_error("watch", &what, e))?;
            wl_stream = Some(s.boxed());
        }
        if pod_stream.is_none() {
            let wp = WatchParams::default()
                .labels(&selector)
                .timeout(WATCH_SECONDS);
            let s = tokio::time::timeout(bounded(per_request), pod_api.watch(&wp, &pods_rv))
                .await
                .map_err(|_| timed_out(&format!("pods of {what}")))?
                .map_err(|e| request_error("watch", &format!("pods of {what}"), e))?;
            pod_stream = Some(s.boxed());
        }
        let (Some(ws), Some(ps)) = (wl_stream.as_mut(), pod_stream.as_mut()) else {
            continue;
        };
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline));
        tokio::select! {
            ev = ws.next() => match ev {
                Some(Ok(WatchEvent::Added(o) | WatchEvent::Modified(o))) => {
                    obj = to_value(&o);
                    obj_rv = crate::finding::str_at_pointer(&obj, "/metadata/resourceVersion").to_string();
                }
                Some(Ok(WatchEvent::Bookmark(b))) => obj_rv = b.metadata.resource_version,
                Some(Ok(WatchEvent::Deleted(_))) => {
                    return Ok(Ending::Failed(format!("{what} was deleted"), None));
                }
                // The watch ended or expired (410 Gone): read again and watch from there.
                Some(Ok(WatchEvent::Error(_)) | Err(_)) | None => {
                    wl_stream = None;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    match tokio::time::timeout(bounded(per_request), api.get(&w.name)).await {
                        Ok(Ok(o)) => {
                            obj = to_value(&o);
                            obj_rv = crate::finding::str_at_pointer(&obj, "/metadata/resourceVersion").to_string();
                        }
                        Ok(Err(e)) => return Err(request_error("get", &what, e)),
                        Err(_) => {}
                    }
                }
            },
            ev = ps.next() => match ev {
                Some(Ok(WatchEvent::Added(o) | WatchEvent::Modified(o))) => {
                    let v = to_value(&o);
                    pods_rv = crate::finding::str_at_pointer(&v, "/metadata/resourceVersion").to_string();
                    let s = pod_state(&v);
                    pods.insert(s.name.clone(), s);
                }
                Some(Ok(WatchEvent::Deleted(o))) => {
                    let v = to_value(&o);
                    pods_rv = crate::finding::str_at_pointer(&v, "/metadata/resourceVersion").to_string();
                    pods.remove(crate::finding::str_at_pointer(&v, "/metadata/name"));
                }
                Some(Ok(WatchEvent::Bookmark(b))) => pods_rv = b.metadata.resource_version,
                Some(Ok(WatchEvent::Error(_)) | Err(_)) | None => {
                    pod_stream = None;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    match tokio::time::timeout(bounded(per_request), pod_api.list(&lp)).await {
                        Ok(Ok(l)) => {
                            pods_rv = l.metadata.resource_version.clone().unwrap_or_default();
                            pods = l.items.iter().map(|p| {
                                let s = pod_state(&to_value(p));
                                (s.name.clone(), s)
                            }).collect();
                        }
                        Ok(Err(e)) => return Err(request_error("list", &format!("pods of {what}"), e)),
                        Err(_) => {}
                    }
                }
            },
            _ = sleep => return Ok(Ending::Timeout),
        }
    }
}

/// Waits until every workload has rolled out, one after the other, under one deadline.
///
/// # Errors
/// When the cluster cannot be reached or a request is refused ([`StatusError`]); a rollout that
/// fails or times out is a report with `result` `failed` or `timeout`, not an error.
///
/// # Caveats
/// Pods are the ones the workload's `spec.selector` matches; pods with a deletion timestamp (old
/// replicas going away) are neither waited for nor failed on. Restarts are counted, not judged.
pub async fn run(
    opts: &StatusOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<StatusReport, StatusError> {
    let src = ClusterSource::connect(&opts.cluster)
        .await
        .map_err(|e| StatusError::Cluster(Box::new(e)))?;
    let server = match src.info() {
        crate::live::SourceInfo::Cluster { server, .. } => server.clone(),
        other => format!("{other:?}"),
    };
    let start = Instant::now();
    let deadline = start + opts.timeout;
    let mut report = StatusReport {
        kind: KIND,
        schema_version: crate::evidence::SCHEMA_VERSION,
        environment: opts.environment.clone(),
        server,
        started_at: crate::clients::http::now_rfc3339(),
        finished_at: String::new(),
        timeout_seconds: opts.timeout.as_secs(),
        result: "rolled-out".into(),
        workloads: opts
            .workloads
            .iter()
            .map(|w| WorkloadRecord {
                service: w.service.clone(),
                kind: w.kind.kind().to_string(),
                namespace: w.namespace.clone(),
                name: w.name.clone(),
                result: "pending".into(),
                message: None,
                generation: 0,
                observed_generation: 0,
                replicas: BTreeMap::new(),
                pods: Vec::new(),
                restarts: 0,
            })
            .collect(),
        failure: None,
        error: None,
    };
    for (i, w) in opts.workloads.iter().enumerate() {
        if !matches!(
            w.kind,
            WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet
        ) {
            let r = &mut report.workloads[i];
            r.result = "not-checked".into();
            r.message = Some(format!("{} has no rollout status", w.kind.kind()));
            continue;
        }
        let mut record = report.workloads[i].clone();
        let ending = wait_one(&src, w, deadline, &mut record, progress).await?;
        match ending {
            Ending::Done => {
                record.result = "rolled-out".into();
                record.message = None;
            }
            Ending::Failed(m, problem) => {
                record.result = "failed".into();
                record.message = Some(m.clone());
                report.result = "failed".into();
                report.error = Some(format!("{}/{}: {m}", w.kind.kind(), w.name));
                report.failure = problem;
            }
            Ending::Timeout => {
                record.result = "timeout".into();
                report.result = "timeout".into();
                report.error = Some(format!(
                    "{}/{} did not roll out within {}: {}",
                    w.kind.kind(),
                    w.name,
                    crate::duration::format(opts.timeout),
                    record.message.as_deref().unwrap_or("still waiting")
                ));
            }
        }
        report.workloads[i] = record;
        if !report.ok() {
            break;
        }
    }
    report.finished_at = crate::clients::http::now_rfc3339();
    Ok(report)
}

/// [`run`] on its own runtime, for the synchronous binary.
///
/// # Errors
/// As [`run`]; also when the runtime cannot start.
pub fn run_blocking(
    opts: &StatusOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<StatusReport, StatusError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StatusError::Request {
            verb: "start",
            what: "the async runtime".into(),
            message: e.to_string(),
        })?;
    rt.block_on(run(opts, progress))
}

/// The report as text: one line per workload, then the verdict.
pub fn render_text(report: &StatusReport) -> String {
    let mut out = String::new();
    for w in &report.workloads {
        let ready = w.pods.iter().filter(|p| p.ready).count();
        out.push_str(&format!(
            "{}/{} ({}): {}",
            w.kind, w.name, w.namespace, w.result
        ));
        if matches!(w.result.as_str(), "rolled-out" | "failed" | "timeout") {
            out.push_str(&format!(
                ", {ready}/{} pods Ready, {} restarts",
                w.pods.len(),
                w.restarts
            ));
        }
        if let Some(m) = &w.message {
            out.push_str(&format!(": {m}"));
        }
        out.push('\n');
    }
    match &report.error {
        Some(e) => out.push_str(&format!("{}: {e}\n", report.result)),
        None => out.push_str(&format!(
            "rolled out: {} workloads in {}\n",
            report
                .workloads
                .iter()
                .filter(|w| w.result == "rolled-out")
                .count(),
            report.environment
        )),
    }
    out
}

/// Where the evidence goes by default.
pub fn default_evidence() -> PathBuf {
    crate::evidence::default_path(EVIDENCE_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn dep(generation: i64, status: Value) -> Value {
        json!({"metadata": {"name": "auth", "generation": generation},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "auth"}}},
               "status": status})
    }

    #[test]
    fn deployment_conditions() {
        let cases: &[(&str, Value, Progress)] = &[
            (
                "generation not observed",
                dep(3, json!({"observedGeneration": 2})),
                Progress::Waiting(
                    "waiting for deployment \"auth\" spec update to be observed".into(),
                ),
            ),
            (
                "new replicas not updated",
                dep(
                    3,
                    json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 1}),
                ),
                Progress::Waiting("1 of 2 new replicas of \"auth\" updated".into()),
            ),
            (
                "old replicas still there",
                dep(
                    3,
                    json!({"observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2}),
                ),
                Progress::Waiting("1 old replicas of \"auth\" pending termination".into()),
            ),
            (
                "not available",
                dep(
                    3,
                    json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1}),
                ),
                Progress::Waiting("1 of 2 updated replicas of \"auth\" available".into()),
            ),
            (
                "done",
                dep(
                    3,
                    json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}),
                ),
                Progress::Done,
            ),
            (
                "deadline",
                dep(
                    3,
                    json!({"observedGeneration": 3, "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}),
                ),
                Progress::Failed("deployment \"auth\" exceeded its progress deadline".into()),
            ),
        ];
        for (name, obj, want) in cases {
            assert_eq!(
                &rollout_progress(WorkloadKind::Deployment, obj),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn statefulset_and_daemonset_conditions() {
        let sts = |spec: Value, status: Value| json!({"metadata": {"name": "db", "generation": 1}, "spec": spec, "status": status});
        let s = WorkloadKind::StatefulSet;
        assert!(matches!(
            rollout_progress(s, &sts(json!({"replicas": 2}), json!({"observedGeneration": 1, "readyReplicas": 1}))),
            Progress::Waiting(m) if m == "1 of 2 pods of statefulset \"db\" ready"
        ));
        assert!(matches!(
            rollout_progress(
                s,
                &sts(
                    json!({"replicas": 2}),
                    json!({"observedGeneration": 1, "readyReplicas": 2, "currentRevision": "db-1", "updateRevision": "db-2", "updatedReplicas": 1})
                )
            ),
            Progress::Waiting(_)
        ));
        assert_eq!(
            rollout_progress(
                s,
                &sts(
                    json!({"replicas": 2}),
                    json!({"observedGeneration": 1, "readyReplicas": 2, "currentRevision": "db-2", "updateRevision": "db-2"})
                )
            ),
            Progress::Done
        );
        assert_eq!(
            rollout_progress(
                s,
                &sts(
                    json!({"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}}),
                    json!({"observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": 1, "currentRevision": "a", "updateRevision": "b"})
                )
            ),
            Progress::Done
        );
        assert!(matches!(
            rollout_progress(
                s,
                &sts(
                    json!({"updateStrategy": {"type": "OnDelete"}}),
                    json!({"observedGeneration": 1})
                )
            ),
            Progress::Failed(_)
        ));
        let d = WorkloadKind::DaemonSet;
        let ds = |status: Value| json!({"metadata": {"name": "agent", "generation": 4}, "status": status});
        assert!(matches!(
            rollout_progress(
                d,
                &ds(
                    json!({"observedGeneration": 4, "desiredNumberScheduled": 3, "updatedNumberScheduled": 2})
                )
            ),
            Progress::Waiting(_)
        ));
        assert!(matches!(
            rollout_progress(d, &ds(json!({"observedGeneration": 4, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 2}))),
            Progress::Waiting(m) if m.contains("2 of 3")
        ));
        assert_eq!(
            rollout_progress(
                d,
                &ds(
                    json!({"observedGeneration": 4, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 3})
                )
            ),
            Progress::Done
        );
    }

    #[test]
    fn pods_fail_on_each_fatal_reason_and_not_on_others() {
        let pod = |reason: &str| {
            json!({"metadata": {"name": "auth-1"}, "status": {"phase": "Pending",
                "containerStatuses": [
                    {"name": "auth", "restartCount": 2, "state": {"waiting": {"reason": reason, "message": "back-off pulling image \"x\""}}},
                    {"name": "sidecar", "restartCount": 1, "state": {"running": {}}}]}})
        };
        for r in FATAL_REASONS {
            let s = pod_state(&pod(r));
            let p = s.problem.expect(r);
            assert_eq!(
                (p.pod.as_str(), p.container.as_str(), p.reason.as_str()),
                ("auth-1", "auth", *r)
            );
            assert_eq!(s.restarts, 3);
        }
        for r in ["ContainerCreating", "PodInitializing", ""] {
            assert!(pod_state(&pod(r)).problem.is_none(), "{r}");
        }
        let ready = json!({"metadata": {"name": "p"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert!(pod_state(&ready).ready);
        let init = json!({"metadata": {"name": "p"}, "status": {"initContainerStatuses": [{"name": "migrate", "state": {"waiting": {"reason": "CreateContainerConfigError"}}}]}});
        assert_eq!(pod_state(&init).problem.unwrap().container, "migrate");
    }

    #[test]
    fn selectors_in_query_syntax() {
        let obj = json!({"spec": {"selector": {"matchLabels": {"app": "auth", "tier": "api"},
            "matchExpressions": [{"key": "track", "operator": "In", "values": ["a", "b"]}, {"key": "canary", "operator": "DoesNotExist"}]}}});
        assert_eq!(
            selector_string(&obj).as_deref(),
            Some("app=auth,tier=api,track in (a,b),!canary")
        );
        assert_eq!(selector_string(&json!({"spec": {}})), None);
    }
}
