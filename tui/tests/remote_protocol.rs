//! The inspection protocol's declaration, tested through its marshalling and a real server:
//! every call's request, result and errors round-trip (random values of every field); random,
//! truncated, oversized, wrong-version and unknown-call frames get an error reply, never a
//! crash or a stall, and the server goes on answering.

use hypervisor_lite::control::{
    BlockInfo, Control, EngineInfo, Snapshot, Step, Stream, Tiers, VcpuSnapshot, VcpuState,
    WatchKind, Watchpoint, Why,
};
use hypervisor_lite::isa_a::Cpu;
use proptest::prelude::*;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tui::app::HostThread;
use tui::program::{Program, Symbol};
use tui::remote::addr::{read_frame, Addr, Listener};
use tui::remote::client::Client;
use tui::remote::protocol::{Call, Code, Reply, Request, Stub, VERSION};
use tui::remote::server::{serve, Inspected};
use tui::remote::{
    decode_reply, decode_request, encode_reply, encode_request, serve_frame, Error, MAX_REQUEST,
};

// ---- random values of every type a call carries ------------------------------------------

/// xorshift64*, seeded by proptest (which reports the seed of a failing case).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

trait Gen {
    fn gen(r: &mut Rng) -> Self;
}

fn gen<T: Gen>(r: &mut Rng) -> T {
    T::gen(r)
}

macro_rules! gen_int {
    ($($t:ty),*) => {$(impl Gen for $t {
        fn gen(r: &mut Rng) -> Self {
            r.next() as $t
        }
    })*};
}
gen_int!(u8, u16, u32, u64, i32, usize);

impl Gen for bool {
    fn gen(r: &mut Rng) -> Self {
        r.next() & 1 == 1
    }
}

impl Gen for f64 {
    fn gen(r: &mut Rng) -> Self {
        f64::from_bits(r.next())
    }
}

impl Gen for String {
    fn gen(r: &mut Rng) -> Self {
        let alphabet = ['a', 'Z', '0', ' ', '\n', '\0', 'é', '│', '😀'];
        (0..r.below(12))
            .map(|_| alphabet[r.below(alphabet.len() as u64) as usize])
            .collect()
    }
}

impl<T: Gen> Gen for Vec<T> {
    fn gen(r: &mut Rng) -> Self {
        (0..r.below(6)).map(|_| gen(r)).collect()
    }
}

impl<T: Gen> Gen for Option<T> {
    fn gen(r: &mut Rng) -> Self {
        (r.next() & 1 == 1).then(|| gen(r))
    }
}

impl<A: Gen, B: Gen> Gen for (A, B) {
    fn gen(r: &mut Rng) -> Self {
        (gen(r), gen(r))
    }
}

impl<A: Gen, B: Gen, C: Gen> Gen for (A, B, C) {
    fn gen(r: &mut Rng) -> Self {
        (gen(r), gen(r), gen(r))
    }
}

impl Gen for [u64; 32] {
    fn gen(r: &mut Rng) -> Self {
        std::array::from_fn(|_| r.next())
    }
}

impl Gen for Duration {
    fn gen(r: &mut Rng) -> Self {
        Duration::new(r.next(), r.below(1_000_000_000) as u32)
    }
}

/// Names the control holds as `&'static str`.
fn static_name(r: &mut Rng) -> &'static str {
    let names = ["read", "futex", "clock_nanosleep", "unknown", "write"];
    names[r.below(names.len() as u64) as usize]
}

