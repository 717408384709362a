//! Live state from a Kubernetes API server, through the `kube` client: kubeconfig or in-cluster
//! configuration, discovery (built-in kinds and CRDs), GET of each rendered object, LIST of prune
//! candidates with `continue` tokens.
//!
//! Owns the network edge: timeouts on every request, retries of transient server errors, and errors
//! that name the verb and resource. Never writes to the cluster; never prints credentials.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use crate::value::Value;
use kube::api::{Api, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use kube::{Client, Config};

use super::{LiveObjects, LiveQuery, SourceInfo, has_owner, same_object, snapshot::prune_kinds};
use crate::resource::{Gvk, ResourceId};

/// HTTP statuses retried before they are reported.
const RETRIED: &[u16] = &[429, 500, 502, 503, 504];
/// Attempts per request for a retried status (the first try included).
pub const ATTEMPTS: u32 = 3;
/// The longest wait between two attempts, whatever the server's Retry-After says.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);
/// Page size of LISTs.
const PAGE: u32 = 500;
/// Rendered objects of one resource in one namespace from which they are read by one LIST
/// instead of a GET each.
const LIST_MIN: usize = 4;

/// How many live objects a LIST may hold before GETs are cheaper: a page costs about as much as
/// a few dozen GETs of the same objects over a fast link, so a LIST that reads more than
/// 16 objects (at least a page) per wanted one is abandoned after its first page.
fn list_budget(wanted: usize) -> u64 {
    (wanted as u64 * 16).max(u64::from(PAGE))
}

/// What groups rendered objects into one LIST: the resource (group, version, plural) and namespace.
fn group_key<'a>(ar: &ApiResource, ns: &'a str) -> (String, String, String, &'a str) {
    (ar.group.clone(), ar.version.clone(), ar.plural.clone(), ns)
}

/// How to reach the cluster. Resolved when [`ClusterSource::connect`] runs, not before.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// `--kubeconfig`; `None`: `KUBECONFIG`, then `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`; `None`: the kubeconfig's current context.
    pub context: Option<String>,
    /// Per request (connect, read, and the whole request with its retries' waits).
    pub timeout: Duration,
    /// Wait before the first retry of a transient server error (doubled each time).
    pub retry_delay: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            kubeconfig: None,
            context: None,
            timeout: Duration::from_secs(30),
            retry_delay: Duration::from_millis(250),
        }
    }
}

/// A server message as one safe line (HTML stripped, control bytes escaped, capped, scrubbed).
fn one_line(message: &str) -> String {
    crate::clients::http::reason(&Value::String(message.to_string()).to_string())
}

/// Refuses an answer that is not the object asked for: a `kind: Status` body is an error whatever
/// the HTTP status said (an API server, or a proxy in front of it, may send one with 200), and an
/// object of another kind is not the live state of this one.
fn check_answer(v: &Value, kind: &str, what: &str) -> Result<(), Box<ClusterError>> {
    let got = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    if got == "Status" {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
        let code = v.get("code").and_then(Value::as_u64).unwrap_or(0) as u16;
        return Err(Box::new(ClusterError::Api {
            verb: "get",
            what: what.to_string(),
            code,
            reason: one_line(if s("reason").is_empty() {
                "Status"
            } else {
                s("reason")
            }),
            message: one_line(&format!(
                "the server answered with a Status ({}) instead of the object",
                if s("message").is_empty() {
                    s("status")
                } else {
                    s("message")
                }
            )),
        }));
    }
    if !got.is_empty() && got != kind {
        return Err(Box::new(ClusterError::Api {
            verb: "get",
            what: what.to_string(),
            code: 0,
            reason: "UnexpectedKind".into(),
            message: one_line(&format!("the server answered with a {got}, not a {kind}")),
        }));
    }
    Ok(())
}

/// What to do when no cluster configuration can be read.
const LIVE_HINT: &str = "pass --kubeconfig FILE, or --live-dir DIR to diff against a snapshot (`kubectl get -o yaml` files)";

/// A kubeconfig failure as one phrase naming the file: `cannot read kubeconfig
/// /root/.kube/config: no such file`.
pub fn kubeconfig_problem(given: Option<&std::path::Path>, e: &KubeconfigError) -> String {
    match e {
        KubeconfigError::ReadConfig(io, path) => {
            let why = match io.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => io.to_string(),
            };
            format!("cannot read kubeconfig {}: {why}", path.display())
        }
        other => {
            // kube's parse errors carry a multi-line snippet: keep its first line.
            let text = other.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_end()
                .to_string();
            match given {
                Some(p) => format!("cannot load kubeconfig {}: {first}", p.display()),
                None => format!("cannot load kubeconfig: {first}"),
            }
        }
    }
}

