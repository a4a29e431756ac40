//! IPVS over generic netlink (family "IPVS", spec §3.12), messages written by hand.
//!
//! [`Ipvs`] is one netlink socket bound to the network namespace of the thread that opens
//! it. Every request is acknowledged (or refused) by the kernel before the call returns;
//! calls block, so the daemon runs them on a blocking thread. It implements
//! [`LbBackend`] for keel-lb's ops, and covers the rest of keepalived's IPVS use:
//! `lvs_timeouts` ([`Ipvs::set_timeouts`]), `lvs_sync_daemon` ([`Ipvs::start_sync_daemon`]),
//! `lvs_flush` / `lvs_flush_on_stop` ([`Ipvs::flush`]).
//!
//! The kernel answers with the errno ipvsadm prints: `EEXIST` for an existing service or
//! destination, `ESRCH` for a missing service, `ENOENT` for a missing destination or an
//! unknown scheduler module, `EINVAL` for a refused setting.

pub(crate) mod codec;
pub(crate) mod nla;
pub(crate) mod uapi;

use std::cell::Cell;
use std::net::IpAddr;

use keel_lb::{Desired, DestKey, Destination, Op, ServiceKey, ServiceSettings};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_GENERIC};

use crate::error::{Error, Result};
use crate::lb::LbBackend;

use nla::{Reply, Request, attributes, replies, str_of, u16_of, u32_of};
use uapi::*;

/// A handle on the kernel's IPVS table.
#[derive(Debug)]
pub struct Ipvs {
    socket: Socket,
    family: u16,
    seq: Cell<u32>,
}

/// `IPVS_CMD_GET_INFO`: what `ipvsadm -Ln` prints on its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// IPVS version, `0x010201` for "1.2.1".
    pub version: u32,
    /// Size of the connection hash table.
    pub connection_table_size: u32,
}

/// Connection timeouts in seconds (`lvs_timeouts tcp T tcpfin T udp T`, `ipvsadm --set`).
/// In a request, 0 leaves that timeout unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeouts {
    /// Established TCP.
    pub tcp: u32,
    /// TCP after FIN.
    pub tcp_fin: u32,
    /// UDP.
    pub udp: u32,
}

/// Role of a connection-synchronisation daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRole {
    /// Sends connection state (the VRRP master's side).
    Master,
    /// Receives it.
    Backup,
}

/// `lvs_sync_daemon INTERFACE INSTANCE [id ID] [maxlen LEN] [port PORT] [ttl TTL] [group IP]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncDaemon {
    /// Master or backup.
    pub role: SyncRole,
    /// The interface the sync traffic uses.
    pub interface: String,
    /// SyncID (0..=255).
    pub sync_id: u32,
    /// Largest sync message payload; `None` for the kernel's default.
    pub max_len: Option<u16>,
    /// Multicast group; `None` for the kernel's default 224.0.0.81.
    pub group: Option<IpAddr>,
    /// UDP port; `None` for the kernel's default 8848.
    pub port: Option<u16>,
    /// Multicast TTL; `None` for the kernel's default 1.
    pub ttl: Option<u8>,
}

impl Ipvs {
    /// Opens a socket and resolves the "IPVS" family. Fails with errno `ENOENT` where the
    /// kernel has no IPVS (the module is not loaded or not built): the daemon then picks
    /// the nftables backend.
    pub fn open() -> Result<Ipvs> {
        let mut socket =
            Socket::new(NETLINK_GENERIC).map_err(|e| Error::io("socket(NETLINK_GENERIC)", e))?;
        socket
            .bind_auto()
            .map_err(|e| Error::io("bind(NETLINK_GENERIC)", e))?;
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(|e| Error::io("connect(NETLINK_GENERIC)", e))?;
        let mut ipvs = Ipvs {
            socket,
            family: GENL_ID_CTRL,
            seq: Cell::new(0),
        };
        ipvs.family = ipvs.resolve_family(IPVS_GENL_NAME)?;
        Ok(ipvs)
    }

