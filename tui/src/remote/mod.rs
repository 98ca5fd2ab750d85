//! Remote inspection: the state the TUI shows, served by `mimic run --inspect ADDR` and read
//! by `mimic tui --attach ADDR` — and by the local `mimic tui` itself, in-process, so there is
//! one TUI over one interface.
//!
//! ```text
//!   vCPU threads ──publish──▶ Control ◀── Inspected (the Service) ◀── dispatch ◀─┐
//!                                                                                 │
//!   mimic run --inspect: listener thread ── per client: reader thread ── frames ──┤
//!                                                   writer thread ◀── replies ──  │
//!   mimic tui (local):   App ── Client ── in-process link (the same frames) ──────┘
//!   mimic tui --attach:  App ── Client ── socket link: writer thread, reader thread
//! ```
//!
//! The calls are declared once (`protocol.rs`); each frame is marshalled explicitly to
//! little-endian bytes (`wire.rs`, `types.rs`). A frame is a `u32` length then its body:
//!
//! ```text
//!   request: version u16 | id u32 | call u16 | arguments
//!   reply:   version u16 | id u32 | call u16 | 0 | result
//!                                            | 1 | code u16 | message (u32 length, UTF-8)
//! ```
//!
//! Calls are asynchronous: the client's stub sends a request and returns its id; replies are
//! collected when the UI polls, and a call unanswered after [`client::TIMEOUT`] is reported
//! as timed out. The server never lets a client reach a vCPU: vCPUs only publish into the
//! control, a client's reader thread serves its requests from the control, and its writer
//! thread sends the replies — a client that stops reading fills its reply queue and is
//! disconnected, and nothing else waits for it.
//!
//! ```
//! use tui::remote::protocol::{Call, Code, Request, VERSION};
//! use tui::remote::{decode_request, encode_request};
//!
//! let frame = encode_request(7, &Request::ToggleBreakpoint { addr: 0x1000 });
//! assert_eq!(&frame[..4], &(frame.len() as u32 - 4).to_le_bytes());
//! let (id, req) = decode_request(&frame[4..]).unwrap();
//! assert_eq!((id, req.call()), (7, Call::ToggleBreakpoint));
//!
//! // Another version's frame is refused, by code.
//! let mut old = frame[4..].to_vec();
//! old[..2].copy_from_slice(&(VERSION + 1).to_le_bytes());
//! assert_eq!(decode_request(&old).unwrap_err().1.code, Code::WrongVersion);
//! ```

pub mod addr;
pub mod client;
mod gen;
pub mod protocol;
pub mod server;
mod types;
pub mod wire;

use protocol::{Call, Code, Reply, Request, VERSION};
use wire::{Reader, Wire};

/// The longest request body a server reads; a longer frame's bytes are skipped.
pub const MAX_REQUEST: usize = 64 << 10;
/// The longest reply body a client reads (the largest snapshot is well below).
pub const MAX_REPLY: usize = 64 << 20;

/// A failed call: its declared code, and what went wrong in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: Code,
    pub message: String,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }
    pub fn malformed(m: impl Into<String>) -> Error {
        Error::new(Code::Malformed, m)
    }
    pub fn truncated(m: impl Into<String>) -> Error {
        Error::new(Code::Truncated, m)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code.name())
    }
}

impl Wire for Error {
    fn put(&self, w: &mut Vec<u8>) {
        self.code.number().put(w);
        self.message.put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        let n = u16::get(r)?;
        let code = Code::from_number(n)
            .ok_or_else(|| Error::malformed(format!("error code {n} is not declared")))?;
        Ok(Error::new(code, String::get(r)?))
    }
}

/// A request's frame, length prefix included.
pub fn encode_request(id: u32, req: &Request) -> Vec<u8> {
    let mut w = vec![0; 4];
    VERSION.put(&mut w);
    id.put(&mut w);
    req.call().number().put(&mut w);
    req.put_args(&mut w);
    finish_frame(w)
}