/// [`kubeconfig_problem`], with what to do when the file cannot be found or read.
fn kubeconfig_message(given: Option<&std::path::Path>, e: &KubeconfigError) -> String {
    let problem = kubeconfig_problem(given, e);
    match e {
        KubeconfigError::ReadConfig(..) | KubeconfigError::FindPath => {
            format!("{problem}; {LIVE_HINT}")
        }
        _ => problem,
    }
}

/// A failure talking to the cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The kubeconfig could not be read or has no usable context. Worded by
    /// [`kubeconfig_problem`] (kube's own text quotes the path twice), so kube's error is kept as
    /// data, not as a printed cause.
    #[error("{}", kubeconfig_message(.path.as_deref(), .cause))]
    Kubeconfig {
        /// The file given with `--kubeconfig`, if any.
        path: Option<PathBuf>,
        /// What went wrong.
        cause: KubeconfigError,
    },
    /// Neither a kubeconfig nor an in-cluster service account was found.
    #[error(
        "no cluster configuration: {kubeconfig}, and not running in a cluster ({incluster}); {LIVE_HINT}"
    )]
    NoConfig {
        /// Why the kubeconfig could not be read.
        kubeconfig: String,
        /// Why the in-cluster configuration could not be read.
        incluster: String,
    },
    /// The client could not be built (TLS material, proxy).
    #[error("cannot build a client for {server}")]
    Client {
        /// The API server.
        server: String,
        /// What went wrong.
        #[source]
        source: kube::Error,
    },
    /// The server could not be reached.
    #[error("cannot reach the API server at {server} ({verb} {what})")]
    Unreachable {
        /// The API server.
        server: String,
        /// `get` or `list`.
        verb: &'static str,
        /// What was being read.
        what: String,
        /// The transport error.
        #[source]
        source: kube::Error,
    },
    /// A request did not finish within the timeout.
    #[error(
        "timed out after {after} waiting for the API server at {server} ({verb} {what}); raise --timeout or check the server"
    )]
    Timeout {
        /// The API server.
        server: String,
        /// `get` or `list`.
        verb: &'static str,
        /// What was being read.
        what: String,
        /// The timeout, as `--timeout` takes it (`30s`).
        after: String,
    },
    /// 401: the credentials were rejected.
    #[error(
        "unauthorized: the API server at {server} rejected the kubeconfig credentials ({verb} {what}): {message}"
    )]
    Unauthorized {
        /// The API server.
        server: String,
        /// `get` or `list`.
        verb: &'static str,
        /// What was being read.
        what: String,
        /// The server's message.
        message: String,
    },
    /// 403: RBAC forbids the verb on the resource.
    #[error("forbidden: cannot {verb} {what}: {message}")]
    Forbidden {
        /// `get` or `list`.
        verb: &'static str,
        /// Resource (`deployments.apps "auth" in namespace media`).
        what: String,
        /// The server's message.
        message: String,
    },
    /// A transient server error that persisted through every retry.
    #[error("server error {code} from {verb} {what} after {attempts} attempts: {message}")]
    Server {
        /// `get` or `list`.
        verb: &'static str,
        /// What was being read.
        what: String,
        /// The last HTTP status.
        code: u16,
        /// How many attempts were made.
        attempts: u32,
        /// The server's last message.
        message: String,
    },
    /// Any other error status.
    #[error("{verb} {what} failed with {code} {reason}: {message}")]
    Api {
        /// `get` or `list`.
        verb: &'static str,
        /// What was being read.
        what: String,
        /// The HTTP status.
        code: u16,
        /// The Status reason.
        reason: String,
        /// The server's message.
        message: String,
    },
    /// The cluster does not serve a rendered kind, and no rendered CRD defines it.
    #[error(
        "the cluster does not serve {gvk} (needed for {id}); install its CustomResourceDefinition or check apiVersion"
    )]
    UnknownKind {
        /// `group/version, Kind=...`.
        gvk: String,
        /// The rendered object (`group.version.Kind.namespace.name`).
        id: String,
    },
    /// A response could not be read as an object.
    #[error("unexpected response to {verb} {what}")]
    Decode {
        /// `get` or `list`.
        verb: &'static str,
        /// What was being read.
        what: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
}

