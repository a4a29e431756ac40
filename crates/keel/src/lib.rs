//! keel's binary crate, as a library so its modes can be tested and reused.
//!
//! The binary (`main.rs`) parses keepalived's command line ([`cli`]) and runs one mode.
//! [`host`] connects keel-conf to the real machine; [`config_test`] is `-t`, [`dump`] is
//! `-d` and `--dump-conf=json`.

pub mod check_config;
pub mod checker;
pub mod cli;
pub mod config_test;
pub mod daemon;
pub mod dump;
pub mod genhash;
pub mod host;
pub mod memory;
pub mod ops;
pub mod vrrp_config;
