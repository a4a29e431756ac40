//! `vrrp_netlink_cmd_rcv_bufs` / `vrrp_netlink_monitor_rcv_bufs BYTES` and their `_force
//! [BOOL]` (spec §2.3): the receive buffers of the VRRP side's two netlink sockets, the one
//! keel sends its address and route commands on and the one it hears link and address
//! events on (a reload adding hundreds of VIPs must not overrun it).

use keel_conf::model::RawKeyword;
use keel_sys::netlink::ReceiveBuffer;

/// Which netlink socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Socket {
    /// Commands (`vrrp_netlink_cmd_*`).
    Command,
    /// Events (`vrrp_netlink_monitor_*`).
    Monitor,
}

/// The buffer the configuration asks for `socket`, if it sets a size.
pub fn configured(global: &[RawKeyword], socket: Socket) -> Option<ReceiveBuffer> {
    let (size, force) = match socket {
        Socket::Command => (
            "vrrp_netlink_cmd_rcv_bufs",
            "vrrp_netlink_cmd_rcv_bufs_force",
        ),
        Socket::Monitor => (
            "vrrp_netlink_monitor_rcv_bufs",
            "vrrp_netlink_monitor_rcv_bufs_force",
        ),
    };
    let bytes = global
        .iter()
        .rev()
        .find(|k| k.keyword == size)?
        .args
        .first()?
        .parse::<u32>()
        .ok()?;
    Some(ReceiveBuffer {
        bytes: usize::try_from(bytes).unwrap_or(usize::MAX),
        force: RawKeyword::flag(global, force).unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(keyword: &str, args: &[&str]) -> RawKeyword {
        RawKeyword {
            keyword: keyword.into(),
            args: args.iter().map(|arg| arg.to_string()).collect(),
        }
    }

    // Input: a monitor size with `_force`, a command size alone, and a `_force` without a
    // size. Output: forced monitor buffer, capped command buffer; no size, no change.
    #[test]
    fn sizes_and_force_per_socket() {
        let global = [
            raw("vrrp_netlink_monitor_rcv_bufs", &["8388608"]),
            raw("vrrp_netlink_monitor_rcv_bufs_force", &[]),
            raw("vrrp_netlink_cmd_rcv_bufs", &["262144"]),
        ];
        assert_eq!(
            configured(&global, Socket::Monitor),
            Some(ReceiveBuffer {
                bytes: 8_388_608,
                force: true
            })
        );
        assert_eq!(
            configured(&global, Socket::Command),
            Some(ReceiveBuffer {
                bytes: 262_144,
                force: false
            })
        );
        let only_force = [raw("vrrp_netlink_cmd_rcv_bufs_force", &["true"])];
        assert_eq!(configured(&only_force, Socket::Command), None);
    }
}
