//! What one instruction can reach outside its hart: guest memory and the time counter.
//!
//! hypervisor-lite implements [`Bus`] over the guest address space; [`FlatMemory`] is the
//! simple one used by tests and benchmarks.

use std::fmt;

/// Which kind of access faulted.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// A guest access to an address that is unmapped or does not allow the access.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct MemFault {
    pub addr: u64,
    pub access: Access,
}

impl fmt::Display for MemFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.access {
            Access::Read => "reading",
            Access::Write => "writing",
            Access::Execute => "executing",
        };
        write!(f, "{what} 0x{:x}", self.addr)
    }
}

/// The read-modify-write operation of an AMO.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum AmoOp {
    Swap,
    Add,
    Xor,
    And,
    Or,
    Min,
    Max,
    Minu,
    Maxu,
}

impl AmoOp {
    /// The value an AMO stores, given the old memory value and the register operand, both
    /// `bits` wide (32 or 64) in the low bits.
    pub fn apply(self, old: u64, src: u64, bits: u32) -> u64 {
        let (so, ss) = if bits == 32 {
            (old as u32 as i32 as i64, src as u32 as i32 as i64)
        } else {
            (old as i64, src as i64)
        };
        let v = match self {
            AmoOp::Swap => src,
            AmoOp::Add => old.wrapping_add(src),
            AmoOp::Xor => old ^ src,
            AmoOp::And => old & src,
            AmoOp::Or => old | src,
            AmoOp::Min => so.min(ss) as u64,
            AmoOp::Max => so.max(ss) as u64,
            AmoOp::Minu => old.min(src),
            AmoOp::Maxu => old.max(src),
        };
        if bits == 32 {
            v & 0xffff_ffff
        } else {
            v
        }
    }
}

/// Guest memory as one hart sees it. Loads and stores may be misaligned (as Linux allows
/// user programs); atomics are only ever called aligned.
pub trait Bus {
    fn load8(&mut self, addr: u64) -> Result<u8, MemFault>;
    fn load16(&mut self, addr: u64) -> Result<u16, MemFault>;
    fn load32(&mut self, addr: u64) -> Result<u32, MemFault>;
    fn load64(&mut self, addr: u64) -> Result<u64, MemFault>;
    fn store8(&mut self, addr: u64, v: u8) -> Result<(), MemFault>;
    fn store16(&mut self, addr: u64, v: u16) -> Result<(), MemFault>;
    fn store32(&mut self, addr: u64, v: u32) -> Result<(), MemFault>;
    fn store64(&mut self, addr: u64, v: u64) -> Result<(), MemFault>;
    /// An instruction fetch of one half-word (instructions are 2-byte aligned).
    fn fetch16(&mut self, addr: u64) -> Result<u16, MemFault>;

    /// Atomically applies `op` to the `bits`-wide (32 or 64) value at `addr`; returns the old
    /// value zero-extended. The default is not atomic across threads: a shared address space
    /// must override it with host atomics.
    fn amo(&mut self, addr: u64, op: AmoOp, src: u64, bits: u32) -> Result<u64, MemFault> {
        let old = if bits == 32 {
            self.load32(addr)? as u64
        } else {
            self.load64(addr)?
        };
        let new = op.apply(old, src, bits);
        if bits == 32 {
            self.store32(addr, new as u32)?;
        } else {
            self.store64(addr, new)?;
        }
        Ok(old)
    }

    /// Atomically stores `new` if the `bits`-wide value at `addr` equals `expected`; whether it
    /// did. This is how `sc` completes. Same caveat as [`Bus::amo`].
    fn compare_store(
        &mut self,
        addr: u64,
        expected: u64,
        new: u64,
        bits: u32,
    ) -> Result<bool, MemFault> {
        let cur = if bits == 32 {
            self.load32(addr)? as u64
        } else {
            self.load64(addr)?
        };
        if cur != expected {
            return Ok(false);
        }
        if bits == 32 {
            self.store32(addr, new as u32)?;
        } else {
            self.store64(addr, new)?;
        }
        Ok(true)
    }

    /// Has stores to the guest page at `page` (page aligned) noted from now on, for a
    /// translator that holds code from it: true if every change of its bytes (a store from
    /// any thread, a system call, a change of its mapping) is now reported by
    /// [`Bus::take_written`], so the page need not be compared at `fence.i` unless it is
    /// reported. The default, and a page others may write (a shared mapping): false, it must
    /// be compared at every one.
    fn watch_code(&mut self, _page: u64) -> bool {
        false
    }

