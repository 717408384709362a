//! `rollout evidence redis`: a Redis Stream's backlog before and after (XLEN, XINFO GROUPS,
//! XPENDING), judged against a growth threshold.
//!
//! Owns a small RESP2 client over one TCP connection (every read and write under a timeout), the
//! sampling loop and the verdict. Never writes to Redis (read-only commands plus `AUTH`); the
//! password is registered with [`crate::mask`] before anything is sent and never stored in the
//! record. Prints nothing.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// `kind` of `redis-backlog.json`.
pub const KIND: &str = "redis-backlog";
/// The default evidence file name.
pub const EVIDENCE_FILE: &str = "redis-backlog.json";

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`.
    Simple(String),
    /// `-ERR ...`.
    Error(String),
    /// `:42`.
    Int(i64),
    /// `$n` bulk string; `None` for the null bulk string.
    Bulk(Option<String>),
    /// `*n` array; `None` for the null array.
    Array(Option<Vec<Reply>>),
}

impl Reply {
    fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Int(i) => Some(*i),
            Reply::Bulk(Some(s)) | Reply::Simple(s) => s.parse().ok(),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Reply::Bulk(Some(s)) | Reply::Simple(s) => Some(s),
            _ => None,
        }
    }

    fn items(&self) -> &[Reply] {
        match self {
            Reply::Array(Some(v)) => v,
            _ => &[],
        }
    }
}

/// A failure to reach or read Redis (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// The URL is not `redis://[user:password@]host:port[/db]`.
    #[error("invalid --url {url}: {reason}")]
    Url {
        /// The URL, password masked.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Connecting, reading or writing failed.
    #[error("redis at {addr}: {message}")]
    Io {
        /// `host:port`.
        addr: String,
        /// What failed.
        message: String,
    },
    /// The server answered a command with an error.
    #[error("redis at {addr}: {command}: {message}")]
    Server {
        /// `host:port`.
        addr: String,
        /// The command (no arguments that could be secret).
        command: String,
        /// The server's error line.
        message: String,
    },
    /// The password file could not be read.
    #[error("cannot read --password-file {path}: {message}")]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// Where Redis is, from `redis://[user:password@]host:port[/db]`.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`.
    pub addr: String,
    /// The ACL user, if the URL has one.
    pub user: Option<String>,
    /// The password from the URL (a file's wins).
    pub password: Option<Secret>,
    /// The database number.
    pub db: u32,
}

/// Parses a `redis://` URL. The password is registered with the masking layer at once.
///
/// # Errors
/// [`RedisError::Url`].
pub fn parse_url(url: &str) -> Result<Target, RedisError> {
    crate::mask::register_url(url);
    let bad = |reason: &str| RedisError::Url {
        url: crate::mask::url(url),
        reason: reason.to_string(),
    };
    let rest = url
        .strip_prefix("redis://")
        .ok_or_else(|| bad("use redis://HOST:PORT (rediss:// TLS is not supported)"))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(u) => match u.split_once(':') {
            Some((user, pass)) => (
                (!user.is_empty()).then(|| user.to_string()),
                Some(Secret::new(pass)),
            ),
            None => (None, Some(Secret::new(u))),
        },
    };
    if hostport.is_empty() {
        return Err(bad("no host"));
    }
    let addr = if hostport
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.contains(']'))
    {
        hostport.to_string()
    } else {
        format!("{hostport}:6379")
    };
    let db = match path.trim_end_matches('/') {
        "" => 0,
        d => d
            .parse()
            .map_err(|_| bad("the path must be a database number"))?,
    };
    Ok(Target {
        addr,
        user,
        password,
        db,
    })
}

/// One connection speaking RESP2.
pub struct Client {
    addr: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one reply.
///
/// # Errors
/// On I/O errors and malformed replies.
pub fn read_reply(r: &mut impl BufRead) -> std::io::Result<Reply> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    let line = line.trim_end_matches(['\r', '\n']);
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed RESP reply");
    let (tag, rest) = line.split_at_checked(1).ok_or_else(bad)?;
    Ok(match tag {
        "+" => Reply::Simple(rest.to_string()),
        "-" => Reply::Error(rest.to_string()),
        ":" => Reply::Int(rest.parse().map_err(|_| bad())?),
        "$" => {
            let n: i64 = rest.parse().map_err(|_| bad())?;
            if n < 0 {
                Reply::Bulk(None)
            } else {
                let mut buf = vec![0u8; n as usize + 2];
                std::io::Read::read_exact(r, &mut buf)?;
                buf.truncate(n as usize);
                Reply::Bulk(Some(String::from_utf8_lossy(&buf).into_owned()))
            }
        }
        "*" => {
            let n: i64 = rest.parse().map_err(|_| bad())?;
            if n < 0 {
                Reply::Array(None)
            } else {
                let mut v = Vec::with_capacity(n.min(1024) as usize);
                for _ in 0..n {
                    v.push(read_reply(r)?);
                }
                Reply::Array(Some(v))
            }
        }
        _ => return Err(bad()),
    })
}