macro_rules! gen_struct {
    ($t:ident { $($f:ident),* }) => {
        impl Gen for $t {
            fn gen(r: &mut Rng) -> Self {
                $t { $($f: gen(r)),* }
            }
        }
    };
}
gen_struct!(Cpu {
    x,
    f,
    pc,
    instret,
    reservation,
    reservation_value,
    fcsr
});
gen_struct!(VcpuSnapshot {
    tid,
    host_tid,
    cpu,
    state,
    cpu_time,
    tiers
});
gen_struct!(Watchpoint { addr, len, kind });
gen_struct!(Tiers {
    insns_interp,
    insns_jit,
    translated
});
gen_struct!(BlockInfo {
    pc,
    guest_bytes,
    insns,
    host_bytes
});
gen_struct!(Snapshot {
    paused,
    stops,
    reason,
    vcpus,
    breakpoints,
    syscalls,
    engine,
    syscall_log,
    output,
    views,
    host_asm,
    stopped_by,
    why,
    watchpoints
});
gen_struct!(Symbol { name, addr, size });
impl Gen for Program {
    fn gen(r: &mut Rng) -> Self {
        Program {
            name: gen(r),
            entry: gen(r),
            linking: gen(r),
            segments: gen(r),
            symbols: gen(r),
            // Not on the wire: read from the image.
            ..Program::default()
        }
    }
}
gen_struct!(HostThread {
    tid,
    name,
    cpu_secs
});

impl Gen for EngineInfo {
    fn gen(r: &mut Rng) -> Self {
        EngineInfo {
            tier: static_name(r),
            blocks: gen(r),
            cache_bytes: gen(r),
            chain_hits: gen(r),
            tiers: gen(r),
            list: gen(r),
        }
    }
}

impl Gen for VcpuState {
    fn gen(r: &mut Rng) -> Self {
        match r.below(5) {
            0 => VcpuState::Guest,
            1 => VcpuState::Syscall(static_name(r)),
            2 => VcpuState::Waiting(static_name(r)),
            3 => VcpuState::Paused,
            _ => VcpuState::Exited(gen(r)),
        }
    }
}

impl Gen for Stream {
    fn gen(r: &mut Rng) -> Self {
        [Stream::Stdout, Stream::Stderr][r.below(2) as usize]
    }
}

impl Gen for WatchKind {
    fn gen(r: &mut Rng) -> Self {
        [WatchKind::Write, WatchKind::Read, WatchKind::Access][r.below(3) as usize]
    }
}

impl Gen for Step {
    fn gen(r: &mut Rng) -> Self {
        [Step::Insn, Step::Block, Step::Syscall, Step::Over][r.below(4) as usize]
    }
}

impl Gen for Why {
    fn gen(r: &mut Rng) -> Self {
        match r.below(6) {
            0 => Why::Paused,
            1 => Why::Breakpoint(gen(r)),
            2 => Why::Stepped(gen(r)),
            3 => Why::Watch {
                tid: gen(r),
                addr: gen(r),
                kind: gen(r),
            },
            4 => Why::Signal {
                tid: gen(r),
                sig: gen(r),
            },
            _ => Why::Fatal {
                tid: gen(r),
                sig: gen(r),
            },
        }
    }
}

/// A request of `call` with random arguments. The match names every call: a call added to
/// the declaration fails to compile here until it is tested too.
fn request(call: Call, r: &mut Rng) -> Request {
    match call {
        Call::Program => Request::Program {},
        Call::Snapshot => Request::Snapshot {},
        Call::HostThreads => Request::HostThreads {},
        Call::SetViews => Request::SetViews { views: gen(r) },
        Call::SetHostView => Request::SetHostView { pc: gen(r) },
        Call::Pause => Request::Pause {},
        Call::Resume => Request::Resume {},
        Call::Step => Request::Step {
            tid: gen(r),
            kind: gen(r),
        },
        Call::ToggleBreakpoint => Request::ToggleBreakpoint { addr: gen(r) },
        Call::Detach => Request::Detach {},
        Call::Image => Request::Image {},
        Call::RunTo => Request::RunTo {
            tid: gen(r),
            addr: gen(r),
            min_sp: gen(r),
            reason: gen(r),
        },
        Call::WriteMemory => Request::WriteMemory {
            addr: gen(r),
            bytes: gen(r),
        },
        Call::SetCpu => Request::SetCpu {
            tid: gen(r),
            cpu: gen(r),
        },
        Call::AddWatchpoint => Request::AddWatchpoint { w: gen(r) },
        Call::RemoveWatchpoint => Request::RemoveWatchpoint { w: gen(r) },
        Call::StopAtFatal => Request::StopAtFatal { on: gen(r) },
        Call::Checkpoint => Request::Checkpoint { file: gen(r) },
    }
}

