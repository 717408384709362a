//! Go's `filepath.Glob`, which `kustomize edit add resource|component` expands its arguments
//! with: `*` (any run of characters but `/`), `?` (one), `[...]` classes with ranges and `^`
//! negation, `\` escapes; no `**`. Each directory's matches come sorted by name, dot-files
//! included; a pattern without meta characters matches itself when it exists. Reads directory
//! listings only.

use std::path::{Path, PathBuf};

fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

/// Go's `filepath.Match` for one path segment. `None`: a malformed pattern (`ErrBadPattern`).
pub fn matches(pattern: &str, name: &str) -> Option<bool> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn class(p: &[char], mut i: usize, c: char) -> Option<(bool, usize)> {
        // p[i] is just after '['.
        let negate = p.get(i) == Some(&'^');
        if negate {
            i += 1;
        }
        let mut hit = false;
        let mut first = true;
        loop {
            let ch = *p.get(i)?;
            if ch == ']' && !first {
                return Some((hit != negate, i + 1));
            }
            first = false;
            let lo = if ch == '\\' {
                i += 1;
                *p.get(i)?
            } else {
                ch
            };
            i += 1;
            let mut hi = lo;
            if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|c| *c != ']') {
                i += 1;
                hi = if p[i] == '\\' {
                    i += 1;
                    *p.get(i)?
                } else {
                    p[i]
                };
                i += 1;
            }
            if lo <= c && c <= hi {
                hit = true;
            }
        }
    }
    fn go(p: &[char], n: &[char]) -> Option<bool> {
        let (mut pi, mut ni) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        loop {
            if pi < p.len() {
                match p[pi] {
                    '*' => {
                        star = Some((pi, ni));
                        pi += 1;
                        continue;
                    }
                    '?' if ni < n.len() && n[ni] != '/' => {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                    '[' if ni < n.len() => {
                        let (ok, next) = class(p, pi + 1, n[ni])?;
                        if ok && n[ni] != '/' {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    }
                    '\\' => {
                        let c = *p.get(pi + 1)?;
                        if ni < n.len() && n[ni] == c {
                            pi += 2;
                            ni += 1;
                            continue;
                        }
                    }
                    c if ni < n.len() && n[ni] == c && c != '?' && c != '[' => {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                    _ => {}
                }
            } else if ni == n.len() {
                return Some(true);
            }
            // Backtrack: let the last star take one more character (never a '/').
            match star {
                Some((sp, sn)) if sn < n.len() && n[sn] != '/' => {
                    star = Some((sp, sn + 1));
                    pi = sp + 1;
                    ni = sn + 1;
                }
                _ => {
                    // Validate the rest of the pattern as Go does before saying no.
                    let mut i = pi;
                    while i < p.len() {
                        match p[i] {
                            '[' => i = class(p, i + 1, '\0')?.1,
                            '\\' => {
                                p.get(i + 1)?;
                                i += 2;
                            }
                            _ => i += 1,
                        }
                    }
                    return Some(false);
                }
            }
        }
    }
    go(&p, &n)
}

/// The paths matching `pattern` (relative to `base`, returned as the pattern writes them:
/// relative stays relative), sorted per directory. Unreadable directories match nothing.
///
/// # Errors
/// A malformed pattern, as Go's `filepath.ErrBadPattern`.
pub fn glob(base: &Path, pattern: &str) -> Result<Vec<String>, String> {
    if !has_meta(pattern) {
        let exists = base.join(pattern).symlink_metadata().is_ok();
        return Ok(if exists {
            vec![pattern.to_string()]
        } else {
            vec![]
        });
    }
    let absolute = pattern.starts_with('/');
    let mut found: Vec<String> = vec![if absolute { "/".into() } else { String::new() }];
    for seg in pattern.split('/').filter(|s| !s.is_empty()) {
        let mut next = Vec::new();
        for prefix in &found {
            let dir: PathBuf = if prefix.is_empty() {
                base.to_path_buf()
            } else {
                base.join(prefix)
            };
            let join = |name: &str| {
                if prefix.is_empty() {
                    name.to_string()
                } else if prefix.ends_with('/') {
                    format!("{prefix}{name}")
                } else {
                    format!("{prefix}/{name}")
                }
            };
            if !has_meta(seg) {
                let p = join(seg);
                if base.join(&p).symlink_metadata().is_ok() {
                    next.push(p);
                }
                continue;
            }
            matches(seg, "").ok_or_else(|| format!("syntax error in pattern {pattern:?}"))?;
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .collect();
            names.sort();
            for name in names {
                if matches(seg, &name) == Some(true) {
                    next.push(join(&name));
                }
            }
        }
        found = next;
    }
    Ok(found)
}

/// `kustomize edit add resource|component`'s arguments expanded as kustomize's
/// `GlobPatternsWithLoader` does: each pattern's matches under `base` (the kustomization's
/// directory), in order; a pattern matching nothing is kept when it is a remote URL (git or
/// HTTP; kustomize would fetch it to check it, we do not), else an error in kustomize's words.
/// `own` (the kustomization file's name) is never added.
///
/// # Errors
/// A malformed pattern, or a local pattern with no match.
pub fn expand_args(base: &Path, patterns: &[String], own: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for pattern in patterns {
        let found =
            glob(base, pattern).map_err(|e| format!("error checking the filesystem: {e}"))?;
        if found.is_empty() {
            let remote = super::remote::is_http(pattern)
                || super::remote::RepoSpec::parse(pattern).is_ok_and(|r| !r.host.is_empty());
            if !remote {
                return Err(format!(
                    "{pattern} has no match: must build at directory: not a valid directory: {pattern}: no such file or directory"
                ));
            }
            out.push(pattern.clone());
            continue;
        }
        out.extend(found.into_iter().filter(|f| f != own));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match_table() {
        // From Go's path/filepath match_test.go semantics.
        let cases = [
            ("abc", "abc", Some(true)),
            ("*", "abc", Some(true)),
            ("*c", "abc", Some(true)),
            ("a*", "a", Some(true)),
            ("a*", "ab/c", Some(false)),
            ("a*/b", "abc/b", Some(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Some(true)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Some(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Some(false)),
            ("ab[c]", "abc", Some(true)),
            ("ab[b-d]", "abc", Some(true)),
            ("ab[e-g]", "abc", Some(false)),
            ("ab[^c]", "abc", Some(false)),
            ("ab[^b-d]", "abc", Some(false)),
            ("ab[^e-g]", "abc", Some(true)),
            ("a\\*b", "a*b", Some(true)),
            ("a\\*b", "ab", Some(false)),
            ("a?b", "a☺b", Some(true)),
            ("a???b", "a☺b", Some(false)),
            ("*x", "xxx", Some(true)),
            ("[", "a", None),
            ("[^", "a", None),
            ("a[", "x", None),
            ("*.yaml", ".hidden.yaml", Some(true)),
        ];
        for (p, n, want) in cases {
            assert_eq!(matches(p, n), want, "{p} ~ {n}");
        }
    }

    #[test]
    fn glob_lists_sorted_matches_and_literal_paths() {
        let d = tempfile::tempdir().unwrap();
        for f in ["b.yaml", "a.yaml", "c.txt", "sub/x.yaml", "sub/y.yml"] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        assert_eq!(glob(d.path(), "*.yaml").unwrap(), ["a.yaml", "b.yaml"]);
        assert_eq!(
            glob(d.path(), "s*/*.y*ml").unwrap(),
            ["sub/x.yaml", "sub/y.yml"]
        );
        assert_eq!(glob(d.path(), "sub").unwrap(), ["sub"]);
        assert!(glob(d.path(), "missing.yaml").unwrap().is_empty());
        assert!(glob(d.path(), "*.json").unwrap().is_empty());
        assert!(glob(d.path(), "[").is_err());
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            expand_args(
                d.path(),
                &args(&[
                    "*.yaml",
                    "sub",
                    "https://example.com/cm.yaml",
                    "github.com/org/repo//base?ref=v1"
                ]),
                "kustomization.yaml"
            )
            .unwrap(),
            [
                "a.yaml",
                "b.yaml",
                "sub",
                "https://example.com/cm.yaml",
                "github.com/org/repo//base?ref=v1"
            ]
        );
        std::fs::write(d.path().join("kustomization.yaml"), "").unwrap();
        assert_eq!(
            expand_args(d.path(), &args(&["k*.yaml"]), "kustomization.yaml").unwrap(),
            Vec::<String>::new()
        );
        let e = expand_args(d.path(), &args(&["nope.yaml"]), "kustomization.yaml").unwrap_err();
        assert!(e.starts_with("nope.yaml has no match: "), "{e}");
    }
}