fn finish_frame(mut w: Vec<u8>) -> Vec<u8> {
    let len = (w.len() - 4) as u32;
    w[..4].copy_from_slice(&len.to_le_bytes());
    w
}

/// A request body's id and call; on failure, the id (0 when unreadable) and the error.
pub fn decode_request(body: &[u8]) -> Result<(u32, Request), (u32, Error)> {
    let mut r = Reader::new(body);
    let header = (|| {
        let version = u16::get(&mut r)?;
        let id = u32::get(&mut r)?;
        Ok::<_, Error>((version, id))
    })();
    let (version, id) = header.map_err(|e| (0, e))?;
    if version != VERSION {
        let e = format!("protocol version {version}; this server speaks version {VERSION}");
        return Err((id, Error::new(Code::WrongVersion, e)));
    }
    let n = u16::get(&mut r).map_err(|e| (id, e))?;
    let call = Call::from_number(n).ok_or_else(|| {
        (
            id,
            Error::new(Code::UnknownCall, format!("no call number {n}")),
        )
    })?;
    let req = Request::get_args(call, &mut r).map_err(|e| (id, e))?;
    Ok((id, req))
}

/// A reply's frame, length prefix included. `call` is None for a request that did not
/// decode far enough to name one.
pub fn encode_reply(id: u32, call: Option<Call>, result: &Result<Reply, Error>) -> Vec<u8> {
    let mut w = vec![0; 4];
    VERSION.put(&mut w);
    id.put(&mut w);
    call.map_or(0, Call::number).put(&mut w);
    match result {
        Ok(reply) => {
            w.push(0);
            reply.put(&mut w);
        }
        Err(e) => {
            w.push(1);
            e.put(&mut w);
        }
    }
    finish_frame(w)
}

/// A decoded reply: the request's id, the call (None for a request that did not decode), and
/// the result.
pub type ReplyFrame = (u32, Option<Call>, Result<Reply, Error>);

/// A reply body: its id, call and result. A frame that does not decode is an error of its
/// own (the outer one); an error the server sent is the inner one.
pub fn decode_reply(body: &[u8]) -> Result<ReplyFrame, Error> {
    let mut r = Reader::new(body);
    let version = u16::get(&mut r)?;
    if version != VERSION {
        return Err(Error::new(
            Code::WrongVersion,
            format!("the server speaks protocol version {version}; this client {VERSION}"),
        ));
    }
    let id = u32::get(&mut r)?;
    let n = u16::get(&mut r)?;
    let call =
        match n {
            0 => None,
            n => Some(Call::from_number(n).ok_or_else(|| {
                Error::new(Code::UnknownCall, format!("a reply to call number {n}"))
            })?),
        };
    let result = match (u8::get(&mut r)?, call) {
        (0, Some(call)) => Ok(Reply::get(call, &mut r)?),
        (0, None) => return Err(Error::malformed("a result for no call")),
        (1, _) => {
            let e = Error::get(&mut r)?;
            r.finish("error")?;
            if let Some(c) = call.filter(|c| !c.may_fail_with(e.code)) {
                return Err(Error::malformed(format!(
                    "{} may not fail with {}",
                    c.name(),
                    e.code.name()
                )));
            }
            Err(e)
        }
        (s, _) => return Err(Error::malformed(format!("reply status {s}"))),
    };
    Ok((id, call, result))
}

/// Serves one request body: the reply frame for it, whatever the bytes.
pub fn serve_frame<S: protocol::Service + ?Sized>(service: &S, body: &[u8]) -> Vec<u8> {
    match decode_request(body) {
        Ok((id, req)) => {
            let call = req.call();
            let result = protocol::dispatch(service, req);
            debug_assert!(
                result
                    .as_ref()
                    .err()
                    .is_none_or(|e| call.may_fail_with(e.code)),
                "{} failed with an undeclared {:?}",
                call.name(),
                result.as_ref().err()
            );
            encode_reply(id, Some(call), &result)
        }
        Err((id, e)) => encode_reply(id, None, &Err(e)),
    }
}