    /// Appends to `out` the guest ranges (start, end) written since the last call, among
    /// the pages [`Bus::watch_code`] said true for, and forgets them. False if some were lost
    /// (too many to keep): then every page must be taken as written. The default: false.
    fn take_written(&mut self, _out: &mut Vec<(u64, u64)>) -> bool {
        false
    }

    /// The `time` CSR. The default counts 10 MHz ticks of the host's monotonic clock.
    fn time(&mut self) -> u64 {
        use std::sync::OnceLock;
        use std::time::Instant;
        static START: OnceLock<Instant> = OnceLock::new();
        (START.get_or_init(Instant::now).elapsed().as_nanos() / 100) as u64
    }
}

/// A flat, fully accessible little-endian memory at guest addresses `base..base+len`.
/// Every other address faults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlatMemory {
    pub base: u64,
    pub bytes: Vec<u8>,
}

impl FlatMemory {
    pub fn new(base: u64, len: usize) -> FlatMemory {
        FlatMemory {
            base,
            bytes: vec![0; len],
        }
    }

    fn range(&self, addr: u64, n: usize, access: Access) -> Result<usize, MemFault> {
        let off = addr.wrapping_sub(self.base);
        if off < self.bytes.len() as u64 && self.bytes.len() as u64 - off >= n as u64 {
            Ok(off as usize)
        } else {
            Err(MemFault { addr, access })
        }
    }

    // Loads and stores are a large part of what guest code does: inlined, each is a bounds
    // check and a move, with the fault path out of line.
    #[inline(always)]
    fn read<const N: usize>(&self, addr: u64, access: Access) -> Result<[u8; N], MemFault> {
        let off = addr.wrapping_sub(self.base) as usize;
        match self.bytes.get(off..).and_then(|b| b.first_chunk::<N>()) {
            Some(b) => Ok(*b),
            None => Err(fault(addr, access)),
        }
    }

    #[inline(always)]
    fn write<const N: usize>(&mut self, addr: u64, v: [u8; N]) -> Result<(), MemFault> {
        let off = addr.wrapping_sub(self.base) as usize;
        match self
            .bytes
            .get_mut(off..)
            .and_then(|b| b.first_chunk_mut::<N>())
        {
            Some(b) => {
                *b = v;
                Ok(())
            }
            None => Err(fault(addr, Access::Write)),
        }
    }

    /// Copies `data` in at `addr`; panics if it does not fit (a test setup error).
    pub fn write_bytes(&mut self, addr: u64, data: &[u8]) {
        let off = self
            .range(addr, data.len(), Access::Write)
            .expect("write_bytes outside memory");
        self.bytes[off..off + data.len()].copy_from_slice(data);
    }
}

/// The fault of an access outside the memory, kept out of the inlined fast path.
#[cold]
fn fault(addr: u64, access: Access) -> MemFault {
    MemFault { addr, access }
}

impl Bus for FlatMemory {
    #[inline]
    fn load8(&mut self, addr: u64) -> Result<u8, MemFault> {
        Ok(self.read::<1>(addr, Access::Read)?[0])
    }
    #[inline]
    fn load16(&mut self, addr: u64) -> Result<u16, MemFault> {
        self.read(addr, Access::Read).map(u16::from_le_bytes)
    }
    #[inline]
    fn load32(&mut self, addr: u64) -> Result<u32, MemFault> {
        self.read(addr, Access::Read).map(u32::from_le_bytes)
    }
    #[inline]
    fn load64(&mut self, addr: u64) -> Result<u64, MemFault> {
        self.read(addr, Access::Read).map(u64::from_le_bytes)
    }
    #[inline]
    fn store8(&mut self, addr: u64, v: u8) -> Result<(), MemFault> {
        self.write(addr, [v])
    }
    #[inline]
    fn store16(&mut self, addr: u64, v: u16) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    #[inline]
    fn store32(&mut self, addr: u64, v: u32) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    #[inline]
    fn store64(&mut self, addr: u64, v: u64) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    #[inline]
    fn fetch16(&mut self, addr: u64) -> Result<u16, MemFault> {
        self.read(addr, Access::Execute).map(u16::from_le_bytes)
    }
}