impl Client {
    /// Connects (under `timeout`), authenticates and selects the database.
    ///
    /// # Errors
    /// [`RedisError`].
    pub fn connect(target: &Target, timeout: Duration) -> Result<Client, RedisError> {
        let io = |e: std::io::Error| RedisError::Io {
            addr: target.addr.clone(),
            message: e.to_string(),
        };
        let sock = target
            .addr
            .to_socket_addrs()
            .map_err(io)?
            .next()
            .ok_or_else(|| RedisError::Io {
                addr: target.addr.clone(),
                message: "the host resolves to no address".into(),
            })?;
        let stream = TcpStream::connect_timeout(&sock, timeout).map_err(io)?;
        stream.set_read_timeout(Some(timeout)).map_err(io)?;
        stream.set_write_timeout(Some(timeout)).map_err(io)?;
        let writer = stream.try_clone().map_err(io)?;
        let mut c = Client {
            addr: target.addr.clone(),
            reader: BufReader::new(stream),
            writer,
        };
        if let Some(p) = &target.password {
            match &target.user {
                Some(u) => c.call_named("AUTH", &["AUTH", u, p.expose()])?,
                None => c.call_named("AUTH", &["AUTH", p.expose()])?,
            };
        }
        if target.db != 0 {
            c.call(&["SELECT", &target.db.to_string()])?;
        }
        Ok(c)
    }

    /// Sends one command and reads its reply; an error reply is [`RedisError::Server`].
    ///
    /// # Errors
    /// [`RedisError`].
    pub fn call(&mut self, args: &[&str]) -> Result<Reply, RedisError> {
        let name = args.iter().take(2).copied().collect::<Vec<_>>().join(" ");
        self.call_named(&name, args)
    }

    fn call_named(&mut self, name: &str, args: &[&str]) -> Result<Reply, RedisError> {
        let io = |e: std::io::Error| RedisError::Io {
            addr: self.addr.clone(),
            message: format!("{name}: {e}"),
        };
        self.writer.write_all(&encode(args)).map_err(io)?;
        let reply = read_reply(&mut self.reader).map_err(|e| RedisError::Io {
            addr: self.addr.clone(),
            message: format!("{name}: {e}"),
        })?;
        if let Reply::Error(m) = reply {
            return Err(RedisError::Server {
                addr: self.addr.clone(),
                command: name.to_string(),
                message: crate::mask::scrub(&m).into_owned(),
            });
        }
        Ok(reply)
    }
}

/// One consumer group at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSample {
    pub name: String,
    pub consumers: i64,
    /// Delivered, not acknowledged (XINFO GROUPS `pending`).
    pub pending: i64,
    /// Entries not yet delivered to the group (`lag`; `null` when Redis cannot tell).
    pub lag: Option<i64>,
    pub last_delivered_id: String,
    /// The oldest pending entry (XPENDING), its age from its id's time to the server's TIME, and
    /// the time since it was last delivered.
    pub oldest_pending_id: Option<String>,
    pub oldest_pending_age_ms: Option<i64>,
    pub oldest_pending_idle_ms: Option<i64>,
    /// `pending + lag` (lag counted as 0 when unknown).
    pub backlog: i64,
}

/// The stream at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    pub at: String,
    /// XLEN.
    pub length: i64,
    /// Every group of the stream (XINFO GROUPS).
    pub groups: Vec<GroupSample>,
}

fn server_ms(c: &mut Client) -> Result<i64, RedisError> {
    let t = c.call(&["TIME"])?;
    let it = t.items();
    let secs = it.first().and_then(Reply::as_int).unwrap_or(0);
    let micros = it.get(1).and_then(Reply::as_int).unwrap_or(0);
    Ok(secs * 1000 + micros / 1000)
}

fn id_ms(id: &str) -> Option<i64> {
    id.split('-').next()?.parse().ok()
}

