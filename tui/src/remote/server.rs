//! The server: [`Inspected`] answers the calls from a [`Control`], and [`serve`] runs a
//! listener thread that gives each client a reader thread (frames in, served at once) and a
//! writer thread (replies out, through a bounded queue). Neither waits for a vCPU, but for a
//! memory write and a checkpoint, which a stopped vCPU (all of them, for a checkpoint) carries
//! out within seconds: they read and steer the control as the local UI does.

use super::addr::{read_frame, Conn, Listener};
use super::protocol::{Code, Service};
use super::{encode_reply, serve_frame, Error, MAX_REQUEST};
use crate::app::HostThread;
use crate::program::Program;
use hypervisor_lite::control::{Control, Snapshot, Step, VcpuState, Watchpoint};
use hypervisor_lite::isa_a::Cpu;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, TrySendError};
use std::sync::Arc;

/// Clients served at once; one more is told the server is busy.
pub const MAX_CLIENTS: usize = 32;
/// Replies queued for a client that has not read them; one more and it is disconnected.
pub const REPLY_QUEUE: usize = 32;
/// Memory views a client may ask for, and the bytes of each: the vCPUs copy them out under
/// the control's lock each time they publish, so a client must not make that long. The TUI's
/// panes need four views of at most a block's bytes.
pub const MAX_VIEWS: usize = 8;
pub const MAX_VIEW_BYTES: u64 = crate::app::STACK_WINDOW;

/// The most bytes one write to guest memory carries (a page).
pub const MAX_WRITE: usize = 4 << 10;
/// Watchpoints a client may set at once, and the bytes each covers.
pub const MAX_WATCHPOINTS: usize = 64;
pub const MAX_WATCH_BYTES: u64 = 4 << 10;

/// A guest under a [`Control`], as the calls see it.
pub struct Inspected {
    pub control: Arc<Control>,
    pub program: Program,
    /// The guest ELF: its path and bytes (empty when there is none, as for the demo).
    pub image: (String, Vec<u8>),
}

impl Inspected {
    /// A running (not exited) vCPU `tid`, or [`Code::NoVcpu`].
    fn live(&self, tid: i32) -> Result<(), Error> {
        let snap = self.control.snapshot();
        let found = snap
            .vcpus
            .iter()
            .any(|v| v.tid == tid && !matches!(v.state, VcpuState::Exited(_)));
        match found {
            true => Ok(()),
            false => Err(Error::new(Code::NoVcpu, format!("no running vCPU {tid}"))),
        }
    }
}

impl Service for Inspected {
    fn program(&self) -> Result<Program, Error> {
        Ok(self.program.clone())
    }

    fn snapshot(&self) -> Result<Snapshot, Error> {
        Ok(self.control.snapshot())
    }

    fn host_threads(&self) -> Result<Vec<HostThread>, Error> {
        Ok(crate::app::host_threads())
    }

    fn set_views(&self, views: Vec<(u64, u64)>) -> Result<(), Error> {
        if views.len() > MAX_VIEWS {
            return Err(Error::new(
                Code::BadArgument,
                format!("{} views; at most {MAX_VIEWS}", views.len()),
            ));
        }
        if let Some(&(addr, len)) = views.iter().find(|v| v.1 > MAX_VIEW_BYTES) {
            return Err(Error::new(
                Code::BadArgument,
                format!("a view of {len} bytes at 0x{addr:x}; at most {MAX_VIEW_BYTES}"),
            ));
        }
        self.control.set_views(views);
        Ok(())
    }

    fn set_host_view(&self, pc: Option<u64>) -> Result<(), Error> {
        self.control.set_host_view(pc);
        Ok(())
    }

    fn pause(&self) -> Result<(), Error> {
        self.control.pause();
        Ok(())
    }

    fn resume(&self) -> Result<(), Error> {
        self.control.resume();
        Ok(())
    }

    fn step(&self, tid: Option<i32>, kind: Step) -> Result<(), Error> {
        let snap = self.control.snapshot();
        let live =
            |v: &&hypervisor_lite::control::VcpuSnapshot| !matches!(v.state, VcpuState::Exited(_));
        let ok = match tid {
            Some(t) => snap.vcpus.iter().filter(live).any(|v| v.tid == t),
            None => snap.vcpus.iter().any(|v| live(&v)),
        };
        if !ok {
            return Err(Error::new(
                Code::NoVcpu,
                match tid {
                    Some(t) => format!("no running vCPU {t}"),
                    None => "no running vCPU".into(),
                },
            ));
        }
        self.control.step(tid, kind);
        Ok(())
    }

    fn toggle_breakpoint(&self, addr: u64) -> Result<(u64, bool), Error> {
        Ok((addr, self.control.toggle_breakpoint(addr)))
    }

    fn detach(&self) -> Result<(), Error> {
        self.control.release();
        Ok(())
    }

    fn image(&self) -> Result<(String, Vec<u8>), Error> {
        Ok(self.image.clone())
    }

    fn run_to(&self, tid: i32, addr: u64, min_sp: u64, reason: String) -> Result<(), Error> {
        self.live(tid)?;
        self.control.run_to(tid, addr, min_sp, reason);
        Ok(())
    }

