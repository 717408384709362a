//! `diff` compares each live object as the snapshot is read and keeps only its result: the heap's
//! peak grows with the snapshot's text, not with the trees of its objects. Measured with a
//! counting allocator in this test binary (bytes, not seconds, so the figure does not depend on
//! how busy the machine is).

use rollout::diff::{DiffOptions, run};
use std::path::Path;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{Counting, peak_during};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const OBJECTS: usize = 1500;

/// The rendered ConfigMaps with `fields` more data keys, and a `kubectl get -o yaml` List of them
/// as live, each with the same keys and `fields` entries of server-side bookkeeping (many small
/// mappings: costly as trees). Half of them differ in one value.
fn write_inputs(dir: &Path, fields: usize) -> usize {
    let mut rendered = String::new();
    let mut live = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..OBJECTS {
        rendered.push_str(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  namespace: ns\ndata:\n  k: \"{i}\"\n"
        ));
        for f in 0..fields {
            rendered.push_str(&format!("  d{f}: v\n"));
        }
        rendered.push_str("---\n");
        live.push_str(&format!(
            "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c{i}\n    namespace: ns\n    uid: u-{i}\n    managedFields:\n"
        ));
        for f in 0..fields {
            live.push_str(&format!(
                "    - manager: m{f}\n      operation: Update\n      fieldsV1: {{f:data: {{f:k{f}: {{}}}}}}\n"
            ));
        }
        let value = if i % 2 == 0 {
            i.to_string()
        } else {
            "old".into()
        };
        live.push_str(&format!("  data:\n    k: \"{value}\"\n"));
        for f in 0..fields {
            live.push_str(&format!("    d{f}: v\n"));
        }
    }
    std::fs::create_dir_all(dir.join("live")).unwrap();
    std::fs::write(dir.join("rendered.yaml"), rendered).unwrap();
    std::fs::write(dir.join("live/list.yaml"), &live).unwrap();
    live.len()
}

/// Peak heap bytes above the starting point while diffing, and how many objects changed.
fn peak_while_diffing(dir: &Path) -> (usize, usize) {
    let opts = DiffOptions {
        now: Some(jiff::Timestamp::UNIX_EPOCH),
        ..DiffOptions::snapshot(dir.join("rendered.yaml"), dir.join("live"))
    };
    peak_during(|| run(&opts).unwrap().summary().changed)
}

#[test]
fn diff_memory_follows_the_snapshot_text_not_its_trees() {
    let tmp = tempfile::tempdir().unwrap();
    let (light, heavy) = (tmp.path().join("light"), tmp.path().join("heavy"));
    let light_len = write_inputs(&light, 1);
    let heavy_len = write_inputs(&heavy, 40);
    let (light_peak, light_changed) = peak_while_diffing(&light);
    let (heavy_peak, heavy_changed) = peak_while_diffing(&heavy);
    // Same comparison: half the ConfigMaps differ, whatever the bookkeeping.
    assert_eq!((light_changed, heavy_changed), (OBJECTS / 2, OBJECTS / 2));
    let extra_text = heavy_len - light_len;
    let extra_peak = heavy_peak.saturating_sub(light_peak);
    // The heavy side adds 40 data keys to each rendered object (held as trees until compared)
    // and, live, the same keys and 40 entries of bookkeeping. Compared as read, the live side
    // costs its text (held while read) and one part's trees per thread: 1.7 times the extra live
    // text here. Keeping each live object projected onto its rendered one until all were read
    // (the build before) cost 3.3 times.
    assert!(
        extra_peak < extra_text * 5 / 2,
        "{extra_peak} bytes more at the peak for {extra_text} bytes more of snapshot text (light {light_peak}, heavy {heavy_peak})"
    );
}