    /// Adds a service with no destinations (`IPVS_CMD_NEW_SERVICE`).
    pub fn add_service(&self, key: &ServiceKey, settings: &ServiceSettings) -> Result<()> {
        let mut request = self.request(CMD_NEW_SERVICE, 0);
        request.begin_nested(CMD_ATTR_SERVICE);
        codec::put_service(&mut request, key, settings);
        request.end_nested();
        self.acknowledged("add service", request)
    }

    /// Changes a service's scheduler, flags or persistence in place (`IPVS_CMD_SET_SERVICE`).
    pub fn edit_service(&self, key: &ServiceKey, settings: &ServiceSettings) -> Result<()> {
        let mut request = self.request(CMD_SET_SERVICE, 0);
        request.begin_nested(CMD_ATTR_SERVICE);
        codec::put_service(&mut request, key, settings);
        request.end_nested();
        self.acknowledged("edit service", request)
    }

    /// Deletes a service and, in the kernel, its destinations (`IPVS_CMD_DEL_SERVICE`).
    pub fn delete_service(&self, key: &ServiceKey) -> Result<()> {
        let mut request = self.request(CMD_DEL_SERVICE, 0);
        request.begin_nested(CMD_ATTR_SERVICE);
        codec::put_service_key(&mut request, key);
        request.end_nested();
        self.acknowledged("delete service", request)
    }

    /// Adds a destination to a service (`IPVS_CMD_NEW_DEST`).
    pub fn add_destination(
        &self,
        service: &ServiceKey,
        dest: &DestKey,
        destination: &Destination,
    ) -> Result<()> {
        let request = self.destination_request(CMD_NEW_DEST, service, dest, Some(destination));
        self.acknowledged("add destination", request)
    }

    /// Changes a destination's weight, method or thresholds (`IPVS_CMD_SET_DEST`).
    pub fn edit_destination(
        &self,
        service: &ServiceKey,
        dest: &DestKey,
        destination: &Destination,
    ) -> Result<()> {
        let request = self.destination_request(CMD_SET_DEST, service, dest, Some(destination));
        self.acknowledged("edit destination", request)
    }

    /// Removes a destination (`IPVS_CMD_DEL_DEST`).
    pub fn delete_destination(&self, service: &ServiceKey, dest: &DestKey) -> Result<()> {
        let request = self.destination_request(CMD_DEL_DEST, service, dest, None);
        self.acknowledged("delete destination", request)
    }

    /// Every service in the table (`IPVS_CMD_GET_SERVICE` dump).
    pub fn services(&self) -> Result<Vec<(ServiceKey, ServiceSettings)>> {
        let request = self.request(CMD_GET_SERVICE, NLM_F_DUMP);
        self.dump("list services", request, |message| {
            codec::service_of(message)
        })
    }

    /// The destinations of one service (`IPVS_CMD_GET_DEST` dump).
    pub fn destinations(&self, service: &ServiceKey) -> Result<Vec<(DestKey, Destination)>> {
        let mut request = self.request(CMD_GET_DEST, NLM_F_DUMP);
        request.begin_nested(CMD_ATTR_SERVICE);
        codec::put_service_key(&mut request, service);
        request.end_nested();
        let family = service.family();
        self.dump("list destinations", request, |message| {
            codec::destination_of(message, family)
        })
    }

    /// Empties the whole table, services not added by keel included (`lvs_flush` at start,
    /// `lvs_flush_on_stop` at stop; `IPVS_CMD_FLUSH`).
    pub fn flush(&self) -> Result<()> {
        let request = self.request(CMD_FLUSH, 0);
        self.acknowledged("flush", request)
    }

    /// Zeroes every counter (`IPVS_CMD_ZERO`).
    pub fn zero(&self) -> Result<()> {
        let request = self.request(CMD_ZERO, 0);
        self.acknowledged("zero counters", request)
    }

    /// Version and connection table size (`IPVS_CMD_GET_INFO`).
    pub fn info(&self) -> Result<Info> {
        let request = self.request(CMD_GET_INFO, 0);
        let mut info = Info {
            version: 0,
            connection_table_size: 0,
        };
        for message in self.dump("info", request, |m| Ok(m.to_vec()))? {
            read_info(&message, &mut info)?;
        }
        Ok(info)
    }

