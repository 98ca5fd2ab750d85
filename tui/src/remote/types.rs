//! The wire forms of what the calls carry: the control's snapshot and its parts, the
//! program, the host threads. Enums are a tag byte (listed here, never Rust's discriminants)
//! then their fields.

use super::wire::{wire_struct, Reader, Wire};
use super::Error;
use crate::app::HostThread;
use crate::program::{Program, Symbol};
use hypervisor_lite::control::{
    BlockInfo, EngineInfo, Snapshot, Step, Stream, Tiers, VcpuSnapshot, VcpuState, WatchKind,
    Watchpoint, Why,
};
use hypervisor_lite::isa_a::Cpu;
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

wire_struct!(Cpu {
    x,
    f,
    pc,
    instret,
    reservation,
    reservation_value,
    fcsr
});
wire_struct!(VcpuSnapshot {
    tid,
    host_tid,
    cpu,
    state,
    cpu_time,
    tiers
});
wire_struct!(Watchpoint { addr, len, kind });
wire_struct!(Tiers {
    insns_interp,
    insns_jit,
    translated
});
wire_struct!(BlockInfo {
    pc,
    guest_bytes,
    insns,
    host_bytes
});
wire_struct!(Snapshot {
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
    watchpoints,
});
wire_struct!(Symbol { name, addr, size });
wire_struct!(HostThread {
    tid,
    name,
    cpu_secs
});

impl Wire for Program {
    fn put(&self, w: &mut Vec<u8>) {
        // The source lines and unwind tables are not sent: a client reads them from the
        // ELF's bytes (the `image` call).
        let Program {
            name,
            entry,
            linking,
            segments,
            symbols,
            lines: _,
            unwind: _,
        } = self;
        name.put(w);
        entry.put(w);
        linking.put(w);
        segments.put(w);
        symbols.put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        Ok(Program {
            name: Wire::get(r)?,
            entry: Wire::get(r)?,
            linking: Wire::get(r)?,
            segments: Wire::get(r)?,
            symbols: Wire::get(r)?,
            ..Program::default()
        })
    }
}

impl Wire for Duration {
    fn put(&self, w: &mut Vec<u8>) {
        self.as_secs().put(w);
        self.subsec_nanos().put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        let (secs, nanos) = (u64::get(r)?, u32::get(r)?);
        if nanos >= 1_000_000_000 {
            return Err(Error::malformed(format!(
                "duration: {nanos} ns is not below 1 s"
            )));
        }
        Ok(Duration::new(secs, nanos))
    }
}

fn bad_tag(what: &str, tag: u8) -> Error {
    Error::malformed(format!("{what}: no variant has tag {tag}"))
}

impl Wire for VcpuState {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            VcpuState::Guest => w.push(0),
            VcpuState::Syscall(name) => {
                w.push(1);
                name.to_string().put(w);
            }
            VcpuState::Waiting(name) => {
                w.push(2);
                name.to_string().put(w);
            }
            VcpuState::Paused => w.push(3),
            VcpuState::Exited(status) => {
                w.push(4);
                status.put(w);
            }
        }
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        Ok(match u8::get(r)? {
            0 => VcpuState::Guest,
            1 => VcpuState::Syscall(interned(String::get(r)?)),
            2 => VcpuState::Waiting(interned(String::get(r)?)),
            3 => VcpuState::Paused,
            4 => VcpuState::Exited(i32::get(r)?),
            t => return Err(bad_tag("vCPU state", t)),
        })
    }
}

impl Wire for Stream {
    fn put(&self, w: &mut Vec<u8>) {
        w.push(match self {
            Stream::Stdout => 1,
            Stream::Stderr => 2,
        });
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        match u8::get(r)? {
            1 => Ok(Stream::Stdout),
            2 => Ok(Stream::Stderr),
            t => Err(bad_tag("stream", t)),
        }
    }
}

impl Wire for WatchKind {
    fn put(&self, w: &mut Vec<u8>) {
        w.push(match self {
            WatchKind::Write => 0,
            WatchKind::Read => 1,
            WatchKind::Access => 2,
        });
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        match u8::get(r)? {
            0 => Ok(WatchKind::Write),
            1 => Ok(WatchKind::Read),
            2 => Ok(WatchKind::Access),
            t => Err(bad_tag("watch kind", t)),
        }
    }
}

impl Wire for Step {
    fn put(&self, w: &mut Vec<u8>) {
        w.push(match self {
            Step::Insn => 0,
            Step::Block => 1,
            Step::Syscall => 2,
            Step::Over => 3,
        });
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        match u8::get(r)? {
            0 => Ok(Step::Insn),
            1 => Ok(Step::Block),
            2 => Ok(Step::Syscall),
            3 => Ok(Step::Over),
            t => Err(bad_tag("step", t)),
        }
    }
}

impl Wire for Why {
    fn put(&self, w: &mut Vec<u8>) {
        match *self {
            Why::Paused => w.push(0),
            Why::Breakpoint(tid) => {
                w.push(1);
                tid.put(w);
            }
            Why::Stepped(tid) => {
                w.push(2);
                tid.put(w);
            }
            Why::Watch { tid, addr, kind } => {
                w.push(3);
                tid.put(w);
                addr.put(w);
                kind.put(w);
            }
            Why::Signal { tid, sig } => {
                w.push(4);
                tid.put(w);
                sig.put(w);
            }
            Why::Fatal { tid, sig } => {
                w.push(5);
                tid.put(w);
                sig.put(w);
            }
        }
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        Ok(match u8::get(r)? {
            0 => Why::Paused,
            1 => Why::Breakpoint(i32::get(r)?),
            2 => Why::Stepped(i32::get(r)?),
            3 => Why::Watch {
                tid: i32::get(r)?,
                addr: u64::get(r)?,
                kind: WatchKind::get(r)?,
            },
            4 => Why::Signal {
                tid: i32::get(r)?,
                sig: i32::get(r)?,
            },
            5 => Why::Fatal {
                tid: i32::get(r)?,
                sig: i32::get(r)?,
            },
            t => return Err(bad_tag("stop reason", t)),
        })
    }
}

impl Wire for EngineInfo {
    fn put(&self, w: &mut Vec<u8>) {
        let EngineInfo {
            tier,
            blocks,
            cache_bytes,
            chain_hits,
            tiers,
            list,
        } = self;
        tier.to_string().put(w);
        blocks.put(w);
        cache_bytes.put(w);
        chain_hits.put(w);
        tiers.put(w);
        list.put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        Ok(EngineInfo {
            tier: interned(String::get(r)?),
            blocks: Wire::get(r)?,
            cache_bytes: Wire::get(r)?,
            chain_hits: Wire::get(r)?,
            tiers: Wire::get(r)?,
            list: Wire::get(r)?,
        })
    }
}

/// Names the control holds as `&'static str` (syscall names, engine tiers) come back as
/// such: each distinct name is kept once for the life of the process. A peer cannot grow the
/// set without bound: past [`INTERNED_MAX`] names, or for a long one, the name is replaced.
fn interned(name: String) -> &'static str {
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let names = names.get_or_insert_with(HashSet::new);
    if let Some(&n) = names.get(name.as_str()) {
        return n;
    }
    if names.len() >= INTERNED_MAX || name.len() > 64 {
        return "(unnamed)";
    }
    let n: &'static str = Box::leak(name.into_boxed_str());
    names.insert(n);
    n
}

/// Far above the syscalls and engine tiers there are.
const INTERNED_MAX: usize = 4096;
