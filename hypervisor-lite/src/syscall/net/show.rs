//! `--strace` text of the socket calls' arguments: address families, socket types, MSG_*
//! flags by name, and socket addresses decoded by their family's declared layout.

use super::Task;
use crate::abi::net::{SockaddrIn, SockaddrIn6, SockaddrNl, SockaddrUn};

const FAMILIES: &[(u64, &str)] = &[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (10, "AF_INET6"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
];
const TYPES: &[(u64, &str)] = &[
    (1, "SOCK_STREAM"),
    (2, "SOCK_DGRAM"),
    (3, "SOCK_RAW"),
    (5, "SOCK_SEQPACKET"),
];
/// SOCK_NONBLOCK and SOCK_CLOEXEC, which are O_NONBLOCK and O_CLOEXEC.
const TYPE_FLAGS: &[(u64, &str)] = &[(0o4000, "SOCK_NONBLOCK"), (0o2000000, "SOCK_CLOEXEC")];
const MSG: &[(u64, &str)] = &[
    (0x1, "MSG_OOB"),
    (0x2, "MSG_PEEK"),
    (0x4, "MSG_DONTROUTE"),
    (0x8, "MSG_CTRUNC"),
    (0x20, "MSG_TRUNC"),
    (0x40, "MSG_DONTWAIT"),
    (0x80, "MSG_EOR"),
    (0x100, "MSG_WAITALL"),
    (0x2000, "MSG_ERRQUEUE"),
    (0x4000, "MSG_NOSIGNAL"),
    (0x8000, "MSG_MORE"),
    (0x10000, "MSG_WAITFORONE"),
    (0x40000000, "MSG_CMSG_CLOEXEC"),
];

/// The names in `names` whose bits `v` has, joined by `|`, with any rest in hex.
fn bits(v: u64, names: &[(u64, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = v;
    for &(b, n) in names {
        if v & b == b {
            out.push(n.to_string());
            rest &= !b;
        }
    }
    if rest != 0 {
        out.push(format!("0x{rest:x}"));
    }
    out
}

fn one(v: u64, names: &[(u64, &str)]) -> String {
    names
        .iter()
        .find(|(n, _)| *n == v)
        .map_or_else(|| format!("{}", v as i32), |(_, s)| s.to_string())
}

pub fn family(v: u64) -> String {
    one(v, FAMILIES)
}

/// `SOCK_STREAM|SOCK_CLOEXEC`.
pub fn sock_type(v: u64) -> String {
    let mut parts = vec![one(v & 0xf, TYPES)];
    parts.extend(bits(v & !0xf, TYPE_FLAGS));
    parts.join("|")
}

pub fn msg_flags(v: u64) -> String {
    if v == 0 {
        return "0".into();
    }
    bits(v, MSG).join("|")
}

/// The address at `v` in qemu's notation, read by its family's declared structure:
/// `{sin_family=AF_INET,sin_port=htons(80),sin_addr=inet_addr("127.0.0.1")}`; the pointer when
/// unreadable. Ports and addresses are stored in network byte order.
pub fn sockaddr(p: &Task, v: u64) -> String {
    if v == 0 {
        return "NULL".into();
    }
    let shown = match p.get_array::<2>(v).map(u16::from_le_bytes) {
        Ok(1) => p.load::<SockaddrUn>(v).map(|s| {
            // An abstract name starts with NUL: shown after an '@', as ss(8) does.
            let raw = &s.sun_path.0;
            let path = match raw.split_first() {
                Some((0, rest)) if rest.iter().any(|&c| c != 0) => {
                    let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
                    format!("@{}", String::from_utf8_lossy(&rest[..end]))
                }
                _ => String::from_utf8_lossy(s.sun_path.bytes()).into_owned(),
            };
            format!(
                "{{sun_family=AF_UNIX,sun_path=\"{}\"}}",
                path.escape_debug()
            )
        }),
        Ok(2) => p.load::<SockaddrIn>(v).map(|s| {
            format!(
                "{{sin_family=AF_INET,sin_port=htons({}),sin_addr=inet_addr(\"{}\")}}",
                u16::from_be(s.sin_port),
                std::net::Ipv4Addr::from(s.sin_addr.to_le_bytes())
            )
        }),
        Ok(10) => p.load::<SockaddrIn6>(v).map(|s| {
            format!(
                "{{sin6_family=AF_INET6,sin6_port=htons({}),sin6_addr=\"{}\"}}",
                u16::from_be(s.sin6_port),
                std::net::Ipv6Addr::from(s.sin6_addr)
            )
        }),
        Ok(16) => p.load::<SockaddrNl>(v).map(|s| {
            format!(
                "{{nl_family=AF_NETLINK,nl_pid={},nl_groups={}}}",
                s.nl_pid, s.nl_groups
            )
        }),
        Ok(f) => Ok(format!("{{sa_family={}}}", family(f as u64))),
        Err(e) => Err(e),
    };
    shown.unwrap_or_else(|_| format!("0x{v:x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(family(10), "AF_INET6");
        assert_eq!(sock_type(0o2000001), "SOCK_STREAM|SOCK_CLOEXEC");
        assert_eq!(sock_type(0o4005), "SOCK_SEQPACKET|SOCK_NONBLOCK");
        assert_eq!(msg_flags(0x4040), "MSG_DONTWAIT|MSG_NOSIGNAL");
        assert_eq!(msg_flags(0x80000000), "0x80000000");
    }
}
