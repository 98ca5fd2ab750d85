//! The gdb stub spoken to directly, without gdb: `mimic -g 0 gdbtarget` under each engine,
//! and raw remote-protocol packets over TCP for the registers (FP ones too), memory,
//! breakpoints, a watchpoint, a step, continue and the exit packet.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn gdbtarget() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/bin/gdbtarget")
}

/// The address of each named symbol in an ELF64 file's symbol table.
fn symbols(elf: &[u8], names: &[&str]) -> Vec<u64> {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap());
    let (shoff, shentsize, shnum) = (u64_at(0x28) as usize, u16_at(0x3a), u16_at(0x3c));
    let section = |i: usize| shoff + i * shentsize;
    let symtab = (0..shnum)
        .map(section)
        .find(|&s| u32_at(s + 4) == 2)
        .expect("gdbtarget has a symbol table");
    let strtab = section(u32_at(symtab + 0x28));
    let (str_off, sym_off, sym_size) = (
        u64_at(strtab + 0x18) as usize,
        u64_at(symtab + 0x18) as usize,
        u64_at(symtab + 0x20) as usize,
    );
    let name_at = |o: usize| {
        let s = &elf[str_off + o..];
        std::str::from_utf8(&s[..s.iter().position(|&b| b == 0).unwrap()]).unwrap()
    };
    names
        .iter()
        .map(|want| {
            (sym_off..sym_off + sym_size)
                .step_by(24)
                .find(|&e| name_at(u32_at(e)) == *want)
                .map(|e| u64_at(e + 8))
                .unwrap_or_else(|| panic!("no symbol {want} in gdbtarget"))
        })
        .collect()
}

/// A remote-protocol client: one packet out, one reply in, acknowledged.
struct Remote {
    conn: TcpStream,
    log: Vec<String>,
}

impl Remote {
    fn send(&mut self, data: &str) -> String {
        let sum = data.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        write!(self.conn, "${data}#{sum:02x}").unwrap();
        self.log.push(format!("-> {data}"));
        let reply = self.receive();
        self.log.push(format!("<- {reply}"));
        reply
    }

    /// The next packet, skipping acknowledgements; it is acknowledged.
    fn receive(&mut self) -> String {
        let mut byte = [0u8];
        loop {
            self.read(&mut byte);
            match byte[0] {
                b'+' => continue,
                b'$' => break,
                b => panic!("unexpected byte {b:#x} from the stub; {:?}", self.log),
            }
        }
        let mut data = Vec::new();
        loop {
            self.read(&mut byte);
            if byte[0] == b'#' {
                break;
            }
            data.push(byte[0]);
        }
        let mut sum = [0u8; 2];
        self.read(&mut sum);
        let want = data.iter().fold(0u8, |a, &b| a.wrapping_add(b));
        let got = u8::from_str_radix(std::str::from_utf8(&sum).unwrap(), 16).unwrap();
        assert_eq!(
            got,
            want,
            "bad checksum on {:?}",
            String::from_utf8_lossy(&data)
        );
        self.conn.write_all(b"+").unwrap();
        // Run-length encoding: `X*N` is X and N-29 more of it.
        let mut out = Vec::new();
        let mut i = 0;
        while i < data.len() {
            if data[i] == b'*' && i + 1 < data.len() {
                let last = *out.last().expect("a run follows a character");
                out.extend(std::iter::repeat_n(last, (data[i + 1] - 29) as usize));
                i += 2;
            } else {
                out.push(data[i]);
                i += 1;
            }
        }
        // Binary replies (qXfer) are checked for their length only.
        String::from_utf8_lossy(&out).into_owned()
    }

    fn read(&mut self, buf: &mut [u8]) {
        if let Err(e) = self.conn.read_exact(buf) {
            panic!("reading from the stub: {e}; {:?}", self.log);
        }
    }
}

fn hex_u64(v: u64) -> String {
    v.to_le_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_u64(hex: &str) -> u64 {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    u64::from_le_bytes(bytes[..8].try_into().unwrap())
}

/// Starts `mimic [engine] -g 0 gdbtarget` and connects to the port it names.
fn start(engine: Option<&str>) -> (Child, Remote) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimic"));
    cmd.args(engine).args(["-g", "0"]).arg(gdbtarget());
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running mimic");
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("mimic: waiting for gdb on 127.0.0.1:")
        .unwrap_or_else(|| panic!("mimic said {line:?}"));
    let conn = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    (child, Remote { conn, log: vec![] })
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
