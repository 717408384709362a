//! `render` emits its output while it is printed, a batch of documents at a time: printing a large
//! build holds one batch of text, not the whole stream. Measured with a counting allocator in this
//! test binary (bytes, not seconds, so the figure does not depend on how busy the machine is).

use rollout::kustomize::{BuildOptions, RenderOptions, render};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{Counting, peak_during};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn printing_a_large_render_holds_a_batch_of_its_text_not_all_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    // 10,000 ConfigMaps of about 1 KiB each.
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n"
        ));
        for k in 0..12 {
            text.push_str(&format!("  key{k}: value-{i}-{k}-{}\n", "x".repeat(60)));
        }
    }
    std::fs::write(tmp.path().join("configmaps.yaml"), &text).unwrap();
    std::fs::write(
        tmp.path().join("kustomization.yaml"),
        "resources:\n- configmaps.yaml\n",
    )
    .unwrap();
    let opts = RenderOptions {
        dir: tmp.path().to_path_buf(),
        output: None,
        build: BuildOptions::default(),
    };
    // The build alone, for comparison.
    let (build_peak, ()) = peak_during(|| {
        drop(rollout::kustomize::build_with(&opts.dir, &opts.build).unwrap());
    });
    // The build and its printing: each part is written (here: counted) and dropped before the
    // next is emitted.
    let (peak, (total, docs)) = peak_during(|| {
        let (mut total, mut docs) = (0, 0);
        for part in render(&opts).unwrap().stdout {
            total += part.len();
            docs += part.matches("kind: ConfigMap\n").count();
        }
        (total, docs)
    });
    assert_eq!(docs, 10_000);
    assert!(total > 10_000_000, "{total} bytes printed");
    // One batch is 512 documents per core (at most eight): a fifth of this stream on eight cores,
    // a tenth on two. Emitting it all before printing held all of it on top of the build.
    let printing = peak.saturating_sub(build_peak);
    assert!(
        printing < total / 2,
        "{printing} bytes more at the peak than the build's {build_peak} while printing {total} bytes"
    );
}
