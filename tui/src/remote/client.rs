//! The client: the [`Stub`] sends a call's request and returns its id at once; [`Client::poll`]
//! hands back the replies that arrived and the calls that timed out. Over a socket a writer
//! thread sends and a reader thread receives, so the UI never waits on the peer; in-process,
//! the same frames go through the server's dispatch on the spot.

use super::addr::{read_frame, Addr, Conn};
use super::protocol::{Call, Code, Reply, Request, Service, Stub};
use super::{decode_reply, encode_request, serve_frame, Error, MAX_REPLY};
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a call may go unanswered before it is reported as timed out.
pub const TIMEOUT: Duration = Duration::from_secs(3);
/// Requests queued for the writer; past this the server is not reading them.
const SEND_QUEUE: usize = 64;

enum Link {
    /// The server's dispatch in this process; replies wait here until polled.
    Local(Arc<dyn Service>, VecDeque<Vec<u8>>),
    Remote {
        tx: SyncSender<Vec<u8>>,
        rx: Receiver<Result<Vec<u8>, String>>,
        conn: Conn,
    },
}

/// One call's outcome, as [`Client::poll`] returns it.
pub type Answer = (Call, Result<Reply, Error>);

pub struct Client {
    link: Link,
    /// What the client is connected to, for messages.
    pub peer: String,
    next_id: u32,
    pending: HashMap<u32, (Call, Instant)>,
    /// Outcomes known without the peer (a failed send, a lost connection).
    local: Vec<(u32, Answer)>,
    /// Why the connection is gone, once it is.
    gone: Option<String>,
}

impl Client {
    /// A client of `service` in this process.
    pub fn local(service: Arc<dyn Service>) -> Client {
        Client::with(Link::Local(service, VecDeque::new()), "local".into())
    }

