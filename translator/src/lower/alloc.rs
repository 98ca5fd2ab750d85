//! The block's register allocation: which guest register lives in which host register while
//! the block runs, from the use counts of the analysis (liveness.rs).
//!
//! ```text
//!   between blocks   rbx r12 rdi r8 r9 r10 r11 = sp a0..a5, r14 = instret   (abi::MAPPED)
//!   inside a block   the same, plus the block's most used other guest registers in
//!                      r13, rsi          free: rsi is scratch, r13 unused between blocks
//!                      a mapped host     whose guest the block uses less (stored at the
//!                                        prologue, reloaded at every exit)
//!                      r14               instret moves to a frame slot (abi::INSTRET_SLOT)
//! ```
//!
//! A host register is given when the guest register's uses pay for what it costs: a load in
//! the prologue and a store at the exits (of a register the block writes), plus the
//! displaced mapped register's own uses, or the instret traffic r14's slot adds. In a block
//! that loops to its own start, uses count per iteration and the prologue once per loop.
//! Spills and fills happen only at exits and helper calls; a fault finds the guest register
//! of each host register in `Lowered::map`.

use super::liveness::Analysis;
use super::{Lower, ADDR, T2};
use crate::abi::{self, INSTRET, INSTRET_SLOT};
use isa_a::XReg;
use isa_b::{Gpr, Mem, Xmm, W};

/// A guest register number and a host register.
pub(super) type Pair = (usize, Gpr);

/// Where a host register the block gives to a guest register comes from.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Source {
    /// Unused between blocks.
    Free,
    /// The host register of this mapped guest register.
    Mapped(usize),
    /// r14, whose instret moves to the frame.
    Instret,
}

/// A block's allocation.
pub(super) struct Alloc {
    /// The host register of each guest register inside the block.
    pub regs: [Option<Gpr>; 32],
    /// Guest registers loaded into host registers at the block's start (stored back at its
    /// exits if it writes them), and mapped ones whose host register the block takes over.
    pub locals: Vec<Pair>,
    pub stolen: Vec<Pair>,
    /// Whether r14 holds a guest register; instret is then in the frame's slot.
    pub instret_taken: bool,
    /// The scratch register guest addresses are computed in: rsi, or rdx when rsi is given
    /// to a guest register.
    pub addr: Gpr,
    /// Whether the block writes each guest register.
    pub written: [bool; 32],
    /// The registers the first n instructions write (liveness.rs), and whether the block
    /// loops to its start (then any exit may follow writes of an earlier iteration).
    pub written_before: Vec<u32>,
    pub looping: bool,
    /// FP registers mirrored in SSE registers (fregs.rs), the FP registers the block writes
    /// and those its first n instructions write (bit masks).
    pub fregs: [Option<Xmm>; 32],
    pub fwritten: u32,
    pub fwritten_before: Vec<u32>,
}

/// The mapping between blocks (abi::MAPPED).
fn global_regs() -> [Option<Gpr>; 32] {
    let mut regs = [None; 32];
    for (g, h) in abi::MAPPED {
        regs[g as usize] = Some(h);
    }
    regs
}

/// The allocation for a block with the facts `a`.
pub(super) fn plan(a: &Analysis) -> Alloc {
    let uses = &a.uses;
    // What a host register costs, in guest register uses: the prologue's load and the
    // exits' store are paid once per loop in a looping block.
    let (base, displace, instret) = if a.looping { (1, 0, 2) } else { (2, 2, 4) };
    let mut hosts: Vec<(u32, Source, Gpr)> = vec![(0, Source::Free, Gpr::R13)];
    if !a.atomics {
        hosts.push((0, Source::Free, ADDR));
    }
    for (p, h) in abi::MAPPED {
        let p = p as usize;
        hosts.push((displace + uses[p], Source::Mapped(p), h));
    }
    hosts.push((instret, Source::Instret, INSTRET));
    hosts.sort_by_key(|&(cost, ..)| cost);

    let mut want: Vec<usize> = (1..32)
        .filter(|&g| abi::host_reg(XReg::new(g as u32)).is_none() && uses[g] > 0)
        .collect();
    want.sort_by_key(|&g| std::cmp::Reverse(uses[g]));

    let mut out = Alloc {
        regs: global_regs(),
        locals: Vec::new(),
        stolen: Vec::new(),
        instret_taken: false,
        addr: ADDR,
        written: a.written,
        written_before: a.written_before.clone(),
        looping: a.looping,
        fregs: super::fregs::assign(&a.freads, &a.fwrites),
        fwritten: *a.fwritten_before.last().unwrap_or(&0),
        fwritten_before: a.fwritten_before.clone(),
    };
    for (g, (cost, source, h)) in want.into_iter().zip(hosts) {
        if uses[g] < base + cost {
            break;
        }
        match source {
            Source::Free if h == ADDR => out.addr = T2,
            Source::Free => {}
            Source::Mapped(p) => {
                out.stolen.push((p, h));
                out.regs[p] = None;
            }
            Source::Instret => out.instret_taken = true,
        }
        out.locals.push((g, h));
        out.regs[g] = Some(h);
    }
    out
}

