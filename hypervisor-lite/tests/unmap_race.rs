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
