//! The umask applied to the process (alone in this test binary: umask is process-wide).

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use keel::ops::umask::{self, DEFAULT_UMASK};

// Input: keepalived's default umask applied, then a file created asking for 0666.
// Output: the file is 0600; the previous umask is returned and restored.
#[test]
fn default_umask_makes_private_files() {
    let path = std::env::temp_dir().join(format!("keel-ops-umask-{}", std::process::id()));
    let previous = umask::apply(DEFAULT_UMASK);
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o666)
        .open(&path);
    let restored = umask::apply(previous);
    created.expect("temp file created");
    let mode = std::fs::metadata(&path)
        .expect("exists")
        .permissions()
        .mode();
    std::fs::remove_file(&path).expect("cleanup");
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(restored, DEFAULT_UMASK);
}
