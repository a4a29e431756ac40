//! Fuzz the whole configuration front end: preprocessor, block tree, keyword tables,
//! cross-checks and printing. Any input must give a configuration and diagnostics,
//! never a panic or a hang.
#![no_main]

use std::path::Path;

use keel_conf::memfs::{FakeHost, MemoryFs};
use keel_conf::preprocess::PreprocessOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let fs = MemoryFs::new()
        .with_file("/etc/keepalived/keepalived.conf", text)
        .with_file("/etc/keepalived/notify.sh", "#!/bin/sh\n");
    let host = FakeHost::new()
        .with_interface("eth0")
        .with_interface("eth1")
        .with_user("root", 0, 0)
        .with_group("root", 0)
        .with_path_dir("/usr/bin");
    let options = PreprocessOptions { config_id: "fuzz".into(), ..PreprocessOptions::default() };
    let loaded = keel_conf::load(&fs, &host, Path::new("/etc/keepalived/keepalived.conf"), &options);
    for diagnostic in &loaded.diagnostics {
        let _ = diagnostic.render(&loaded.sources);
    }
    let _ = keel_conf::diag::exit_code(&loaded.diagnostics);
    let _ = keel_conf::print::print(&loaded.config);
});
