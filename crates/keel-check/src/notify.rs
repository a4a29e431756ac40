//! Notifications in keepalived's order (spec §3.8): state script, FIFO line, SMTP.

use crate::action::{Action, NotifyEvent, SmtpAlert};
use crate::instance::Checks;

/// keepalived `do_rs_notifies`: the state script, then the FIFO line (spec §3.8).
pub(crate) fn rs_notifies(checks: &mut Checks, vs: usize, rs: usize) {
    let virtual_server = &checks.virtual_servers[vs];
    let server = &virtual_server.real_servers[rs];
    let (script, event, state) = if server.alive {
        (
            server.config.notify_up.clone(),
            NotifyEvent::RealServerUp,
            "UP",
        )
    } else {
        (
            server.config.notify_down.clone(),
            NotifyEvent::RealServerDown,
            "DOWN",
        )
    };
    let line = format!("RS {} {} {state}", server.name, virtual_server.name);
    if let Some(script) = script {
        checks.push(Action::Notify { script, event });
    }
    checks.push(Action::FifoLine(line));
}

pub(crate) fn rs_shutdown_alert(checks: &mut Checks, vs: usize, rs: usize, body: &str) {
    let virtual_server = &checks.virtual_servers[vs];
    let server = &virtual_server.real_servers[rs];
    if server.smtp_alert {
        let subject = format!(
            "Realserver {} of virtual server {} - DOWN",
            server.name, virtual_server.name
        );
        checks.push(Action::Smtp(SmtpAlert {
            subject,
            body: body.to_string(),
        }));
    }
}

/// Why a virtual server's quorum notifiers run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum VsNotice {
    StartUp,
    StartDown,
    Gained,
    Lost,
    Stopping,
}

/// A notice with the numbers keepalived puts in its SMTP body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VsNoticeDetail {
    notice: VsNotice,
    threshold: u64,
    sum: u64,
}

impl VsNotice {
    pub(crate) fn with(self, threshold: u64, sum: u64) -> VsNoticeDetail {
        VsNoticeDetail {
            notice: self,
            threshold,
            sum,
        }
    }
}

impl From<VsNotice> for VsNoticeDetail {
    fn from(notice: VsNotice) -> Self {
        notice.with(0, 0)
    }
}

/// keepalived `do_vs_notifies`: `quorum_up`/`quorum_down`, the VS FIFO line, SMTP.
pub(crate) fn vs_notifies(checks: &mut Checks, vs: usize, detail: impl Into<VsNoticeDetail>) {
    let detail = detail.into();
    let server = &checks.virtual_servers[vs];
    let up = server.quorum_up;
    let (script, event) = if up {
        (server.config.quorum_up.clone(), NotifyEvent::QuorumUp)
    } else {
        (server.config.quorum_down.clone(), NotifyEvent::QuorumDown)
    };
    let state = if up { "UP" } else { "DOWN" };
    let line = format!("VS {} {state}", server.name);
    let smtp = server.config.smtp_alert.then(|| {
        let body = match detail.notice {
            VsNotice::Stopping => "=> Shutting down <=".to_string(),
            notice => {
                let what = match notice {
                    VsNotice::StartUp => "Starting with quorum up",
                    VsNotice::StartDown => "Starting with quorum down",
                    VsNotice::Gained => "Gained quorum",
                    _ => "Lost quorum",
                };
                format!(
                    "=> {what} {}+{}={} <= {} <=",
                    server.quorum, server.hysteresis, detail.threshold, detail.sum
                )
            }
        };
        SmtpAlert {
            subject: format!("Virtualserver {} - {state}", server.name),
            body,
        }
    });
    if let Some(script) = script {
        checks.push(Action::Notify { script, event });
    }
    checks.push(Action::FifoLine(line));
    if let Some(alert) = smtp {
        checks.push(Action::Smtp(alert));
    }
}