    /// The connection timeouts (`IPVS_CMD_GET_CONFIG`).
    pub fn timeouts(&self) -> Result<Timeouts> {
        let request = self.request(CMD_GET_CONFIG, 0);
        let mut timeouts = Timeouts::default();
        for message in self.dump("read timeouts", request, |m| Ok(m.to_vec()))? {
            read_timeouts(&message, &mut timeouts)?;
        }
        Ok(timeouts)
    }

    /// Sets the connection timeouts (`lvs_timeouts`, `IPVS_CMD_SET_CONFIG`); a 0 field is
    /// left as it is.
    pub fn set_timeouts(&self, timeouts: &Timeouts) -> Result<()> {
        let request = timeouts_request(self.family, self.next_seq(), timeouts);
        self.acknowledged("set timeouts", request)
    }

    /// Starts a connection-synchronisation daemon (`lvs_sync_daemon`, `IPVS_CMD_NEW_DAEMON`).
    pub fn start_sync_daemon(&self, daemon: &SyncDaemon) -> Result<()> {
        let request = sync_daemon_request(self.family, self.next_seq(), daemon)?;
        self.acknowledged("start sync daemon", request)
    }

    /// Stops the sync daemon of `role` (`IPVS_CMD_DEL_DAEMON`).
    pub fn stop_sync_daemon(&self, role: SyncRole) -> Result<()> {
        let mut request = self.request(CMD_DEL_DAEMON, 0);
        request
            .begin_nested(CMD_ATTR_DAEMON)
            .put_u32(DAEMON_ATTR_STATE, role_number(role))
            .end_nested();
        self.acknowledged("stop sync daemon", request)
    }

    /// The running sync daemons (`IPVS_CMD_GET_DAEMON` dump).
    pub fn sync_daemons(&self) -> Result<Vec<SyncDaemon>> {
        let request = self.request(CMD_GET_DAEMON, NLM_F_DUMP);
        self.dump("list sync daemons", request, sync_daemon_of)
    }

    fn resolve_family(&self, name: &str) -> Result<u16> {
        let request = family_request(self.next_seq(), name);
        let messages = self.dump("resolve generic netlink family", request, family_id_of);
        match messages {
            Ok(ids) => ids
                .first()
                .copied()
                .ok_or_else(|| nla::malformed("empty controller answer".into())),
            Err(Error::Netlink { errno, .. }) if errno == libc::ENOENT => Err(Error::Netlink {
                operation: "resolve generic netlink family",
                errno,
                message: format!("no generic netlink family {name:?} (kernel without IPVS?)"),
            }),
            Err(other) => Err(other),
        }
    }

    fn request(&self, cmd: u8, extra_flags: u16) -> Request {
        Request::new(
            self.family,
            NLM_F_REQUEST | NLM_F_ACK | extra_flags,
            self.next_seq(),
            cmd,
            IPVS_GENL_VERSION,
        )
    }

    fn destination_request(
        &self,
        cmd: u8,
        service: &ServiceKey,
        dest: &DestKey,
        destination: Option<&Destination>,
    ) -> Request {
        let mut request = self.request(cmd, 0);
        request.begin_nested(CMD_ATTR_SERVICE);
        codec::put_service_key(&mut request, service);
        request.end_nested();
        request.begin_nested(CMD_ATTR_DEST);
        codec::put_destination(&mut request, dest, destination);
        request.end_nested();
        request
    }

    fn next_seq(&self) -> u32 {
        let seq = self.seq.get().wrapping_add(1);
        self.seq.set(seq);
        seq
    }

    fn send(&self, operation: &'static str, request: Request) -> Result<u32> {
        let seq = request.seq();
        let bytes = request.finish();
        loop {
            match self.socket.send(&bytes, 0) {
                // A signal handler ran (the daemon's SIGCHLD, SIGHUP, ...): not a failure.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(operation, e)),
                Ok(_) => return Ok(seq),
            }
        }
    }

    /// Sends a request and waits for its ACK.
    fn acknowledged(&self, operation: &'static str, request: Request) -> Result<()> {
        self.dump(operation, request, |_| Ok(())).map(|_| ())
    }

