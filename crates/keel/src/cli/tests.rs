//! Command lines as an operator types them, and what keepalived 2.2.7 makes of them.

use super::*;

fn parsed(args: &[&str]) -> Invocation {
    match parse(args.iter().copied()) {
        Ok(invocation) => invocation,
        Err(error) => panic!("{args:?} was refused: {error}"),
    }
}

fn refused(args: &[&str]) -> CliError {
    match parse(args.iter().copied()) {
        Ok(invocation) => panic!("{args:?} was accepted: {invocation:?}"),
        Err(error) => error,
    }
}

#[test]
fn no_arguments_runs_the_daemon_on_the_default_file() {
    // Input: `keel`. Output: run, /etc/keepalived/keepalived.conf, every subsystem.
    let run = parsed(&[]);
    assert_eq!(run.command, Command::Run);
    assert_eq!(
        run.options.config_file,
        PathBuf::from("/etc/keepalived/keepalived.conf")
    );
    assert_eq!(
        run.options.subsystems,
        Subsystems {
            vrrp: true,
            checkers: true,
            bfd: true,
            run_all: false
        }
    );
    assert!(run.warnings.is_empty());
}

#[test]
fn config_test_takes_its_log_file_only_when_attached() {
    // Input: -t, -tFILE, --config-test=FILE, --config-test FILE.
    // Output: getopt's optional-argument rule: only the attached forms name a log file; a
    // separate word is a stray argument that is reported.
    assert_eq!(
        parsed(&["-t"]).command,
        Command::ConfigTest { log_file: None }
    );
    assert_eq!(
        parsed(&["-t/tmp/check.log"]).command,
        Command::ConfigTest {
            log_file: Some("/tmp/check.log".into())
        }
    );
    assert_eq!(
        parsed(&["--config-test=/tmp/check.log"]).command,
        Command::ConfigTest {
            log_file: Some("/tmp/check.log".into())
        }
    );
    let separate = parsed(&["--config-test", "/tmp/check.log"]);
    assert_eq!(separate.command, Command::ConfigTest { log_file: None });
    assert_eq!(
        separate.warnings,
        vec!["Unexpected argument(s): /tmp/check.log".to_string()]
    );
}

#[test]
fn optional_argument_at_the_end_of_a_cluster() {
    // Input: `-ntx` — getopt reads -n, then -t with the log file "x".
    let run = parsed(&["-ntx", "-f", "k.conf"]);
    assert!(run.options.dont_fork);
    assert_eq!(
        run.command,
        Command::ConfigTest {
            log_file: Some("x".into())
        }
    );
    assert_eq!(run.options.config_file, PathBuf::from("k.conf"));
}

#[test]
fn required_arguments_attach_or_take_the_next_word_even_if_it_starts_with_a_dash() {
    // Input: -fFILE; -i -t (keepalived takes "-t" as the config id, as getopt does).
    assert_eq!(
        parsed(&["-fk.conf"]).options.config_file,
        PathBuf::from("k.conf")
    );
    let id = parsed(&["-i", "-t"]);
    assert_eq!(id.options.config_id.as_deref(), Some("-t"));
    assert_eq!(id.command, Command::Run);
    assert_eq!(
        parsed(&["--use-file=a.conf"]).options.config_file,
        PathBuf::from("a.conf")
    );
}

#[test]
fn long_options_may_be_abbreviated_when_unambiguous() {
    // Input: --vers, --use=F, --config-t. Output: getopt_long's prefix matching.
    assert_eq!(parsed(&["--vers"]).command, Command::Version);
    assert_eq!(
        parsed(&["--use=a.conf"]).options.config_file,
        PathBuf::from("a.conf")
    );
    assert_eq!(
        parsed(&["--config-t"]).command,
        Command::ConfigTest { log_file: None }
    );
    // "--d" could be --dump-conf, --dont-fork, --dont-release-*: refused.
    assert!(matches!(refused(&["--d"]), CliError::UnknownOption(_)));
}

#[test]
fn unknown_options_and_missing_parameters_use_keepalived_wording() {
    assert_eq!(refused(&["-Q"]), CliError::UnknownOption("-Q".into()));
    assert_eq!(
        refused(&["--bogus"]),
        CliError::UnknownOption("--bogus".into())
    );
    assert_eq!(
        refused(&["--use-file="]),
        CliError::MissingParameter("--use-file".into())
    );
    assert_eq!(
        refused(&["-f"]),
        CliError::MissingParameter("--use-file".into())
    );
    assert_eq!(
        refused(&["--signum=stop"]).to_string(),
        "Unknown sigfunc stop"
    );
}