/// Takes one sample of `stream`.
///
/// # Errors
/// [`RedisError`] (a missing stream is a server error from XINFO).
pub fn sample(c: &mut Client, stream: &str) -> Result<Sample, RedisError> {
    let now = server_ms(c)?;
    let length = c.call(&["XLEN", stream])?.as_int().unwrap_or(0);
    let info = c.call(&["XINFO", "GROUPS", stream])?;
    let mut groups = Vec::new();
    for g in info.items() {
        let fields = g.items();
        let get = |k: &str| {
            fields
                .chunks(2)
                .find(|kv| kv[0].as_str() == Some(k))
                .and_then(|kv| kv.get(1))
        };
        let name = get("name")
            .and_then(Reply::as_str)
            .unwrap_or_default()
            .to_string();
        let pending = get("pending").and_then(Reply::as_int).unwrap_or(0);
        let lag = get("lag").and_then(Reply::as_int);
        let mut gs = GroupSample {
            consumers: get("consumers").and_then(Reply::as_int).unwrap_or(0),
            pending,
            lag,
            last_delivered_id: get("last-delivered-id")
                .and_then(Reply::as_str)
                .unwrap_or_default()
                .to_string(),
            oldest_pending_id: None,
            oldest_pending_age_ms: None,
            oldest_pending_idle_ms: None,
            backlog: pending + lag.unwrap_or(0),
            name,
        };
        if pending > 0 {
            let p = c.call(&["XPENDING", stream, &gs.name, "-", "+", "1"])?;
            if let Some(first) = p.items().first() {
                let e = first.items();
                let id = e.first().and_then(Reply::as_str).map(str::to_string);
                gs.oldest_pending_age_ms = id.as_deref().and_then(id_ms).map(|t| (now - t).max(0));
                gs.oldest_pending_idle_ms = e.get(2).and_then(Reply::as_int);
                gs.oldest_pending_id = id;
            }
        }
        groups.push(gs);
    }
    Ok(Sample {
        at: crate::clients::http::now_rfc3339(),
        length,
        groups,
    })
}

/// What `rollout evidence redis` needs.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    pub target: Target,
    /// The URL as shown (password masked).
    pub url_shown: String,
    pub stream: String,
    /// The groups judged (each must exist).
    pub groups: Vec<String>,
    /// Sample for this long (`None`: one sample, compared with the previous run's first).
    pub watch: Option<Duration>,
    pub every: Duration,
    /// The largest allowed growth of a group's backlog from first to last sample.
    pub max_growth: i64,
    /// Per connection and command.
    pub timeout: Duration,
    /// The previous run's record (for the before/after of two runs).
    pub previous: Option<Report>,
}

/// One judged group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub group: String,
    pub backlog_before: i64,
    pub backlog_after: i64,
    pub growth: i64,
    pub ok: bool,
}

/// The record of `rollout evidence redis`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub kind: String,
    pub schema_version: u32,
    pub url: String,
    pub stream: String,
    pub groups: Vec<String>,
    pub max_growth: i64,
    /// `ok` or `backlog-grew`.
    pub result: String,
    /// Every sample, first is "before", last is "after".
    pub samples: Vec<Sample>,
    pub verdicts: Vec<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Report {
    /// True when no group's backlog grew past the threshold.
    pub fn ok(&self) -> bool {
        self.result == "ok"
    }
}