    /// Sends a request and collects every data message of the answer until the ACK or
    /// `NLMSG_DONE` (a dump ends with DONE, then the ACK that NLM_F_ACK asked for is not
    /// sent for dumps; a plain request ends with the ACK).
    fn dump<T>(
        &self,
        operation: &'static str,
        request: Request,
        mut parse: impl FnMut(&[u8]) -> Result<T>,
    ) -> Result<Vec<T>> {
        let seq = self.send(operation, request)?;
        let mut out = Vec::new();
        loop {
            let datagram = match self.socket.recv_from_full() {
                Ok((datagram, _)) => datagram,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(operation, e)),
            };
            for reply in replies(&datagram)? {
                match reply {
                    Reply::Data {
                        seq: got,
                        attributes,
                        ..
                    } if got == seq => out.push(parse(attributes)?),
                    Reply::Error { seq: got, errno } if got == seq => {
                        if errno == 0 {
                            return Ok(out);
                        }
                        return Err(Error::Netlink {
                            operation,
                            errno,
                            message: std::io::Error::from_raw_os_error(errno).to_string(),
                        });
                    }
                    Reply::Done { seq: got } if got == seq => return Ok(out),
                    _ => {}
                }
            }
        }
    }
}

impl LbBackend for Ipvs {
    fn apply(&mut self, ops: &[Op]) -> Result<()> {
        for op in ops {
            match op {
                Op::AddService { key, settings } => self.add_service(key, settings)?,
                Op::EditService { key, settings } => self.edit_service(key, settings)?,
                Op::DelService { key } => self.delete_service(key)?,
                Op::AddDest {
                    service,
                    dest,
                    destination,
                } => self.add_destination(service, dest, destination)?,
                Op::EditDest {
                    service,
                    dest,
                    destination,
                } => self.edit_destination(service, dest, destination)?,
                Op::DelDest { service, dest } => self.delete_destination(service, dest)?,
            }
        }
        Ok(())
    }

    fn current(&self) -> Result<Desired> {
        let mut state = Desired::default();
        for (key, settings) in self.services()? {
            state.insert_service(key, settings);
            for (dest, destination) in self.destinations(&key)? {
                state
                    .insert_destination(key, dest, destination)
                    .map_err(|e| nla::malformed(e.to_string()))?;
            }
        }
        Ok(state)
    }
}

/// `CTRL_CMD_GETFAMILY` for `name`.
fn family_request(seq: u32, name: &str) -> Request {
    let mut request = Request::new(
        GENL_ID_CTRL,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        CTRL_CMD_GETFAMILY,
        CTRL_VERSION,
    );
    request.put_str(CTRL_ATTR_FAMILY_NAME, name);
    request
}

fn timeouts_request(family: u16, seq: u32, timeouts: &Timeouts) -> Request {
    let mut request = Request::new(
        family,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        CMD_SET_CONFIG,
        IPVS_GENL_VERSION,
    );
    for (kind, value) in [
        (CMD_ATTR_TIMEOUT_TCP, timeouts.tcp),
        (CMD_ATTR_TIMEOUT_TCP_FIN, timeouts.tcp_fin),
        (CMD_ATTR_TIMEOUT_UDP, timeouts.udp),
    ] {
        if value != 0 {
            request.put_u32(kind, value);
        }
    }
    request
}

fn sync_daemon_request(family: u16, seq: u32, daemon: &SyncDaemon) -> Result<Request> {
    if daemon.interface.is_empty() || daemon.interface.len() >= NAME_MAXLEN {
        return Err(Error::InvalidArgument(format!(
            "sync daemon interface {:?}",
            daemon.interface
        )));
    }
    let mut request = Request::new(
        family,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        CMD_NEW_DAEMON,
        IPVS_GENL_VERSION,
    );
    request
        .begin_nested(CMD_ATTR_DAEMON)
        .put_u32(DAEMON_ATTR_STATE, role_number(daemon.role))
        .put_str(DAEMON_ATTR_MCAST_IFN, &daemon.interface)
        .put_u32(DAEMON_ATTR_SYNC_ID, daemon.sync_id);
    if let Some(max_len) = daemon.max_len {
        request.put_u16(DAEMON_ATTR_SYNC_MAXLEN, max_len);
    }
    match daemon.group {
        Some(IpAddr::V4(group)) => {
            request.put(DAEMON_ATTR_MCAST_GROUP, &group.octets());
        }
        Some(IpAddr::V6(group)) => {
            request.put(DAEMON_ATTR_MCAST_GROUP6, &group.octets());
        }
        None => {}
    }
    if let Some(port) = daemon.port {
        // Host order: the kernel reads it with nla_get_u16, as ipvsadm writes it.
        request.put_u16(DAEMON_ATTR_MCAST_PORT, port);
    }
    if let Some(ttl) = daemon.ttl {
        request.put_u8(DAEMON_ATTR_MCAST_TTL, ttl);
    }
    request.end_nested();
    Ok(request)
}