#[test]
fn signum_prints_keepalived_numbers() {
    // Input: --signum=NAME for each function. Output: the Linux numbers keepalived prints.
    let numbers: Vec<(SignalFunction, i32)> = [
        "STOP",
        "RELOAD",
        "DATA",
        "STATS",
        "STATS_CLEAR",
        "JSON",
        "TDUMP",
    ]
    .iter()
    .map(
        |name| match parsed(&[&format!("--signum={name}")]).command {
            Command::Signum(function) => (function, function.number()),
            other => panic!("--signum={name} gave {other:?}"),
        },
    )
    .collect();
    assert_eq!(
        numbers,
        vec![
            (SignalFunction::Stop, 15),
            (SignalFunction::Reload, 1),
            (SignalFunction::Data, 10),
            (SignalFunction::Stats, 12),
            (SignalFunction::StatsClear, 63),
            (SignalFunction::Json, 36),
            (SignalFunction::ThreadDump, 64),
        ]
    );
}

#[test]
fn genhash_takes_over_the_rest_of_the_command_line() {
    // Input: -T -s 10.0.0.1 -p 80 -u /; also after another option, and --genhash.
    // Output: genhash mode with its own arguments, never parsed as keel options.
    let genhash = parsed(&["-T", "-s", "10.0.0.1", "-p", "80", "-u", "/"]);
    assert_eq!(
        genhash.command,
        Command::Genhash(
            ["-s", "10.0.0.1", "-p", "80", "-u", "/"]
                .map(OsString::from)
                .to_vec()
        )
    );
    assert!(matches!(
        parsed(&["-n", "-T", "-h"]).command,
        Command::Genhash(_)
    ));
    assert!(matches!(
        parsed(&["--genhash"]).command,
        Command::Genhash(_)
    ));
    // "-fT" is the file "T", not genhash.
    assert_eq!(parsed(&["-fT"]).options.config_file, PathBuf::from("T"));
    assert_eq!(
        parsed(&["-f", "-T"]).options.config_file,
        PathBuf::from("-T")
    );
}

#[test]
fn daemon_options_are_typed() {
    // Input: a full daemon command line. Output: every option in Options.
    let run = parsed(&[
        "-P",
        "-B",
        "-l",
        "-D",
        "-D",
        "-S",
        "local3",
        "-G",
        "-u",
        "022",
        "-X",
        "-V",
        "-I",
        "-R",
        "-n",
        "-d",
        "-p",
        "/run/k.pid",
        "-r",
        "/run/v.pid",
        "-c",
        "/run/c.pid",
        "-b",
        "/run/b.pid",
        "-a",
        "-x",
        "-A",
        "/run/agentx",
        "-s",
        "blue",
        "-M/tmp/core.%p",
        "-e",
        "-i",
        "node1",
        "--ignore-sigint",
    ]);
    let o = &run.options;
    assert_eq!(run.command, Command::Run);
    assert_eq!(
        o.subsystems,
        Subsystems {
            vrrp: true,
            checkers: false,
            bfd: false,
            run_all: false
        }
    );
    assert!(o.logging.console && !o.logging.syslog);
    assert_eq!(o.logging.detail, 2);
    assert_eq!(o.logging.facility, LogFacility::Local(3));
    assert_eq!(o.umask, Some(0o22));
    assert!(o.release_vips && o.dont_release_vrrp && o.dont_release_ipvs);
    assert!(o.dont_respawn && o.dont_fork && o.address_monitoring && o.snmp);
    assert_eq!(o.dump, Some(DumpFormat::Data));
    assert_eq!(o.pid_files.main, Some("/run/k.pid".into()));
    assert_eq!(o.pid_files.vrrp, Some("/run/v.pid".into()));
    assert_eq!(o.pid_files.checkers, Some("/run/c.pid".into()));
    assert_eq!(o.pid_files.bfd, Some("/run/b.pid".into()));
    assert_eq!(o.snmp_agent_socket.as_deref(), Some("/run/agentx"));
    assert_eq!(o.namespace.as_deref(), Some("blue"));
    assert!(o.core_dump);
    assert_eq!(o.core_dump_pattern.as_deref(), Some("/tmp/core.%p"));
    assert!(o.all_config && o.ignore_sigint);
    assert_eq!(o.config_id.as_deref(), Some("node1"));
}