/// A connected API server.
pub struct ClusterSource {
    client: Client,
    info: SourceInfo,
    server: String,
    default_namespace: String,
    timeout: Duration,
    retry_delay: Duration,
}

impl std::fmt::Debug for ClusterSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterSource")
            .field("info", &self.info)
            .finish()
    }
}

fn describe(ar: &ApiResource, namespace: &str, name: Option<&str>) -> String {
    let mut s = if ar.group.is_empty() {
        ar.plural.clone()
    } else {
        format!("{}.{}", ar.plural, ar.group)
    };
    if let Some(n) = name {
        s.push_str(&format!(" {n:?}"));
    }
    if namespace.is_empty() {
        s.push_str(" at cluster scope");
    } else {
        s.push_str(&format!(" in namespace {namespace}"));
    }
    s
}

impl ClusterSource {
    /// Resolves the kubeconfig (or in-cluster configuration) and builds a client. Sends nothing.
    ///
    /// # Errors
    /// When no configuration can be read, the context does not exist, or TLS material is invalid.
    pub async fn connect(opts: &ClusterOptions) -> Result<Self, ClusterError> {
        crate::live::cluster::install_crypto_provider();
        let loaded = match &opts.kubeconfig {
            Some(path) => {
                Some(
                    Kubeconfig::read_from(path).map_err(|cause| ClusterError::Kubeconfig {
                        path: Some(path.clone()),
                        cause,
                    })?,
                )
            }
            None => match Kubeconfig::read() {
                Ok(kc) => Some(kc),
                Err(e) if opts.context.is_some() => {
                    return Err(ClusterError::Kubeconfig {
                        path: None,
                        cause: e,
                    });
                }
                Err(e) => {
                    let kc_err = kubeconfig_problem(None, &e);
                    match Config::incluster() {
                        Ok(_) => None,
                        Err(ic) => {
                            return Err(ClusterError::NoConfig {
                                kubeconfig: kc_err,
                                incluster: ic.to_string(),
                            });
                        }
                    }
                }
            },
        };
        let (mut config, context, cluster) = match loaded {
            Some(kc) => {
                let context = opts.context.clone().or_else(|| kc.current_context.clone());
                let cluster = context.as_ref().and_then(|c| {
                    kc.contexts
                        .iter()
                        .find(|nc| &nc.name == c)
                        .and_then(|nc| nc.context.as_ref())
                        .map(|ctx| ctx.cluster.clone())
                });
                let options = KubeConfigOptions {
                    context: opts.context.clone(),
                    ..Default::default()
                };
                let config =
                    Config::from_custom_kubeconfig(kc, &options)
                        .await
                        .map_err(|cause| ClusterError::Kubeconfig {
                            path: opts.kubeconfig.clone(),
                            cause,
                        })?;
                (config, context, cluster)
            }
            None => {
                let config = Config::incluster().map_err(|e| ClusterError::NoConfig {
                    kubeconfig: "no kubeconfig".into(),
                    incluster: e.to_string(),
                })?;
                (config, None, None)
            }
        };
        config.connect_timeout = Some(opts.timeout);
        config.read_timeout = Some(opts.timeout);
        config.write_timeout = Some(opts.timeout);
        let server = without_userinfo(&config.cluster_url.to_string());
        let default_namespace = config.default_namespace.clone();
        // kube's own retry layer retries 429/503/504 up to 15 times over minutes, which our
        // timeout then reports as a hang; `call` retries instead, a bounded number of times.
        config.default_retry = false;
        let client = Client::try_from(config).map_err(|source| ClusterError::Client {
            server: server.clone(),
            source,
        })?;
        Ok(ClusterSource {
            client,
            info: SourceInfo::Cluster {
                context,
                cluster,
                server: server.clone(),
            },
            server,
            default_namespace,
            timeout: opts.timeout,
            retry_delay: opts.retry_delay,
        })
    }

