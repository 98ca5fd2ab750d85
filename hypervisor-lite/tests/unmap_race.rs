//! One thread unmaps and remaps a range in a loop while others load, store, copy and read
//! strings through `GuestMem`: every access either works or is a `MemFault`, and the
//! process survives (before the fault-safe routines, a host SIGSEGV in the copy killed it).

use hypervisor_lite::memory::{AddressSpace, PAGE};
use isa_a::{AmoOp, Bus};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const AT: u64 = 0x4000_0000;
const LEN: u64 = 64 * PAGE;
const RW: u32 = (libc::PROT_READ | libc::PROT_WRITE) as u32;

#[test]
fn accesses_racing_munmap_fail_cleanly() {
    let space = Arc::new(Mutex::new(AddressSpace::new().unwrap()));
    space.lock().unwrap().map_fixed(AT, LEN, RW).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let workers: Vec<_> = (0..3)
        .map(|k| {
            let mut m = space.lock().unwrap().handle();
            let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
            std::thread::spawn(move || {
                let mut buf = vec![0x5a; LEN as usize];
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let addr = AT + (i * 8 * 97) % (LEN - 8);
                    let r = match (i + k) % 6 {
                        0 => m.load64(addr).map(drop),
                        1 => m.store64(addr, i),
                        2 => m.amo(addr & !7, AmoOp::Add, 1, 64).map(drop),
                        // The syscall layer's copies (Vcpu::get / put): whole range, so the
                        // copy is likely under way when the pages go.
                        3 => m.read(AT, &mut buf),
                        4 => m.write(AT, &buf),
                        _ => m.cstr(AT + 8, LEN as usize).map(drop),
                    };
                    match r {
                        Ok(()) => ok.fetch_add(1, Ordering::Relaxed),
                        Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    };
                    i += 1;
                }
            })
        })
        .collect();
    for _ in 0..2_000 {
        let mut s = space.lock().unwrap();
        s.unmap(AT, LEN).unwrap();
        drop(s);
        std::thread::yield_now();
        let mut s = space.lock().unwrap();
        s.map_fixed(AT, LEN, RW).unwrap();
        // A non-zero string so that cstr reads on into the pages that may go.
        s.write_raw(AT + 8, &[b'x'; 2 * PAGE as usize]);
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert!(ok > 0 && failed > 0, "ok {ok}, failed {failed}");
}

/// The handle keeps the reservation: dropping the address space first leaves it valid.
#[test]
fn a_handle_outlives_its_address_space() {
    let mut s = AddressSpace::new().unwrap();
    s.map_fixed(AT, PAGE, RW).unwrap();
    let mut m = s.handle();
    m.store32(AT, 7).unwrap();
    drop(s);
    assert_eq!(m.load32(AT), Ok(7));
}

const CHILD: &str = "MIMIC_MEMFLOOR_CHAIN_CHILD";

/// In a child process, with the translator's handler installed before or after ours: an
/// access past the end of a mapped file through `GuestMem` is a bus-error `MemFault` (our
/// handler claims it, whichever runs first), and a wild host read elsewhere still kills the
/// process with SIGSEGV (neither handler claims it).
fn chain_child(translator_first: bool) {
    use hypervisor_lite::memory::FileMap;
    use std::os::fd::AsRawFd;
    let layout = |s: &AddressSpace| s.layout();
    let mut s;
    let _engine;
    if translator_first {
        let probe = AddressSpace::new().unwrap();
        _engine = translator::Engine::new(translator::Mode::Jit, layout(&probe)).unwrap();
        s = AddressSpace::new().unwrap();
    } else {
        s = AddressSpace::new().unwrap();
        _engine = translator::Engine::new(translator::Mode::Jit, layout(&s)).unwrap();
    }
    let path = std::env::temp_dir().join(format!("mimic-chain-{}", std::process::id()));
    std::fs::write(&path, b"short").unwrap();
    let f = std::fs::File::open(&path).unwrap();
    let file = FileMap {
        fd: f.as_raw_fd(),
        offset: 0,
        shared: false,
    };
    s.map_file(AT, 2 * PAGE, libc::PROT_READ as u32, file)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut m = s.handle();
    assert_eq!(m.load8(AT), Ok(b's'));
    assert!(m.load8(AT + PAGE).is_err());
    assert!(hypervisor_lite::memory::take_bus_error());
    let mut buf = [0u8; 8];
    assert!(m.read(AT + PAGE, &mut buf).is_err());
    let wild = std::hint::black_box(16usize) as *const u64;
    // SAFETY: not safe at all: the point is that this host fault kills the process.
    unsafe { std::ptr::read_volatile(wild) };
    unreachable!("the read of address 16 faults");
}

#[test]
fn handlers_chain_in_either_order() {
    if let Some(order) = std::env::var_os(CHILD) {
        chain_child(order == "translator-first");
    }
    for order in ["translator-first", "memory-first"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "handlers_chain_in_either_order", "--nocapture"])
            .env(CHILD, order)
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGSEGV),
            "{order}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
