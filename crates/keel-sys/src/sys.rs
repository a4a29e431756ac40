//! Small, checked wrappers over libc calls shared by the adapters.

use std::ffi::CString;
use std::os::fd::{AsRawFd, RawFd};

use crate::error::{Error, Result};

/// `setsockopt` with a C `int` value.
pub(crate) fn set_int_option(
    fd: &impl AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
    operation: &'static str,
) -> Result<()> {
    set_option(fd.as_raw_fd(), level, name, &value, operation)
}

/// Which socket buffer [`set_buffer`] sizes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Buffer {
    /// `SO_RCVBUF` / `SO_RCVBUFFORCE`, capped by `net.core.rmem_max`.
    Receive,
    /// `SO_SNDBUF` / `SO_SNDBUFFORCE`, capped by `net.core.wmem_max`.
    Send,
}

/// Sets a socket's `buffer` to `bytes` (the kernel doubles it for its bookkeeping). With
/// `force`, the `…FORCE` option first, which root may set beyond the `net.core` cap, and
/// the plain option (which the kernel caps there) if that is refused; without, the plain
/// option alone.
pub(crate) fn set_buffer(
    fd: &impl AsRawFd,
    buffer: Buffer,
    bytes: usize,
    force: bool,
) -> Result<()> {
    let ((plain, plain_name), (forced, forced_name)) = match buffer {
        Buffer::Receive => (
            (libc::SO_RCVBUF, "setsockopt(SO_RCVBUF)"),
            (libc::SO_RCVBUFFORCE, "setsockopt(SO_RCVBUFFORCE)"),
        ),
        Buffer::Send => (
            (libc::SO_SNDBUF, "setsockopt(SO_SNDBUF)"),
            (libc::SO_SNDBUFFORCE, "setsockopt(SO_SNDBUFFORCE)"),
        ),
    };
    let size = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    let capped = || set_int_option(fd, libc::SOL_SOCKET, plain, size, plain_name);
    if !force {
        return capped();
    }
    set_int_option(fd, libc::SOL_SOCKET, forced, size, forced_name).or_else(|_| capped())
}

/// `setsockopt` with any plain-data value.
pub(crate) fn set_option<T>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
    operation: &'static str,
) -> Result<()> {
    // SAFETY: `value` points to a live `T` of the length passed; the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(Error::last_os(operation));
    }
    Ok(())
}

/// The ifindex of `name`, or `NoSuchInterface`.
pub fn interface_index(name: &str) -> Result<u32> {
    let c_name = CString::new(name).map_err(|_| Error::NoSuchInterface(name.to_string()))?;
    // SAFETY: `c_name` is a valid NUL-terminated string for the duration of the call.
    let index = unsafe { libc::if_nametoindex(c_name.as_ptr()) };
    if index == 0 {
        return Err(Error::NoSuchInterface(name.to_string()));
    }
    Ok(index)
}

/// Binds a socket to an interface (`SO_BINDTODEVICE`), so it only sends and receives there.
pub(crate) fn bind_to_device(fd: &impl AsRawFd, name: &str) -> Result<()> {
    // The kernel takes the name bytes (IFNAMSIZ at most) without the terminating NUL.
    if name.is_empty() || name.len() >= libc::IFNAMSIZ {
        return Err(Error::NoSuchInterface(name.to_string()));
    }
    // SAFETY: the pointer and length describe `name`'s bytes; the kernel only reads them.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            name.as_ptr().cast(),
            name.len() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(Error::last_os("setsockopt(SO_BINDTODEVICE)"));
    }
    Ok(())
}

/// Registers an owned descriptor with the current tokio reactor.
///
/// Must be called inside a tokio runtime.
pub(crate) fn register<T: AsRawFd>(inner: T) -> Result<tokio::io::unix::AsyncFd<T>> {
    // SAFETY: every `T` used here (socket2::Socket, OwnedFd) owns its descriptor, which stays
    // open exactly as long as the AsyncFd holds it, as `register` requires.
    unsafe { tokio::io::unix::AsyncFd::register(inner) }.map_err(|e| {
        let (_, cause) = e.into_parts();
        Error::io("register with tokio", cause)
    })
}
