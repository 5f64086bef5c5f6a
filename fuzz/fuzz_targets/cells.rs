#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| empower_fuzzing::cells(data));
