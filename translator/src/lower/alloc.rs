//! The block's register allocation: which guest register lives in which host register while
//! each region of the block runs (regions.rs), from the use counts of the analysis
//! (liveness.rs).
//!
//! ```text
//!   between blocks   rbx r12 rdi r8 r9 r10 r11 = sp a0..a5, r14 = the count  (abi::MAPPED)
//!   inside a region  the same, plus the region's most used other guest registers in
//!                      r13, rsi          free: rsi is scratch, r13 unused between blocks
//!                      a mapped host     whose guest the region uses less (stored when the
//!                                        region takes it, reloaded when it is left)
//!                      r14               its count moves to a frame slot (abi::INSTRET_SLOT)
//!
//!   prologue ─▶ region 0 ─transition─▶ region 1 ─ … ─▶ exits (epilogue of their region)
//! ```
//!
//! A host register is given when the guest register's uses pay for what it costs: a load
//! where the region starts and a store where it ends (of a register the block writes), plus
//! the displaced mapped register's own uses, or the instret traffic r14's slot adds. A guest
//! register already in a host register in the region before costs neither, and keeps that
//! host register. A block short enough for one region (or whose registers are live
//! throughout, so that regions would only move them: [`traffic`]) has one allocation for its
//! whole length; in a block that loops to its own start, uses then count per iteration and
//! the prologue once per loop. Spills and fills happen only at region boundaries, exits and
//! helper calls; a fault finds the guest register of each host register in its region's
//! map (`Lowered::maps`).

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

/// What a host register costs a region, in guest register uses (see [`plan`]).
#[derive(Copy, Clone)]
struct Costs {
    /// Loading a guest register and storing it back.
    base: u32,
    /// Storing a mapped register and reloading it.
    displace: u32,
    /// Moving instret to the frame and back, and counting there.
    instret: u32,
}