#[test]
fn all_overrides_subsystem_selection_and_bare_m_pattern_defaults_to_core() {
    let run = parsed(&["-C", "--all", "-M"]);
    assert_eq!(
        run.options.subsystems,
        Subsystems {
            vrrp: true,
            checkers: true,
            bfd: true,
            run_all: true
        }
    );
    assert_eq!(run.options.core_dump_pattern.as_deref(), Some("core"));
}

#[test]
fn bad_facility_and_umask_are_reported_and_ignored_like_keepalived() {
    // Input: -S 9, -u 0x200 (keepalived: at most 0777). Output: warnings, defaults kept.
    let run = parsed(&["-S", "9", "-u", "0x200", "-t"]);
    assert_eq!(run.options.logging.facility, LogFacility::Daemon);
    assert_eq!(run.options.umask, None);
    assert_eq!(
        run.warnings,
        vec![
            "Invalid log facility '9'".to_string(),
            "Invalid --umask option 0x200".to_string()
        ]
    );
    assert_eq!(parse_umask("0x1ff"), Some(0o777));
    assert_eq!(parse_umask("511"), Some(0o777));
    assert_eq!(parse_umask("08"), None);
    assert_eq!(parse_umask("22x"), None);
    assert_eq!(parse_facility("user"), Some(LogFacility::User));
    assert_eq!(parse_facility("7"), Some(LogFacility::Local(7)));
    assert_eq!(parse_facility("local8"), None);
}

#[test]
fn dump_conf_json_is_its_own_command_and_d_stays_a_flag() {
    assert_eq!(parsed(&["--dump-conf=json"]).command, Command::DumpJson);
    let d = parsed(&["-dn"]);
    assert_eq!(d.options.dump, Some(DumpFormat::Data));
    assert!(d.options.dont_fork);
    assert!(matches!(refused(&["--dump-conf=yaml"]), CliError::Other(_)));
}

#[test]
fn options_without_a_feature_yet_are_named() {
    // Input: -t -g; --config-fd=3 -t; -x (daemon). Output: the names keel refuses.
    let log = parsed(&["-t", "-g"]);
    assert_eq!(log.options.logging.file, Some("/tmp/keepalived.log".into()));
    assert_eq!(log.options.unsupported(&log.command), vec!["--log-file"]);
    let fd = parsed(&["--config-fd=3", "-t"]);
    assert_eq!(fd.options.unsupported(&fd.command), vec!["--config-fd"]);
    // The daemon writes the log file (keepalived_vrrp.log).
    let daemon_log = parsed(&["-g"]);
    assert!(
        daemon_log
            .options
            .unsupported(&daemon_log.command)
            .is_empty()
    );
    let snmp = parsed(&["-x"]);
    assert_eq!(snmp.options.unsupported(&snmp.command), vec!["--snmp"]);
    // With -t, SNMP changes nothing (as in keepalived), so it is accepted.
    let test = parsed(&["-x", "-t"]);
    assert!(test.options.unsupported(&test.command).is_empty());
}

#[test]
fn help_and_version_texts_name_keel_and_keepalived() {
    assert_eq!(parsed(&["-h"]).command, Command::Help);
    assert!(usage().starts_with("Usage: keel [OPTION...]\n"));
    assert!(usage().contains("-t, --config-test[=LOG_FILE]"));
    let banner = version_banner(Some("Linux 6.1"));
    assert!(banner.starts_with("Keel v"));
    assert!(banner.contains("keepalived v2.2.7"));
    assert!(banner.contains("Running on Linux 6.1"));
}

#[test]
fn the_first_option_that_exits_wins_as_with_getopt() {
    // Input: -v -h; -h -v; --signum=DATA -v. Output: keepalived acts on the first one.
    assert_eq!(parsed(&["-v", "-h"]).command, Command::Version);
    assert_eq!(parsed(&["-h", "-v"]).command, Command::Help);
    assert_eq!(
        parsed(&["--signum=DATA", "-v", "-t"]).command,
        Command::Signum(SignalFunction::Data)
    );
    assert_eq!(parsed(&["-t", "-v"]).command, Command::Version);
}

#[test]
fn double_dash_ends_the_options() {
    // Input: `-t -- -f x`. Output: -f is not an option; both words are reported as stray.
    let run = parsed(&["-t", "--", "-f", "x"]);
    assert_eq!(run.options.config_file, PathBuf::from(DEFAULT_CONFIG_FILE));
    assert_eq!(
        run.warnings,
        vec!["Unexpected argument(s): -f x".to_string()]
    );
}
