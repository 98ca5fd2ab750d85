//! Sockets: msghdr, mmsghdr, cmsghdr, sockaddr_in, sockaddr_in6, sockaddr_un, sockaddr_nl and
//! the option values ucred and linger. Ports and addresses are
//! in network byte order as stored: the integers here are the stored bytes read little-endian.

use super::layout::{layout, Chars};

layout! {
    /// `struct msghdr` (sendmsg, recvmsg).
    pub struct Msghdr = "msghdr", size 56, align 8 {
        0 msg_name: u64,
        8 msg_namelen: u32,
        16 msg_iov: u64,
        24 msg_iovlen: u64,
        32 msg_control: u64,
        40 msg_controllen: u64,
        48 msg_flags: i32,
    }

    /// `struct cmsghdr`: the header of each control message; the data follows at 16.
    pub struct Cmsghdr = "cmsghdr", size 16, align 8 {
        0 cmsg_len: u64,
        8 cmsg_level: i32,
        12 cmsg_type: i32,
    }

    /// `struct sockaddr_in`.
    pub struct SockaddrIn = "sockaddr_in", size 16, align 4 {
        0 sin_family: u16,
        2 sin_port: u16,
        4 sin_addr: u32,
        8 sin_zero: [u8; 8],
    }

    /// `struct sockaddr_in6`.
    pub struct SockaddrIn6 = "sockaddr_in6", size 28, align 4 {
        0 sin6_family: u16,
        2 sin6_port: u16,
        4 sin6_flowinfo: u32,
        8 sin6_addr: [u8; 16],
        24 sin6_scope_id: u32,
    }

    /// `struct sockaddr_un`.
    pub struct SockaddrUn = "sockaddr_un", size 110, align 2 {
        0 sun_family: u16,
        2 sun_path: Chars<108>,
    }

    /// `struct sockaddr_nl` (AF_NETLINK).
    pub struct SockaddrNl = "sockaddr_nl", size 12, align 4 {
        0 nl_family: u16,
        4 nl_pid: u32,
        8 nl_groups: u32,
    }

    /// `struct mmsghdr` (sendmmsg, recvmmsg): one message and what was moved for it.
    pub struct Mmsghdr = "mmsghdr", size 64, align 8 {
        0 msg_hdr: Msghdr,
        56 msg_len: u32,
    }

    /// `struct ucred`: SCM_CREDENTIALS' data and SO_PEERCRED's value.
    pub struct Ucred = "ucred", size 12, align 4 {
        0 pid: i32,
        4 uid: u32,
        8 gid: u32,
    }

    /// `struct linger` (SO_LINGER).
    pub struct Linger = "linger", size 8, align 4 {
        0 l_onoff: i32,
        4 l_linger: i32,
    }
}
