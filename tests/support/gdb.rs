//! Speaking gdb's remote protocol to mimic's stub without gdb: packets out and replies in,
//! `monitor` commands, and a guest's symbols read from its ELF.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The address of each named symbol in an ELF64 file's symbol table.
pub fn symbols(elf: &[u8], names: &[&str]) -> Vec<u64> {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap());
    let (shoff, shentsize, shnum) = (u64_at(0x28) as usize, u16_at(0x3a), u16_at(0x3c));
    let section = |i: usize| shoff + i * shentsize;
    let symtab = (0..shnum)
        .map(section)
        .find(|&s| u32_at(s + 4) == 2)
        .expect("the ELF has a symbol table");
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
                .unwrap_or_else(|| panic!("no symbol {want} in the ELF"))
        })
        .collect()
}

/// A remote-protocol client: one packet out, one reply in, acknowledged.
pub struct Remote {
    pub conn: TcpStream,
    pub log: Vec<String>,
}

impl Remote {
    pub fn send(&mut self, data: &str) -> String {
        let sum = data.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        write!(self.conn, "${data}#{sum:02x}").unwrap();
        self.log.push(format!("-> {data}"));
        let reply = self.receive();
        self.log.push(format!("<- {reply}"));
        reply
    }

    /// The next packet, skipping acknowledgements; it is acknowledged.
    pub fn receive(&mut self) -> String {
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

pub fn hex_u64(v: u64) -> String {
    v.to_le_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn parse_u64(hex: &str) -> u64 {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    u64::from_le_bytes(bytes[..8].try_into().unwrap())
}

impl Remote {
    /// `monitor TEXT`: what the stub printed (its O packets) before its OK.
    pub fn monitor(&mut self, text: &str) -> String {
        let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
        let mut reply = self.send(&format!("qRcmd,{hex}"));
        let mut said = Vec::new();
        while let Some(h) = reply.strip_prefix('O').filter(|_| reply != "OK") {
            said.extend(
                (0..h.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()),
            );
            reply = self.receive();
        }
        assert_eq!(reply, "OK", "monitor {text}: {:?}", self.log);
        String::from_utf8(said).unwrap()
    }
}

/// Starts `mimic ARGS…` in `dir`, which must start with `-g 0`, reads the port it waits on
/// from its stderr, and connects.
pub fn start(dir: &Path, args: &[&std::ffi::OsStr]) -> (Child, Remote) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .args(args)
        .current_dir(dir)
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