/// A random result of `call`.
fn reply(call: Call, r: &mut Rng) -> Reply {
    match call {
        Call::Program => Reply::Program(gen(r)),
        Call::Snapshot => Reply::Snapshot(gen(r)),
        Call::HostThreads => Reply::HostThreads(gen(r)),
        Call::SetViews => Reply::SetViews(()),
        Call::SetHostView => Reply::SetHostView(()),
        Call::Pause => Reply::Pause(()),
        Call::Resume => Reply::Resume(()),
        Call::Step => Reply::Step(()),
        Call::ToggleBreakpoint => Reply::ToggleBreakpoint(gen(r)),
        Call::Detach => Reply::Detach(()),
        Call::Image => Reply::Image(gen(r)),
        Call::RunTo => Reply::RunTo(()),
        Call::WriteMemory => Reply::WriteMemory(()),
        Call::SetCpu => Reply::SetCpu(()),
        Call::AddWatchpoint => Reply::AddWatchpoint(()),
        Call::RemoveWatchpoint => Reply::RemoveWatchpoint(gen(r)),
        Call::StopAtFatal => Reply::StopAtFatal(()),
        Call::Checkpoint => Reply::Checkpoint(gen(r)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every call's request, result and each error it may return come back as they went.
    #[test]
    fn every_call_round_trips(seed in 1u64.., id in any::<u32>()) {
        let mut r = Rng(seed);
        for &call in Call::ALL {
            let req = request(call, &mut r);
            let frame = encode_request(id, &req);
            prop_assert_eq!(frame.len() - 4, u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize);
            let (got_id, got) = decode_request(&frame[4..]).unwrap();
            prop_assert_eq!(got_id, id);
            prop_assert_eq!(format!("{got:?}"), format!("{req:?}"));

            let rep = reply(call, &mut r);
            let frame = encode_reply(id, Some(call), &Ok(rep.clone()));
            let (got_id, got_call, got) = decode_reply(&frame[4..]).unwrap();
            prop_assert_eq!((got_id, got_call), (id, Some(call)));
            prop_assert_eq!(format!("{:?}", got.unwrap()), format!("{rep:?}"));

            for &code in Code::ALL.iter().filter(|&&c| call.may_fail_with(c)) {
                let e = Error::new(code, gen::<String>(&mut r));
                let frame = encode_reply(id, Some(call), &Err(e.clone()));
                let (_, _, got) = decode_reply(&frame[4..]).unwrap();
                prop_assert_eq!(got.unwrap_err(), e);
            }
        }
    }

    /// Any bytes as a request body get one reply frame that decodes, and an error unless the
    /// bytes are a request.
    #[test]
    fn random_bodies_get_a_reply(body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let service = service();
        let reply = serve_frame(&service, &body);
        let (_, _, result) = decode_reply(&reply[4..]).expect("the reply decodes");
        if decode_request(&body).is_err() {
            prop_assert!(result.is_err());
        }
    }

    /// Random bytes on a connection, framed or not: every reply decodes, and the server then
    /// answers a new client.
    #[test]
    fn random_bytes_on_a_socket_leave_the_server_answering(
        chunks in proptest::collection::vec(
            (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)), 1..8)
    ) {
        let (path, _listener_gone) = server("fuzz");
        let mut c = UnixStream::connect(&path).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        for (framed, bytes) in &chunks {
            if *framed {
                c.write_all(&(bytes.len() as u32).to_le_bytes()).unwrap();
            }
            // The server may close a connection whose bytes it cannot frame.
            if c.write_all(bytes).is_err() {
                break;
            }
        }
        let _ = c.shutdown(std::net::Shutdown::Write);
        // Every reply decodes, until the server closes the connection (it must: no stall).
        while let Ok(Some(frame)) = read_frame(&mut c, 64 << 20) {
            let body = frame.expect("a reply within the limit");
            let decoded = decode_reply(&body);
            prop_assert!(decoded.is_ok(), "{:?}", decoded);
        }
        prop_assert!(answers(&path), "the server stopped answering");
    }
}

// ---- a served control ------------------------------------------------------------------

fn service() -> Inspected {
    Inspected {
        control: Arc::new(Control::new()),
        program: Program::parse(tui::DEMO, "demo"),
        image: ("demo".into(), tui::DEMO.to_vec()),
    }
}

/// A server of a guestless control on a fresh unix socket; the socket goes with the guard.
fn server(name: &str) -> (PathBuf, Gone) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("mimic-rpc-{name}-{}-{n}", std::process::id()));
    let listener = Listener::bind(&Addr::Unix(path.clone()), false).unwrap();
    serve(listener, Arc::new(service())).unwrap();
    (path.clone(), Gone(path))
}

