//! keel: a keepalived-compatible high-availability daemon.
fn main() {
    eprintln!("keel: not built yet");
    std::process::exit(1);
}
