//! The gdb stub spoken to directly, without gdb: `mimic -g 0 gdbtarget` under each engine,
//! and raw remote-protocol packets over TCP for the registers (FP ones too), memory,
//! breakpoints, a watchpoint, a step, continue and the exit packet.

mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Child;
use support::gdb::{hex_u64, parse_u64, symbols, Remote};

fn gdbtarget() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/bin/gdbtarget")
}

/// Starts `mimic [engine] -g 0 gdbtarget` and connects to the port it names.
fn start(engine: Option<&str>) -> (Child, Remote) {
    let mut args: Vec<&OsStr> = engine.iter().map(OsStr::new).collect();
    let target = gdbtarget();
    args.extend([OsStr::new("-g"), OsStr::new("0"), target.as_os_str()]);
    support::gdb::start(Path::new("."), &args)
}

/// The register block of `g`: x0..x31, pc, f0..f31 (8 bytes each), fflags, frm, fcsr (4 each).
const G_HEX_LEN: usize = (65 * 8 + 3 * 4) * 2;

#[test]
fn the_stub_speaks_the_remote_protocol_under_every_engine() {
    let elf = std::fs::read(gdbtarget()).unwrap();
    let entry = u64::from_le_bytes(elf[24..32].try_into().unwrap());
    let syms = symbols(&elf, &["scale", "counter", "bump"]);
    let (scale, counter, bump) = (syms[0], syms[1], syms[2]);
    for engine in [Some("--interp"), Some("--jit"), None] {
        let (child, mut r) = start(engine);
        let ctx = format!("engine {engine:?}");

        let features = r.send("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
        for f in [
            "qXfer:features:read+",
            "qXfer:auxv:read+",
            "qXfer:exec-file:read+",
        ] {
            assert!(features.contains(f), "{ctx}: {f} missing in {features}");
        }
        let mut xml = String::new();
        loop {
            let part = r.send(&format!(
                "qXfer:features:read:target.xml:{:x},400",
                xml.len()
            ));
            xml.push_str(&part[1..]);
            if !part.starts_with('m') {
                break;
            }
        }
        assert!(
            xml.contains("org.gnu.gdb.riscv.fpu") && xml.contains("name=\"fcsr\""),
            "{ctx}: {xml}"
        );
        // Stopped at the first instruction, the one thread's id is its tid.
        let stop = r.send("?");
        assert!(stop.starts_with("T05"), "{ctx}: {stop}");
        let thread = stop
            .split("thread:")
            .nth(1)
            .and_then(|t| t.split(';').next());
        let tid = thread.unwrap_or_else(|| panic!("{ctx}: no thread in {stop}"));
        let tid = tid.rsplit('.').next().unwrap().to_string();
        assert_eq!(
            u32::from_str_radix(&tid, 16),
            Ok(child.id()),
            "{ctx}: {stop}"
        );
        assert_eq!(r.send(&format!("Hgp1.{tid}")), "OK", "{ctx}");
        let regs = r.send("g");
        assert_eq!(regs.len(), G_HEX_LEN, "{ctx}: {regs}");
        assert_eq!(parse_u64(&regs[32 * 16..]), entry, "{ctx}: pc");
        assert_ne!(parse_u64(&regs[2 * 16..]), 0, "{ctx}: sp");
        let auxv = r.send("qXfer:auxv:read::0,1000");
        assert!(
            auxv.starts_with(['m', 'l']) && auxv.len() > 100,
            "{ctx}: {auxv}"
        );

        // A breakpoint at scale(2.0): its argument is in fa0 (f10, gdb's register 43).
        assert_eq!(r.send(&format!("Z0,{scale:x},2")), "OK", "{ctx}");
        let stop = r.send("vCont;c");
        assert!(stop.starts_with("T05"), "{ctx}: {stop}");
        assert_eq!(
            parse_u64(&r.send("p20")),
            scale,
            "{ctx}: pc at the breakpoint"
        );
        assert_eq!(r.send("p2b"), hex_u64(2.0f64.to_bits()), "{ctx}: fa0");
        assert_eq!(r.send("p44").len(), 8, "{ctx}: fcsr is 4 bytes");
        assert_eq!(r.send(&format!("z0,{scale:x},2")), "OK", "{ctx}");

        // Memory: the watched counter is 0, and set to 100 it stays so.
        let at = format!("{counter:x},8");
        assert_eq!(r.send(&format!("m{at}")), hex_u64(0), "{ctx}");
        assert_eq!(r.send(&format!("M{at}:{}", hex_u64(100))), "OK", "{ctx}");
        assert_eq!(r.send(&format!("m{at}")), hex_u64(100), "{ctx}");
        assert!(r.send("m0,8").starts_with('E'), "{ctx}: unmapped memory");
        // One step: one instruction on.
        let stop = r.send(&format!("vCont;s:p1.{tid}"));
        assert!(stop.starts_with("T05"), "{ctx}: {stop}");
        let pc = parse_u64(&r.send("p20"));
        assert!(
            pc == scale + 2 || pc == scale + 4,
            "{ctx}: pc {pc:#x} after a step"
        );

        // A write watchpoint stops in bump, after the store.
        assert_eq!(r.send(&format!("Z2,{counter:x},8")), "OK", "{ctx}");
        let stop = r.send("vCont;c");
        let watch = stop
            .split("watch:")
            .nth(1)
            .and_then(|w| w.split(';').next());
        let watch = watch.and_then(|w| u64::from_str_radix(w, 16).ok());
        assert!(
            stop.starts_with("T05") && watch == Some(counter),
            "{ctx}: {stop}"
        );
        let pc = parse_u64(&r.send("p20"));
        assert!((bump..bump + 0x40).contains(&pc), "{ctx}: pc {pc:#x}");
        assert_eq!(r.send(&format!("m{at}")), hex_u64(105), "{ctx}");
        assert_eq!(r.send(&format!("z2,{counter:x},8")), "OK", "{ctx}");

        // The exit status, and the output shows the write.
        assert_eq!(r.send("vCont;c"), "W03", "{ctx}");
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{ctx}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "counter=112 d=3 sink=112\n",
            "{ctx}"
        );
    }
}
