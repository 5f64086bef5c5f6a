//! Replays the fuzz corpus through the targets' entry points: every input
//! a fuzzer kept (`fuzz/corpus/<target>.tar.gz`, written by
//! `bench/fuzz.sh`), so that a crash once found and fixed stays fixed, on
//! the stable toolchain and on every test run.

use std::io::Read;
use std::path::Path;

#[test]
fn every_saved_fuzz_input_runs_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut total = 0;
    for (name, target) in empower_fuzzing::TARGETS {
        let archive = root.join(format!("{name}.tar.gz"));
        let file =
            std::fs::File::open(&archive).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let mut count = 0;
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = entry.path().unwrap().display().to_string();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: input {path} panics");
            count += 1;
        }
        assert!(count > 0, "{}: an empty corpus", archive.display());
        total += count;
    }
    assert!(total > 1000, "only {total} inputs");
}