    /// Where this source reads from.
    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// The client, for callers that watch (`rollout status`).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs one request under the timeout, retrying transient server errors, and maps failures.
    async fn call<T, F, Fut>(&self, verb: &'static str, what: &str, f: F) -> Result<T, ClusterError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        let mut attempt = 0;
        let mut delay = self.retry_delay;
        loop {
            attempt += 1;
            let res = tokio::time::timeout(self.timeout, f()).await;
            let err = match res {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => e,
                Err(_) => {
                    return Err(ClusterError::Timeout {
                        server: self.server.clone(),
                        verb,
                        what: what.to_string(),
                        after: crate::duration::format(self.timeout),
                    });
                }
            };
            match err {
                kube::Error::Api(status) => {
                    let code = status.code;
                    if RETRIED.contains(&code) && attempt < ATTEMPTS {
                        // The API server's Retry-After travels in the Status details.
                        let asked = status
                            .details
                            .as_ref()
                            .map(|d| d.retry_after_seconds)
                            .filter(|&s| s > 0)
                            .map(|s| Duration::from_secs(u64::from(s)));
                        tokio::time::sleep(asked.unwrap_or(delay).min(MAX_RETRY_WAIT)).await;
                        delay *= 2;
                        continue;
                    }
                    let message = one_line(&status.message);
                    return Err(match code {
                        401 => ClusterError::Unauthorized {
                            server: self.server.clone(),
                            verb,
                            what: what.to_string(),
                            message,
                        },
                        403 => ClusterError::Forbidden {
                            verb,
                            what: what.to_string(),
                            message,
                        },
                        c if RETRIED.contains(&c) => ClusterError::Server {
                            verb,
                            what: what.to_string(),
                            code: c,
                            attempts: attempt,
                            message,
                        },
                        c => ClusterError::Api {
                            verb,
                            what: what.to_string(),
                            code: c,
                            reason: one_line(&status.reason),
                            message,
                        },
                    });
                }
                kube::Error::SerdeError(source) => {
                    return Err(ClusterError::Decode {
                        verb,
                        what: what.to_string(),
                        source,
                    });
                }
                other => {
                    let timed_out = std::iter::successors(
                        Some(&other as &(dyn std::error::Error + 'static)),
                        |e| e.source(),
                    )
                    .any(|e| e.to_string().to_lowercase().contains("timed out"));
                    if timed_out {
                        return Err(ClusterError::Timeout {
                            server: self.server.clone(),
                            verb,
                            what: what.to_string(),
                            after: crate::duration::format(self.timeout),
                        });
                    }
                    return Err(ClusterError::Unreachable {
                        server: self.server.clone(),
                        verb,
                        what: what.to_string(),
                        source: other,
                    });
                }
            }
        }
    }

    /// Discovers the groups the query needs (`/api`, `/apis`, then each group version).
    async fn discover(&self, groups: &BTreeSet<String>) -> Result<Discovery, ClusterError> {
        let allow: Vec<&str> = groups.iter().map(String::as_str).collect();
        self.call("get", "API discovery (/api, /apis)", || {
            Discovery::new(self.client.clone()).filter(&allow).run()
        })
        .await
    }

    /// Reads every queried object (a GET each, or one LIST per resource and namespace holding
    /// [`LIST_MIN`] or more of them) and, with a prune selector, lists candidates (LIST).
    ///
    /// # Errors
    /// Any [`ClusterError`]: unreachable server, timeout, 401, 403, persistent 5xx, a kind the
    /// cluster does not serve.
    pub async fn query(&self, query: &LiveQuery) -> Result<LiveObjects, ClusterError> {
        let mut groups: BTreeSet<String> = query.ids.iter().map(|i| i.gvk.group.clone()).collect();
        if query.prune.is_some() {
            for (g, _, _) in super::DEFAULT_PRUNE_KINDS {
                groups.insert(g.to_string());
            }
        }
        let discovery = self.discover(&groups).await?;
        // Resolve every id first: its API resource and namespace (or None for an object of a
        // rendered CRD the cluster does not serve yet).
        let mut namespaces = Vec::with_capacity(query.ids.len());
        let mut resolved_api = Vec::with_capacity(query.ids.len());
        for id in &query.ids {
            let gvk = GroupVersionKind::gvk(&id.gvk.group, &id.gvk.version, &id.gvk.kind);
            let Some((ar, caps)) = discovery.resolve_gvk(&gvk) else {
                if query
                    .rendered_crds
                    .iter()
                    .any(|(g, k)| g == &id.gvk.group && k == &id.gvk.kind)
                {
                    resolved_api.push(None);
                    namespaces.push(id.namespace.clone());
                    continue;
                }
                return Err(ClusterError::UnknownKind {
                    gvk: format!("{}, Kind={}", id.gvk.api_version(), id.gvk.kind),
                    id: id.to_string(),
                });
            };
            let ns = match caps.scope {
                Scope::Namespaced if id.namespace.is_empty() => self.default_namespace.clone(),
                Scope::Namespaced => id.namespace.clone(),
                Scope::Cluster => String::new(),
            };
            namespaces.push(ns);
            resolved_api.push(Some((ar, caps)));
        }
        // Objects of one resource in one namespace: LISTed together when there are enough of
        // them, else one GET each (in the rendered order).
        let mut groups_of: BTreeMap<(String, String, String, &str), Vec<usize>> = BTreeMap::new();
        for (i, api) in resolved_api.iter().enumerate() {
            if let Some((ar, _)) = api {
                groups_of
                    .entry(group_key(ar, &namespaces[i]))
                    .or_default()
                    .push(i);
            }
        }
        let mut found: Vec<Option<Option<Value>>> = vec![None; query.ids.len()];
        let mut by_get = BTreeSet::new();
        for i in 0..query.ids.len() {
            let Some((ar, caps)) = &resolved_api[i] else {
                found[i] = Some(None);
                continue;
            };
            if found[i].is_some() {
                continue;
            }
            let ns = namespaces[i].as_str();
            let key = group_key(ar, ns);
            let members = &groups_of[&key];
            if members.len() >= LIST_MIN
                && caps.supports_operation(kube::discovery::verbs::LIST)
                && !by_get.contains(&key)
            {
                let names: BTreeSet<&str> = members
                    .iter()
                    .map(|&m| query.ids[m].name.as_str())
                    .collect();
                if let Some(mut listed) = self.list_named(ar, caps, ns, &names).await? {
                    for &m in members {
                        found[m] = Some(listed.remove(query.ids[m].name.as_str()));
                    }
                    continue;
                }
                by_get.insert(key);
            }
            let id = &query.ids[i];
            found[i] = Some(self.get_one(ar, caps, ns, &id.name, &id.gvk.kind).await?);
        }
        let found: Vec<Option<Value>> = found.into_iter().map(Option::flatten).collect();
        let mut prune = Vec::new();
        if let Some(selector) = &query.prune {
            let resolved: Vec<ResourceId> = query
                .ids
                .iter()
                .zip(&namespaces)
                .map(|(id, ns)| ResourceId {
                    namespace: ns.clone(),
                    ..id.clone()
                })
                .collect();
            let ns_set: BTreeSet<&str> = namespaces.iter().map(String::as_str).collect();
            let mut cands: Vec<(ResourceId, Value)> = Vec::new();
            for (group, kind) in prune_kinds(&query.ids) {
                let Some((ar, caps)) = resolve_kind(&discovery, &group, &kind) else {
                    continue;
                };
                if !caps.supports_operation(kube::discovery::verbs::LIST) {
                    continue;
                }
                let scopes: Vec<&str> = match caps.scope {
                    Scope::Namespaced => ns_set.iter().copied().filter(|n| !n.is_empty()).collect(),
                    Scope::Cluster => vec![""],
                };
                for ns in scopes {
                    let api = self.api(&ar, &caps, ns);
                    let what = describe(&ar, ns, None);
                    let mut token: Option<String> = None;
                    loop {
                        let mut lp = ListParams::default().labels(selector.as_str()).limit(PAGE);
                        if let Some(t) = &token {
                            lp = lp.continue_token(t);
                        }
                        let page = self.call("list", &what, || api.list(&lp)).await?;
                        token = page.metadata.continue_.clone().filter(|t| !t.is_empty());
                        for o in page.items {
                            let mut v = crate::value::to_value(o).map_err(|source| {
                                ClusterError::Decode {
                                    verb: "list",
                                    what: what.clone(),
                                    source,
                                }
                            })?;
                            if let Some(m) = v.as_object_mut() {
                                m.insert(
                                    "apiVersion".into(),
                                    Value::String(ar.api_version.clone()),
                                );
                                m.insert("kind".into(), Value::String(ar.kind.clone()));
                            }
                            let oid = ResourceId {
                                gvk: Gvk::from_api_version(&ar.api_version, &ar.kind),
                                namespace: ns.to_string(),
                                name: v
                                    .pointer("/metadata/name")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string(),
                            };
                            if !has_owner(&v) && !resolved.iter().any(|r| same_object(r, &oid)) {
                                cands.push((oid, v));
                            }
                        }
                        if token.is_none() {
                            break;
                        }
                    }
                }
            }
            cands.sort_by(|a, b| a.0.cmp(&b.0));
            prune = cands.into_iter().map(|(_, v)| v).collect();
        }
        Ok(LiveObjects {
            found,
            namespaces,
            prune,
            source: self.info.clone(),
        })
    }

    /// One object by name (`None`: it does not exist).
    async fn get_one(
        &self,
        ar: &ApiResource,
        caps: &ApiCapabilities,
        ns: &str,
        name: &str,
        kind: &str,
    ) -> Result<Option<Value>, ClusterError> {
        let api = self.api(ar, caps, ns);
        let what = describe(ar, ns, Some(name));
        let obj = self.call("get", &what, || api.get_opt(name)).await?;
        match obj {
            Some(o) => {
                let v = crate::value::to_value(o).map_err(|source| ClusterError::Decode {
                    verb: "get",
                    what: what.clone(),
                    source,
                })?;
                check_answer(&v, kind, &what).map_err(|e| *e)?;
                Ok(Some(v))
            }
            None => Ok(None),
        }
    }

    /// The named objects of one resource in one namespace, by a paged LIST, keeping only those
    /// names. `None` when a LIST is the wrong tool here and the caller should GET each object:
    /// RBAC allows GET but not LIST (403), the continue token expired (410), or the first page
    /// shows the namespace holds far more objects of the kind than are wanted (reading them all
    /// would cost more than the GETs).
    async fn list_named(
        &self,
        ar: &ApiResource,
        caps: &ApiCapabilities,
        ns: &str,
        names: &BTreeSet<&str>,
    ) -> Result<Option<BTreeMap<String, Value>>, ClusterError> {
        let api = self.api(ar, caps, ns);
        let what = describe(ar, ns, None);
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        let mut first = true;
        loop {
            let mut lp = ListParams::default().limit(PAGE);
            if let Some(t) = &token {
                lp = lp.continue_token(t);
            }
            let page = match self.call("list", &what, || api.list(&lp)).await {
                Ok(p) => p,
                Err(
                    ClusterError::Forbidden { .. }
                    | ClusterError::Api {
                        code: 403 | 410, ..
                    },
                ) => return Ok(None),
                Err(e) => return Err(e),
            };
            let total = page.items.len() as u64
                + page.metadata.remaining_item_count.unwrap_or(0).max(0) as u64;
            if first && total > list_budget(names.len()) {
                return Ok(None);
            }
            first = false;
            token = page.metadata.continue_.clone().filter(|t| !t.is_empty());
            for o in page.items {
                let Some(name) = o.metadata.name.clone() else {
                    continue;
                };
                if !names.contains(name.as_str()) {
                    continue;
                }
                let mut v = crate::value::to_value(o).map_err(|source| ClusterError::Decode {
                    verb: "list",
                    what: what.clone(),
                    source,
                })?;
                // LIST items carry no apiVersion and kind; GET answers do.
                if let Some(m) = v.as_object_mut() {
                    m.insert("apiVersion".into(), Value::String(ar.api_version.clone()));
                    m.insert("kind".into(), Value::String(ar.kind.clone()));
                }
                out.insert(name, v);
            }
            if token.is_none() || out.len() == names.len() {
                return Ok(Some(out));
            }
        }
    }

    fn api(&self, ar: &ApiResource, caps: &ApiCapabilities, ns: &str) -> Api<DynamicObject> {
        match caps.scope {
            Scope::Namespaced => Api::namespaced_with(self.client.clone(), ns, ar),
            Scope::Cluster => Api::all_with(self.client.clone(), ar),
        }
    }
}

/// The preferred served version of `group`/`kind`, if the cluster serves it.
fn resolve_kind(
    discovery: &Discovery,
    group: &str,
    kind: &str,
) -> Option<(ApiResource, ApiCapabilities)> {
    discovery.get(group)?.recommended_kind(kind)
}

/// The server URL without a trailing slash or any `user:password@` (never printed).
fn without_userinfo(url: &str) -> String {
    let url = url.trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

/// Installs rustls's ring provider for the process; a provider already installed is fine.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_lose_credentials() {
        assert_eq!(
            without_userinfo("https://u:p@k8s.example:6443/"),
            "https://k8s.example:6443"
        );
        assert_eq!(
            without_userinfo("http://127.0.0.1:8080/prefix"),
            "http://127.0.0.1:8080/prefix"
        );
    }

    #[test]
    fn messages_name_plural_group_and_scope() {
        let ar = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apps", "v1", "Deployment"),
            "deployments",
        );
        assert_eq!(
            describe(&ar, "media", Some("auth")),
            "deployments.apps \"auth\" in namespace media"
        );
        let ns = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("", "v1", "Namespace"),
            "namespaces",
        );
        assert_eq!(describe(&ns, "", None), "namespaces at cluster scope");
    }
}