    fn write_memory(&self, addr: u64, bytes: Vec<u8>) -> Result<(), Error> {
        if bytes.is_empty() || bytes.len() > MAX_WRITE {
            return Err(Error::new(
                Code::BadArgument,
                format!("a write of {} bytes; 1 to {MAX_WRITE}", bytes.len()),
            ));
        }
        self.control
            .write_memory(addr, &bytes)
            .map_err(|e| Error::new(Code::Refused, e))
    }

    fn set_cpu(&self, tid: i32, cpu: Cpu) -> Result<(), Error> {
        match self.control.set_cpu(tid, cpu) {
            true => Ok(()),
            false => Err(Error::new(Code::NoVcpu, format!("no running vCPU {tid}"))),
        }
    }

    fn add_watchpoint(&self, w: Watchpoint) -> Result<(), Error> {
        if w.len == 0 || w.len > MAX_WATCH_BYTES {
            return Err(Error::new(
                Code::BadArgument,
                format!("a watchpoint of {} bytes; 1 to {MAX_WATCH_BYTES}", w.len),
            ));
        }
        if self.control.snapshot().watchpoints.len() >= MAX_WATCHPOINTS {
            return Err(Error::new(
                Code::BadArgument,
                format!("{MAX_WATCHPOINTS} watchpoints are set already"),
            ));
        }
        self.control.add_watchpoint(w);
        Ok(())
    }

    fn remove_watchpoint(&self, w: Watchpoint) -> Result<bool, Error> {
        Ok(self.control.remove_watchpoint(w))
    }

    fn stop_at_fatal(&self, on: bool) -> Result<(), Error> {
        self.control.stop_at_fatal(on);
        Ok(())
    }

    fn checkpoint(&self, file: String) -> Result<String, Error> {
        if file.is_empty() || file.contains('\0') {
            return Err(Error::new(
                Code::BadArgument,
                "a snapshot needs a file name".to_string(),
            ));
        }
        self.control
            .checkpoint(std::path::Path::new(&file))
            .map_err(|e| Error::new(Code::Refused, format!("snapshot to {file}: {e}")))
    }
}

/// Serves `service` on `listener` from a thread of its own, for as long as the process runs.
pub fn serve(listener: Listener, service: Arc<dyn Service>) -> std::io::Result<()> {
    let clients = Arc::new(AtomicUsize::new(0));
    std::thread::Builder::new()
        .name("inspect".into())
        .spawn(move || loop {
            let conn = match listener.accept() {
                Ok(c) => c,
                // A refused peer (another user) or a connection reset before accept.
                Err(_) => continue,
            };
            if clients.fetch_add(1, Ordering::SeqCst) >= MAX_CLIENTS {
                clients.fetch_sub(1, Ordering::SeqCst);
                refuse(conn);
                continue;
            }
            let (service, clients) = (service.clone(), clients.clone());
            let started = client(conn, service, clients.clone());
            if started.is_err() {
                clients.fetch_sub(1, Ordering::SeqCst);
            }
        })?;
    Ok(())
}

/// Tells a client over the limit why it is closed, without waiting on it.
fn refuse(mut conn: Conn) {
    if let Conn::Unix(c) = &conn {
        let _ = c.set_nonblocking(true);
    }
    if let Conn::Tcp(c) = &conn {
        let _ = c.set_nonblocking(true);
    }
    let e = Error::new(Code::Busy, format!("{MAX_CLIENTS} clients already"));
    let _ = conn.write_all(&encode_reply(0, None, &Err(e)));
    conn.shutdown();
}

/// Starts one client's reader and writer threads.
fn client(conn: Conn, service: Arc<dyn Service>, clients: Arc<AtomicUsize>) -> std::io::Result<()> {
    let (tx, rx) = sync_channel::<Vec<u8>>(REPLY_QUEUE);
    let mut out = conn.try_clone()?;
    let closer = conn.try_clone()?;
    std::thread::Builder::new()
        .name("inspect-out".into())
        .spawn(move || {
            for frame in rx {
                if out.write_all(&frame).is_err() {
                    break;
                }
            }
            out.shutdown();
        })?;
    let mut input = conn;
    std::thread::Builder::new()
        .name("inspect-in".into())
        .spawn(move || {
            while let Ok(Some(frame)) = read_frame(&mut input, MAX_REQUEST) {
                let reply = match frame {
                    Ok(body) => serve_frame(&*service, &body),
                    Err(n) => encode_reply(
                        0,
                        None,
                        &Err(Error::new(
                            Code::TooLarge,
                            format!("a request of {n} bytes; at most {MAX_REQUEST}"),
                        )),
                    ),
                };
                match tx.try_send(reply) {
                    Ok(()) => {}
                    // The client does not read its replies: it is let go, and the writer,
                    // perhaps blocked on it, returns.
                    Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => break,
                }
            }
            closer.shutdown();
            // The last client gone, however it went (detached, quit, killed): nothing may
            // hold the guest any more, so its breakpoints and pauses go as with a detach.
            if clients.fetch_sub(1, Ordering::SeqCst) == 1 {
                let _ = service.detach();
            }
        })?;
    Ok(())
}