impl Alloc {
    /// Whether the block has a prologue (host registers or FP mirrors to load).
    pub fn has_prologue(&self) -> bool {
        !self.locals.is_empty() || self.fregs.iter().any(Option::is_some)
    }
}

/// The frame slot holding instret while r14 holds a guest register.
fn instret_slot() -> Mem {
    Mem::at(Gpr::Rsp, INSTRET_SLOT)
}

impl Lower<'_> {
    /// Moves from the mapping between blocks to the block's own.
    pub(super) fn prologue(&mut self) {
        for &(p, h) in &self.ra.stolen {
            self.e.store(W::B64, abi::x_slot(p), h);
        }
        if self.ra.instret_taken {
            self.e.store(W::B64, instret_slot(), INSTRET);
        }
        for &(g, h) in &self.ra.locals {
            self.e.load(W::B64, h, abi::x_slot(g));
        }
        self.reload_mirrors();
        let mut start = self.body_start;
        self.e.bind(&mut start);
        self.inside = true;
    }

    /// Moves back to the mapping between blocks: before every way out of the block. Moves
    /// only: the flags survive.
    pub(super) fn epilogue(&mut self) {
        self.epilogue_after(0);
    }

    /// The epilogue of an exit after the block's first `n` instructions (0: anywhere): only
    /// registers they write are stored, unless the block loops.
    pub(super) fn epilogue_after(&mut self, n: usize) {
        let before = |w: &Vec<u32>| match w.get(n) {
            Some(&w) if n > 0 && !self.ra.looping => w,
            _ => u32::MAX,
        };
        let (written, fwritten) = (
            before(&self.ra.written_before),
            before(&self.ra.fwritten_before),
        );
        self.store_mirrors(fwritten);
        for &(g, h) in &self.ra.locals {
            if self.ra.written[g] && written >> g & 1 != 0 {
                self.e.store(W::B64, abi::x_slot(g), h);
            }
        }
        for &(p, h) in &self.ra.stolen {
            self.e.load(W::B64, h, abi::x_slot(p));
        }
        if self.ra.instret_taken {
            self.e.load(W::B64, INSTRET, instret_slot());
        }
        self.inside = false;
    }

    /// Writes every register the block holds in a host register back to the `Cpu`, and the
    /// mirrors of the FP registers it writes.
    pub(super) fn spill(&mut self) {
        self.store_mirrors(u32::MAX);
        for g in 1..32 {
            if let Some(h) = self.ra.regs[g] {
                self.e.store(W::B64, abi::x_slot(g), h);
            }
        }
    }

    /// Loads them again.
    pub(super) fn reload(&mut self) {
        for g in 1..32 {
            if let Some(h) = self.ra.regs[g] {
                self.e.load(W::B64, h, abi::x_slot(g));
            }
        }
    }

    /// Guest `r`'s host register in this block.
    pub(super) fn host(&self, r: XReg) -> Option<Gpr> {
        self.ra.regs[r.num()]
    }

    /// Where this block's instret (of its start) is at this point: r14, or while the
    /// allocation is in place and has taken r14, the frame slot (`extra` bytes further when
    /// called from the helper thunk, under its return address and padding).
    pub(super) fn instret_mem(&self, extra: i32) -> Option<Mem> {
        (self.inside && self.ra.instret_taken).then(|| Mem::at(Gpr::Rsp, INSTRET_SLOT + extra))
    }
}