/// One region's allocation (regions.rs), with the facts of the block every region shares.
#[derive(Clone)]
pub(super) struct Alloc {
    /// The region's first instruction.
    pub first: usize,
    /// The host register of each guest register inside the region.
    pub regs: [Option<Gpr>; 32],
    /// Guest registers loaded into host registers at the region's start (stored back when
    /// it is left if the block wrote them), and mapped ones whose host register the region
    /// takes over.
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
    /// FP registers mirrored in SSE registers (fregs.rs, block-wide), the FP registers the
    /// block writes and those its first n instructions write (bit masks).
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

/// The allocation of each region of a block with the facts `a`, the regions starting at
/// `starts` (regions.rs).
///
/// A block of one region costs as it always has: in a block that loops, uses count per
/// iteration and the prologue once per loop. Each region of a longer block is allocated
/// from the uses inside it, in order, each knowing the allocation before it: a guest
/// register that stays in its host register costs no load or store, a mapped register
/// already displaced and instret already in the frame cost only their uses. In a looping
/// block the regions are planned twice, the first region the second time after the last.
pub(super) fn plan(a: &Analysis, starts: &[usize]) -> Vec<Alloc> {
    let between = Alloc {
        first: 0,
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
    let once = Costs {
        base: 2,
        displace: 2,
        instret: 4 + a.instret_uses,
    };
    if starts.len() <= 1 {
        let looped = Costs {
            base: 1,
            displace: 0,
            instret: 2 + a.instret_uses,
        };
        let costs = if a.looping { looped } else { once };
        return vec![assign(&between, &a.uses, costs, a.atomics)];
    }
    let n = a.ops.len();
    let ends = starts[1..].iter().copied().chain([n]);
    let uses: Vec<[u32; 32]> = starts
        .iter()
        .zip(ends)
        .map(|(&s, e)| a.uses_in(s..e))
        .collect();
    let mut prev = between.clone();
    let mut out = Vec::new();
    for _ in 0..1 + a.looping as usize {
        out.clear();
        for (&first, uses) in starts.iter().zip(&uses) {
            let mut r = assign(&prev, uses, once, a.atomics);
            r.first = first;
            prev = r.clone();
            out.push(r);
        }
    }
    // Regions pay only where registers change hands less often than their uses move to
    // host registers: a block whose registers are all live throughout keeps one.
    let whole = plan(a, &[0]);
    if traffic(a, &out, &uses) < traffic(a, &whole, &[a.uses]) {
        out
    } else {
        whole
    }
}

/// The guest register traffic through memory the allocation `plan` of a block leaves, per
/// run of the block (or of its loop), in loads and stores: the uses of registers without a
/// host register (`uses` of each region), the moves between regions, the prologue and
/// epilogue of a block that does not loop, and the instret kept in the frame.
fn traffic(a: &Analysis, plan: &[Alloc], uses: &[[u32; 32]]) -> u32 {
    let mut t = 0;
    for (r, uses) in plan.iter().zip(uses) {
        t += (1..32)
            .filter(|&g| r.regs[g].is_none())
            .map(|g| uses[g])
            .sum::<u32>();
        t += 2 * r.instret_taken as u32;
    }
    let back = plan
        .last()
        .zip(plan.first())
        .filter(|_| a.looping && plan.len() > 1);
    for (x, y) in plan.windows(2).map(|w| (&w[0], &w[1])).chain(back) {
        for g in 1..32 {
            if x.regs[g] != y.regs[g] {
                t += x.regs[g].is_some() as u32 + y.regs[g].is_some() as u32;
            }
        }
        t += (x.instret_taken != y.instret_taken) as u32;
    }
    if !a.looping {
        let (first, last) = (&plan[0], &plan[plan.len() - 1]);
        t += (first.locals.len() + first.stolen.len()) as u32;
        t += (last.locals.len() + last.stolen.len()) as u32;
    }
    t
}

/// The allocation of a region with the use counts `uses` after `prev`'s.
fn assign(prev: &Alloc, uses: &[u32; 32], costs: Costs, atomics: bool) -> Alloc {
    let mut hosts: Vec<(u32, Source, Gpr)> = vec![(0, Source::Free, Gpr::R13)];
    if !atomics {
        hosts.push((0, Source::Free, ADDR));
    }
    for (p, h) in abi::MAPPED {
        let p = p as usize;
        let displace = if prev.regs[p].is_none() {
            0
        } else {
            costs.displace
        };
        hosts.push((displace + uses[p], Source::Mapped(p), h));
    }
    let instret = if prev.instret_taken {
        costs.instret - 2
    } else {
        costs.instret
    };
    hosts.push((instret, Source::Instret, INSTRET));
    hosts.sort_by_key(|&(cost, ..)| cost);

    // A guest register already in a host register saves its load and store.
    let worth = |g: usize| {
        uses[g]
            + if prev.regs[g].is_some() {
                costs.base
            } else {
                0
            }
    };
    let mut want: Vec<usize> = (1..32)
        .filter(|&g| abi::host_reg(XReg::new(g as u32)).is_none() && uses[g] > 0)
        .collect();
    want.sort_by_key(|&g| std::cmp::Reverse(worth(g)));
    let n = want
        .iter()
        .zip(&hosts)
        .take_while(|&(&g, &(cost, ..))| worth(g) >= costs.base + cost)
        .count();
    // Which guest registers get which of the chosen host registers changes no cost: those
    // that were in one of them stay there.
    let (chosen, mut free) = (&want[..n], hosts[..n].to_vec());
    let mut pairs = Vec::new();
    let mut moved = Vec::new();
    for &g in chosen {
        match free.iter().position(|&(.., h)| prev.regs[g] == Some(h)) {
            Some(i) => pairs.push((g, free.remove(i))),
            None => moved.push(g),
        }
    }
    pairs.extend(moved.into_iter().zip(free));

    let mut out = Alloc {
        first: 0,
        regs: global_regs(),
        locals: Vec::new(),
        stolen: Vec::new(),
        instret_taken: false,
        addr: ADDR,
        ..prev.clone()
    };
    pairs.sort_by_key(|&(g, _)| chosen.iter().position(|&c| c == g));
    for (g, (_, source, h)) in pairs {
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
        for &(p, h) in &self.alloc.ra.stolen {
            self.e.store(W::B64, abi::x_slot(p), h);
        }
        if self.alloc.ra.instret_taken {
            self.e.store(W::B64, instret_slot(), INSTRET);
        }
        for &(g, h) in &self.alloc.ra.locals {
            // Not a value the block writes again before anything can see it.
            if !super::liveness::overwritten_from(self.insns, &self.plan.facts.ops, g as u32, 0) {
                self.e.load(W::B64, h, abi::x_slot(g));
            }
        }
        self.reload_mirrors();
        let mut start = self.out.body_start;
        self.e.bind(&mut start);
        self.alloc.inside = true;
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
            Some(&w) if n > 0 && !self.alloc.ra.looping => w,
            _ => u32::MAX,
        };
        let (written, fwritten) = (
            before(&self.alloc.ra.written_before),
            before(&self.alloc.ra.fwritten_before),
        );
        self.store_mirrors(fwritten);
        for &(g, h) in &self.alloc.ra.locals {
            if self.alloc.ra.written[g] && written >> g & 1 != 0 {
                self.e.store(W::B64, abi::x_slot(g), h);
            }
        }
        for &(p, h) in &self.alloc.ra.stolen {
            self.e.load(W::B64, h, abi::x_slot(p));
        }
        if self.alloc.ra.instret_taken {
            self.e.load(W::B64, INSTRET, instret_slot());
        }
        self.alloc.inside = false;
    }

    /// Writes every register the block holds in a host register back to the `Cpu`, and the
    /// mirrors of the FP registers it writes.
    pub(super) fn spill(&mut self) {
        self.store_mirrors(u32::MAX);
        for g in 1..32 {
            if let Some(h) = self.alloc.ra.regs[g] {
                self.e.store(W::B64, abi::x_slot(g), h);
            }
        }
    }

    /// Loads them again.
    pub(super) fn reload(&mut self) {
        for g in 1..32 {
            if let Some(h) = self.alloc.ra.regs[g] {
                self.e.load(W::B64, h, abi::x_slot(g));
            }
        }
    }

    /// Guest `r`'s host register in this block.
    pub(super) fn host(&self, r: XReg) -> Option<Gpr> {
        self.alloc.ra.regs[r.num()]
    }

    /// Where this block's instret (of its start) is at this point: r14, or while the
    /// allocation is in place and has taken r14, the frame slot (`extra` bytes further when
    /// called from the helper thunk, under its return address and padding).
    pub(super) fn instret_mem(&self, extra: i32) -> Option<Mem> {
        (self.alloc.inside && self.alloc.ra.instret_taken)
            .then(|| Mem::at(Gpr::Rsp, INSTRET_SLOT + extra))
    }
}