/// Adds what one `IPVS_CMD_GET_INFO` answer says to `info`.
pub(crate) fn read_info(message: &[u8], info: &mut Info) -> Result<()> {
    for attribute in attributes(message) {
        let (kind, payload) = attribute?;
        match kind {
            INFO_ATTR_VERSION => info.version = u32_of(kind, payload)?,
            INFO_ATTR_CONN_TAB_SIZE => info.connection_table_size = u32_of(kind, payload)?,
            _ => {}
        }
    }
    Ok(())
}

/// Adds what one `IPVS_CMD_GET_CONFIG` answer says to `timeouts`.
pub(crate) fn read_timeouts(message: &[u8], timeouts: &mut Timeouts) -> Result<()> {
    for attribute in attributes(message) {
        let (kind, payload) = attribute?;
        match kind {
            CMD_ATTR_TIMEOUT_TCP => timeouts.tcp = u32_of(kind, payload)?,
            CMD_ATTR_TIMEOUT_TCP_FIN => timeouts.tcp_fin = u32_of(kind, payload)?,
            CMD_ATTR_TIMEOUT_UDP => timeouts.udp = u32_of(kind, payload)?,
            _ => {}
        }
    }
    Ok(())
}

/// The family id in a `CTRL_CMD_GETFAMILY` answer.
pub(crate) fn family_id_of(message: &[u8]) -> Result<u16> {
    for attribute in attributes(message) {
        let (kind, payload) = attribute?;
        if kind == CTRL_ATTR_FAMILY_ID {
            return u16_of(kind, payload);
        }
    }
    Err(nla::malformed("family id missing".into()))
}

/// Reads the `IPVS_CMD_ATTR_DAEMON` nest of a GET_DAEMON dump message.
pub(crate) fn sync_daemon_of(message: &[u8]) -> Result<SyncDaemon> {
    let nest = codec::nested(message, CMD_ATTR_DAEMON)?;
    let mut daemon = SyncDaemon {
        role: SyncRole::Master,
        interface: String::new(),
        sync_id: 0,
        max_len: None,
        group: None,
        port: None,
        ttl: None,
    };
    for attribute in attributes(nest) {
        let (kind, payload) = attribute?;
        match kind {
            DAEMON_ATTR_STATE => {
                daemon.role = match u32_of(kind, payload)? {
                    STATE_BACKUP => SyncRole::Backup,
                    _ => SyncRole::Master,
                }
            }
            DAEMON_ATTR_MCAST_IFN => daemon.interface = str_of(kind, payload)?,
            DAEMON_ATTR_SYNC_ID => daemon.sync_id = u32_of(kind, payload)?,
            DAEMON_ATTR_SYNC_MAXLEN => daemon.max_len = Some(u16_of(kind, payload)?),
            DAEMON_ATTR_MCAST_GROUP => {
                daemon.group = Some(IpAddr::from(nla::sized::<4>(kind, payload)?))
            }
            DAEMON_ATTR_MCAST_GROUP6 => {
                daemon.group = Some(IpAddr::from(nla::sized::<16>(kind, payload)?))
            }
            DAEMON_ATTR_MCAST_PORT => daemon.port = Some(u16_of(kind, payload)?),
            DAEMON_ATTR_MCAST_TTL => daemon.ttl = Some(nla::u8_of(kind, payload)?),
            _ => {}
        }
    }
    Ok(daemon)
}

fn role_number(role: SyncRole) -> u32 {
    match role {
        SyncRole::Master => STATE_MASTER,
        SyncRole::Backup => STATE_BACKUP,
    }
}

#[cfg(test)]
mod tests;