/// Removes a test's socket (its listener thread lives on with the test process).
struct Gone(PathBuf);

impl Drop for Gone {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether a new client's snapshot call is answered.
fn answers(path: &std::path::Path) -> bool {
    let Ok(mut c) = Client::connect(&Addr::Unix(path.to_path_buf())) else {
        return false;
    };
    let id = c.snapshot();
    matches!(c.wait(id, Duration::from_secs(5)), Ok(Reply::Snapshot(_)))
}

/// Sends `frame` raw and reads one reply.
fn exchange(c: &mut UnixStream, frame: &[u8]) -> (u32, Option<Call>, Result<Reply, Error>) {
    c.write_all(frame).unwrap();
    let body = read_frame(c, 64 << 20).unwrap().unwrap().unwrap();
    decode_reply(&body).unwrap()
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = (body.len() as u32).to_le_bytes().to_vec();
    f.extend_from_slice(body);
    f
}

#[test]
fn bad_frames_get_their_error_and_the_connection_goes_on() {
    let (path, _gone) = server("bad");
    let mut c = UnixStream::connect(&path).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let good = encode_request(9, &Request::ToggleBreakpoint { addr: 0x1234 });

    // Truncated: the arguments stop short.
    let short = frame(&good[4..good.len() - 3]);
    let (id, _, r) = exchange(&mut c, &short);
    assert_eq!((id, r.unwrap_err().code), (9, Code::Truncated));

    // Trailing bytes after the arguments.
    let mut long = good[4..].to_vec();
    long.push(0);
    let (_, _, r) = exchange(&mut c, &frame(&long));
    assert_eq!(r.unwrap_err().code, Code::Malformed);

    // Another version.
    let mut old = good[4..].to_vec();
    old[..2].copy_from_slice(&(VERSION + 1).to_le_bytes());
    let (id, _, r) = exchange(&mut c, &frame(&old));
    let e = r.unwrap_err();
    assert_eq!((id, e.code), (9, Code::WrongVersion), "{e}");

    // No such call.
    let mut unknown = good[4..].to_vec();
    unknown[6..8].copy_from_slice(&0xfffeu16.to_le_bytes());
    let (_, _, r) = exchange(&mut c, &frame(&unknown));
    assert_eq!(r.unwrap_err().code, Code::UnknownCall);

    // Too short for a header, and empty.
    let (_, _, r) = exchange(&mut c, &frame(&[1, 0, 7]));
    assert_eq!(r.unwrap_err().code, Code::Truncated);
    let (_, _, r) = exchange(&mut c, &frame(&[]));
    assert_eq!(r.unwrap_err().code, Code::Truncated);

    // Oversized: its bytes are skipped, so the stream stays framed.
    let mut big = ((MAX_REQUEST + 1) as u32).to_le_bytes().to_vec();
    big.resize(4 + MAX_REQUEST + 1, 0xab);
    let (_, call, r) = exchange(&mut c, &big);
    assert_eq!((call, r.unwrap_err().code), (None, Code::TooLarge));

    // A list whose count is far beyond the frame: refused before anything is allocated.
    let mut views = good[..12].to_vec();
    views[10..12].copy_from_slice(&Call::SetViews.number().to_le_bytes());
    views.extend_from_slice(&u32::MAX.to_le_bytes());
    let (_, _, r) = exchange(&mut c, &frame(&views[4..]));
    assert_eq!(r.unwrap_err().code, Code::Truncated);

    // An argument out of range.
    let huge = encode_request(
        3,
        &Request::SetViews {
            views: vec![(0, 1 << 40)],
        },
    );
    let (_, _, r) = exchange(&mut c, &huge);
    assert_eq!(r.unwrap_err().code, Code::BadArgument);

    // And the same connection still serves.
    let (id, call, r) = exchange(&mut c, &good);
    assert_eq!((id, call), (9, Some(Call::ToggleBreakpoint)));
    assert!(matches!(r, Ok(Reply::ToggleBreakpoint((0x1234, true)))));
}

#[test]
fn a_call_unanswered_in_time_is_reported_timed_out() {
    // A listener that accepts and never answers.
    let path = std::env::temp_dir().join(format!("mimic-rpc-mute-{}", std::process::id()));
    let _gone = Gone(path.clone());
    let _ = std::fs::remove_file(&path);
    let mute = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let mut c = Client::connect(&Addr::Unix(path.clone())).unwrap();
    let (_peer, _) = mute.accept().unwrap();
    let start = std::time::Instant::now();
    c.snapshot();
    let mut answers = Vec::new();
    while answers.is_empty() && start.elapsed() < Duration::from_secs(10) {
        // The UI's loop: each poll returns at once.
        let t = std::time::Instant::now();
        answers = c.poll();
        assert!(t.elapsed() < Duration::from_millis(50), "poll blocked");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (call, result) = answers.pop().expect("an answer");
    assert_eq!(call, Call::Snapshot);
    assert_eq!(result.unwrap_err().code, Code::TimedOut);
    assert!(start.elapsed() >= tui::remote::client::TIMEOUT);
}

/// The UI's side of a mute peer: each refresh returns at once, and the message line says the
/// sample timed out.
#[test]
fn the_ui_shows_a_timed_out_call_and_does_not_wait() {
    let path = std::env::temp_dir().join(format!("mimic-rpc-mute-ui-{}", std::process::id()));
    let _gone = Gone(path.clone());
    let _ = std::fs::remove_file(&path);
    let mute = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let c = Client::connect(&Addr::Unix(path.clone())).unwrap();
    let (_peer, _) = mute.accept().unwrap();
    let mut app = tui::app::App::with_client(Program::default(), c);
    let start = std::time::Instant::now();
    while !app.message.contains("no reply") && start.elapsed() < Duration::from_secs(10) {
        let t = std::time::Instant::now();
        app.refresh();
        tui::render_screen(&app, 200, 50);
        assert!(t.elapsed() < Duration::from_millis(100), "a refresh waited");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Whichever call timed out last (the sample, the views) names itself.
    assert!(
        Call::ALL.iter().any(|c| app
            .message
            .starts_with(&format!("{}: no reply from", c.name()))),
        "{}",
        app.message
    );
}

#[test]
fn a_closed_server_is_reported_disconnected() {
    let path = std::env::temp_dir().join(format!("mimic-rpc-gone-{}", std::process::id()));
    let _gone = Gone(path.clone());
    let _ = std::fs::remove_file(&path);
    let l = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let mut c = Client::connect(&Addr::Unix(path.clone())).unwrap();
    let (peer, _) = l.accept().unwrap();
    let id = c.pause();
    drop(peer);
    let e = c.wait(id, Duration::from_secs(5)).unwrap_err();
    assert_eq!(e.code, Code::Disconnected, "{e}");
    assert!(c.gone().is_some());
}

#[test]
fn the_socket_is_private_and_nothing_else_is_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let (path, gone) = server("mode");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // A second server on a live socket is refused; a stale one is replaced.
    let again = Listener::bind(&Addr::Unix(path.clone()), false);
    assert!(again.is_err());
    drop(gone);
    let file = std::env::temp_dir().join(format!("mimic-rpc-file-{}", std::process::id()));
    std::fs::write(&file, b"keep me").unwrap();
    let e = Listener::bind(&Addr::Unix(file.clone()), false)
        .err()
        .expect("refused");
    assert!(e.contains("not a socket"), "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    std::fs::remove_file(&file).unwrap();
    // TCP: loopback only, unless any address is allowed.
    let e = Listener::bind(&Addr::parse("0.0.0.0:0").unwrap(), false)
        .err()
        .expect("refused");
    assert!(e.contains("not a loopback address"), "{e}");
    assert!(Listener::bind(&Addr::parse("127.0.0.1:0").unwrap(), false).is_ok());
}

/// Clients are served side by side; one over the limit is told so and closed, and a place
/// freed is taken again.
#[test]
fn many_clients_are_served_and_one_too_many_is_told_busy() {
    use tui::remote::server::MAX_CLIENTS;
    let (path, _gone) = server("many");
    let addr = Addr::Unix(path.clone());
    let mut clients: Vec<Client> = (0..MAX_CLIENTS)
        .map(|_| Client::connect(&addr).unwrap())
        .collect();
    let ids: Vec<u32> = clients.iter_mut().map(|c| c.snapshot()).collect();
    for (c, id) in clients.iter_mut().zip(ids) {
        assert!(matches!(
            c.wait(id, Duration::from_secs(10)),
            Ok(Reply::Snapshot(_))
        ));
    }
    let mut extra = UnixStream::connect(&path).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = read_frame(&mut extra, 1 << 20).unwrap().unwrap().unwrap();
    let (_, _, r) = decode_reply(&body).unwrap();
    assert_eq!(r.unwrap_err().code, Code::Busy);
    assert!(read_frame(&mut extra, 1 << 20).unwrap().is_none(), "closed");
    clients.pop();
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while !answers(&path) {
        assert!(
            std::time::Instant::now() < end,
            "the freed place was not taken"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn tcp_serves_too() {
    let listener = Listener::bind(&Addr::parse("127.0.0.1:0").unwrap(), false).unwrap();
    let addr = listener.local();
    serve(listener, Arc::new(service())).unwrap();
    let mut c = Client::connect(&addr).unwrap();
    let id = c.program();
    match c.wait(id, Duration::from_secs(5)) {
        Ok(Reply::Program(p)) => assert!(p.find("main").is_some()),
        other => panic!("{other:?}"),
    }
}

/// The debugger's calls refuse what the guest cannot take, by code: an empty or oversized
/// write, a write while the guest runs, a watchpoint of no bytes, a register edit or finish
/// of a vCPU there is not.
#[test]
fn the_debugger_calls_refuse_bad_arguments_by_code() {
    use tui::remote::protocol::Service;
    use tui::remote::server::{MAX_WATCH_BYTES, MAX_WRITE};
    let s = service();
    let code = |r: Result<(), tui::remote::Error>| r.unwrap_err().code;
    assert_eq!(code(s.write_memory(0x1000, vec![])), Code::BadArgument);
    assert_eq!(
        code(s.write_memory(0x1000, vec![0; MAX_WRITE + 1])),
        Code::BadArgument
    );
    assert_eq!(code(s.write_memory(0x1000, vec![1])), Code::Refused);
    let w = |len| Watchpoint {
        addr: 0x1000,
        len,
        kind: WatchKind::Write,
    };
    assert_eq!(code(s.add_watchpoint(w(0))), Code::BadArgument);
    assert_eq!(
        code(s.add_watchpoint(w(MAX_WATCH_BYTES + 1))),
        Code::BadArgument
    );
    s.add_watchpoint(w(8)).unwrap();
    assert_eq!(s.remove_watchpoint(w(8)), Ok(true));
    assert_eq!(s.remove_watchpoint(w(8)), Ok(false));
    assert_eq!(code(s.set_cpu(7, Cpu::default())), Code::NoVcpu);
    assert_eq!(code(s.run_to(7, 0x1000, 0, "finish".into())), Code::NoVcpu);
    let (path, bytes) = s.image().unwrap();
    assert_eq!((path.as_str(), bytes.as_slice()), ("demo", tui::DEMO));
}