    /// Connects to a server.
    pub fn connect(addr: &Addr) -> Result<Client, String> {
        let conn = Conn::connect(addr)?;
        let mut out = conn.try_clone().map_err(|e| format!("{addr}: {e}"))?;
        let mut input = conn.try_clone().map_err(|e| format!("{addr}: {e}"))?;
        let (tx, to_send) = sync_channel::<Vec<u8>>(SEND_QUEUE);
        let (got, rx) = channel();
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(f)
                .map_err(|e| format!("cannot start a thread: {e}"))
        };
        spawn(
            "inspect-send",
            Box::new(move || {
                for frame in to_send {
                    if out.write_all(&frame).is_err() {
                        break;
                    }
                }
            }),
        )?;
        spawn(
            "inspect-recv",
            Box::new(move || loop {
                let end = match read_frame(&mut input, MAX_REPLY) {
                    Ok(Some(Ok(body))) => {
                        if got.send(Ok(body)).is_err() {
                            return;
                        }
                        continue;
                    }
                    Ok(Some(Err(n))) => format!("a reply of {n} bytes, over the limit"),
                    Ok(None) => "the server closed the connection".to_string(),
                    Err(e) => format!("reading from the server: {e}"),
                };
                let _ = got.send(Err(end));
                return;
            }),
        )?;
        Ok(Client::with(
            Link::Remote { tx, rx, conn },
            addr.to_string(),
        ))
    }

    fn with(link: Link, peer: String) -> Client {
        Client {
            link,
            peer,
            next_id: 1,
            pending: HashMap::new(),
            local: Vec::new(),
            gone: None,
        }
    }

    pub fn is_local(&self) -> bool {
        matches!(self.link, Link::Local(..))
    }

    /// Why the connection is gone, once it is.
    pub fn gone(&self) -> Option<&str> {
        self.gone.as_deref()
    }

    /// Calls sent and not answered yet.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The replies that arrived, and the calls that failed or timed out, since the last poll.
    pub fn poll(&mut self) -> Vec<Answer> {
        self.poll_ids().into_iter().map(|(_, a)| a).collect()
    }

    fn poll_ids(&mut self) -> Vec<(u32, Answer)> {
        let mut out = std::mem::take(&mut self.local);
        let bodies: Vec<Result<Vec<u8>, String>> = match &mut self.link {
            Link::Local(_, queue) => queue.drain(..).map(Ok).collect(),
            Link::Remote { rx, .. } => {
                let mut v = Vec::new();
                loop {
                    match rx.try_recv() {
                        Ok(b) => v.push(b),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => {
                            v.push(Err("the connection's reader ended".into()));
                            break;
                        }
                    }
                }
                v
            }
        };
        for body in bodies {
            let decoded = body.and_then(|b| {
                decode_reply(&b).map_err(|e| format!("a reply that does not decode: {e}"))
            });
            match decoded {
                Ok((id, call, result)) => {
                    // A reply to a call reported timed out already is dropped.
                    if let Some((sent, _)) = self.pending.remove(&id) {
                        if call.is_none_or(|c| c == sent) {
                            out.push((id, (sent, result)));
                        } else {
                            out.push((
                                id,
                                (sent, Err(Error::malformed("a reply to another call"))),
                            ));
                        }
                    }
                }
                Err(why) => {
                    self.lost(why);
                    break;
                }
            }
        }
        if let Some(why) = &self.gone {
            for (id, (call, _)) in self.pending.drain() {
                out.push((id, (call, Err(Error::new(Code::Disconnected, why.clone())))));
            }
        }
        let now = Instant::now();
        let late: Vec<u32> = self
            .pending
            .iter()
            .filter(|(_, (_, sent))| now.duration_since(*sent) >= TIMEOUT)
            .map(|(&id, _)| id)
            .collect();
        for id in late {
            if let Some((call, _)) = self.pending.remove(&id) {
                let e = format!("no reply from {} in {} s", self.peer, TIMEOUT.as_secs());
                out.push((id, (call, Err(Error::new(Code::TimedOut, e)))));
            }
        }
        out
    }

    fn lost(&mut self, why: String) {
        if self.gone.is_none() {
            self.gone = Some(why);
        }
        if let Link::Remote { conn, .. } = &self.link {
            conn.shutdown();
        }
    }

    /// Waits up to `limit` for call `id`'s outcome; other answers that arrive meanwhile are
    /// returned by the next poll. For the start (the program) and the end (detach) only:
    /// the UI's loop polls.
    pub fn wait(&mut self, id: u32, limit: Duration) -> Result<Reply, Error> {
        let end = Instant::now() + limit;
        loop {
            let mut found = None;
            for (i, answer) in self.poll_ids() {
                if i == id {
                    found = Some(answer.1);
                } else {
                    self.local.push((i, answer));
                }
            }
            if let Some(r) = found {
                return r;
            }
            if Instant::now() >= end {
                self.pending.remove(&id);
                let e = format!(
                    "no reply from {} in {:.1} s",
                    self.peer,
                    limit.as_secs_f64()
                );
                return Err(Error::new(Code::TimedOut, e));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Stub for Client {
    fn send(&mut self, req: Request) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let call = req.call();
        let frame = encode_request(id, &req);
        self.pending.insert(id, (call, Instant::now()));
        let failed = match &mut self.link {
            Link::Local(service, queue) => {
                let reply = serve_frame(&**service, &frame[4..]);
                queue.push_back(reply[4..].to_vec());
                None
            }
            Link::Remote { tx, .. } => match (&self.gone, tx.try_send(frame)) {
                (Some(why), _) => Some(Error::new(Code::Disconnected, why.clone())),
                (None, Ok(())) => None,
                (None, Err(std::sync::mpsc::TrySendError::Full(_))) => Some(Error::new(
                    Code::Busy,
                    format!("{} is not reading requests", self.peer),
                )),
                (None, Err(std::sync::mpsc::TrySendError::Disconnected(_))) => Some(Error::new(
                    Code::Disconnected,
                    "the connection's writer ended",
                )),
            },
        };
        if let Some(e) = failed {
            self.pending.remove(&id);
            self.local.push((id, (call, Err(e))));
        }
        id
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Link::Remote { conn, .. } = &self.link {
            conn.shutdown();
        }
    }
}