/// Samples the stream and judges each group's backlog growth.
///
/// # Errors
/// [`RedisError`]; a group that the stream does not have is a [`RedisError::Server`]-like input
/// error naming the groups it has.
pub fn run(opts: &RedisOptions) -> Result<Report, RedisError> {
    let mut c = Client::connect(&opts.target, opts.timeout)?;
    let mut samples = Vec::new();
    // A previous run of the same stream gives the "before".
    if opts.watch.is_none()
        && let Some(prev) = &opts.previous
        && prev.stream == opts.stream
        && let Some(first) = prev.samples.first()
    {
        samples.push(first.clone());
    }
    let start = Instant::now();
    let mut next = start;
    loop {
        samples.push(sample(&mut c, &opts.stream)?);
        let Some(watch) = opts.watch else { break };
        next += opts.every;
        if next > start + watch {
            break;
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    let last = samples.last().cloned().unwrap_or_else(|| Sample {
        at: String::new(),
        length: 0,
        groups: Vec::new(),
    });
    for g in &opts.groups {
        if !last.groups.iter().any(|s| &s.name == g) {
            return Err(RedisError::Server {
                addr: opts.target.addr.clone(),
                command: format!("XINFO GROUPS {}", opts.stream),
                message: format!(
                    "stream {} has no consumer group {g:?}; it has: {}",
                    opts.stream,
                    if last.groups.is_empty() {
                        "none".to_string()
                    } else {
                        last.groups
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            });
        }
    }
    let backlog = |s: &Sample, g: &str| {
        s.groups
            .iter()
            .find(|x| x.name == g)
            .map_or(0, |x| x.backlog)
    };
    let verdicts: Vec<Verdict> = opts
        .groups
        .iter()
        .map(|g| {
            let before = samples.first().map_or(0, |s| backlog(s, g));
            let after = backlog(&last, g);
            Verdict {
                group: g.clone(),
                backlog_before: before,
                backlog_after: after,
                growth: after - before,
                ok: after - before <= opts.max_growth,
            }
        })
        .collect();
    let grew: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.ok)
        .map(|v| {
            format!(
                "group {} backlog grew by {} ({} → {}), more than --max-growth {}",
                v.group, v.growth, v.backlog_before, v.backlog_after, opts.max_growth
            )
        })
        .collect();
    Ok(Report {
        kind: KIND.into(),
        schema_version: crate::evidence::SCHEMA_VERSION,
        url: opts.url_shown.clone(),
        stream: opts.stream.clone(),
        groups: opts.groups.clone(),
        max_growth: opts.max_growth,
        result: if grew.is_empty() {
            "ok"
        } else {
            "backlog-grew"
        }
        .into(),
        samples,
        verdicts,
        error: (!grew.is_empty()).then(|| grew.join("; ")),
    })
}

/// The report as text.
pub fn render_text(r: &Report) -> String {
    let mut out = format!(
        "stream {} at {}: {} samples, length {} → {}\n",
        r.stream,
        r.url,
        r.samples.len(),
        r.samples.first().map_or(0, |s| s.length),
        r.samples.last().map_or(0, |s| s.length)
    );
    let last = r.samples.last();
    for v in &r.verdicts {
        let g = last.and_then(|s| s.groups.iter().find(|g| g.name == v.group));
        out.push_str(&format!(
            "group {}: backlog {} → {} (growth {}, max {}){}",
            v.group,
            v.backlog_before,
            v.backlog_after,
            v.growth,
            r.max_growth,
            if v.ok { "" } else { " GREW" }
        ));
        if let Some(g) = g {
            out.push_str(&format!(
                ", pending {}, lag {}",
                g.pending,
                g.lag.map_or("unknown".into(), |l| l.to_string())
            ));
            if let Some(age) = g.oldest_pending_age_ms {
                out.push_str(&format!(", oldest pending {age} ms old"));
            }
        }
        out.push('\n');
    }
    out.push_str(&format!("{}\n", r.result));
    out
}

/// Reads the password file (trailing newline dropped) and registers it with the masking layer.
///
/// # Errors
/// [`RedisError::PasswordFile`].
pub fn read_password(path: &std::path::Path) -> Result<Secret, RedisError> {
    let text = crate::fsutil::read_to_string(path).map_err(|e| RedisError::PasswordFile {
        path: path.to_path_buf(),
        message: e.source.to_string(),
    })?;
    let p = text.trim_end_matches(['\r', '\n']).to_string();
    crate::mask::register(&p);
    Ok(Secret::new(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = parse_url("redis://:s3cretpass@127.0.0.1:6390/2").unwrap();
        assert_eq!(
            (t.addr.as_str(), t.db, t.user.is_none()),
            ("127.0.0.1:6390", 2, true)
        );
        assert_eq!(t.password.unwrap().expose(), "s3cretpass");
        let t = parse_url("redis://app:pw@redis.media").unwrap();
        assert_eq!(
            (t.addr.as_str(), t.user.as_deref()),
            ("redis.media:6379", Some("app"))
        );
        let e = parse_url("rediss://:hunter22x@h:1")
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains("hunter22x") && e.contains("not supported"),
            "{e}"
        );
        assert!(parse_url("redis://h:1/x").is_err());
    }

    #[test]
    fn resp_replies() {
        let mut r = &b"*3\r\n$4\r\nname\r\n:7\r\n$-1\r\n+OK\r\n-ERR no\r\n"[..];
        assert_eq!(
            read_reply(&mut r).unwrap(),
            Reply::Array(Some(vec![
                Reply::Bulk(Some("name".into())),
                Reply::Int(7),
                Reply::Bulk(None)
            ]))
        );
        assert_eq!(read_reply(&mut r).unwrap(), Reply::Simple("OK".into()));
        assert_eq!(read_reply(&mut r).unwrap(), Reply::Error("ERR no".into()));
        assert!(read_reply(&mut &b"?x\r\n"[..]).is_err());
        assert_eq!(encode(&["XLEN", "s"]), b"*2\r\n$4\r\nXLEN\r\n$1\r\ns\r\n");
    }
}
