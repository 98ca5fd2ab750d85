//! One guest block to one host function.
//!
//! ```text
//!   [Decoded] ──visit each──▶ Lower (impl Visitor) ──Emitter──▶ body │ cold paths
//!                              alu.rs  mem.rs  branch.rs             │ (slow memory accesses,
//!                              helper calls for the rest (FP, CSR)   │  budget and chain stubs)
//! ```
//!
//! Within a block r14 holds what is left of the slice at the block's start (the stop minus
//! instret, abi.rs); the end takes off the block's length, and a budget check is a `sub` or
//! `cmp` and a `jle`. Every point that leaves the block first makes `cpu.pc` and r14 exact
//! for it.
//!
//! `Lower` keeps its state in groups with one owner each: the analyses made before any code
//! ([`plan::Plan`], read-only while emitting), the register allocation in force
//! ([`regions::Allocation`]), the instruction being lowered (`Cursor`), the labels and
//! records assembly needs (`Output`), and the cold paths queued for after the body
//! ([`cold::ColdQueue`]).

mod address_values;
mod addressing;
mod alloc;
mod alu;
mod amo;
mod andn;
mod bounds;
mod branch;
mod budget;
mod calls;
mod checked;
mod cold;
mod extension;
mod flags;
mod fp;
mod fp_arith;
mod fp_flags;
mod fp_s;
mod fp_select;
mod fregs;
mod fuse;
mod inner_loop;
mod join;
mod lazy;
pub mod liveness;
mod mem;
mod plan;
mod regions;
mod rotate;
mod select;
mod slots;
#[cfg(test)]
mod test_insns;
mod visit;

pub use branch::unrolled_count;
pub use budget::Budget;
pub use checked::counts as check_counts;
pub use checked::indexed_count as indexed_check_count;
pub use extension::counts as extension_counts;
pub use flags::count as flags_count;
pub use fuse::counts as fusion_counts;
pub use inner_loop::count as inner_loop_count;
pub use join::count as join_count;
pub use lazy::crossed_counts;
pub use select::count as select_count;

use crate::abi::{self, Reason, CPU, CTX_SLOT, INSTRET, STOP_SLOT};
use cold::{Cold, ColdQueue};
use isa_a::{Decoded, XReg};
use isa_b::{Alu, Assembled, Cc, Emitter, Gpr, HostFeatures, Label, Mem, W};
use plan::Plan;
use regions::Allocation;

/// Scratch registers.
const T0: Gpr = Gpr::Rax;
const T1: Gpr = Gpr::Rcx;
const T2: Gpr = Gpr::Rdx;
const ADDR: Gpr = Gpr::Rsi;

/// A place translated code may leave the block to another block.
pub struct ChainSite {
    /// The patchable `jmp rel32`.
    pub site: Label,
    /// Its initial target: a stub exiting with [`Reason::Chain`].
    pub stub: Label,
    pub target: u64,
}

/// The lowering of one block: the emitter, the block, and the state it keeps while emitting,
/// grouped by who owns it.
pub struct Lower<'a> {
    pub e: Emitter,
    insns: &'a [Decoded],
    start: u64,
    /// The instruction being lowered.
    cur: Cursor,
    /// What the analyses decided before any code was emitted.
    plan: Plan,
    /// The register allocation in force (regions.rs).
    alloc: Allocation,
    /// The labels and records assembly and the code cache need.
    out: Output,
    /// The cold paths waiting to be emitted after the body (cold.rs).
    cold: ColdQueue,
}

/// The instruction being lowered.
struct Cursor {
    /// Where it lives, its index and length.
    pc: u64,
    idx: usize,
    len: u8,
    /// Set once the block's end has been emitted.
    ended: bool,
    /// The register holding the current memory instruction's guest address, and what to add
    /// to it (non-zero only for an access with no limit check).
    addr: Gpr,
    disp: i32,
    /// The guest register whose value the host flags were last set from (flags.rs).
    flags: Option<flags::Flags>,
    /// Where the host flags were set from r14's count, by [`Lower::advance_instret_flags`]
    /// (an emitter mark, [`isa_b::Emitter::flags_kept`]).
    count_flags: Option<usize>,
}

/// Labels the body jumps to, and what it records for assembly and the code cache.
struct Output {
    /// The jump to the common exit routine.
    exit: Label,
    /// Where the body starts, after the prologue: a branch back to the block's own start
    /// jumps here, in the first region's allocation (see [`Lower::loop_back`]).
    body_start: Label,
    /// Each region's helper thunk, and whether anything calls it.
    thunks: Vec<(Label, bool)>,
    chains: Vec<ChainSite>,
    /// Guest accesses: the host instruction, its guest instruction, store or not, the
    /// registers left unextended there (lazy.rs).
    faults: Vec<(Label, usize, bool, u32)>,
    /// The pairs lowered as one (fuse.rs).
    fused: Vec<fuse::Fusion>,
}

/// The result of lowering: assembled code and its chain sites.
pub struct Lowered {
    pub code: Assembled,
    pub chains: Vec<ChainSite>,
    pub faults: Vec<(Label, usize, bool, u32)>,
    /// For each region: its first instruction and (guest register, index into
    /// abi::ALLOCATABLE) inside it.
    pub maps: Box<[crate::cache::RegionMap]>,
    /// (FP register, index into abi::MIRRORED) of the mirrors inside the block (fregs.rs).
    pub fmap: Box<[(u8, u8)]>,
    pub alloc: crate::cache::AllocStats,
}

/// What a block is lowered for, the same for every block of a code cache.
#[derive(Copy, Clone, Debug)]
pub struct Target {
    /// Guest addresses below it are accessible.
    pub limit: u64,
    /// Where the budget is checked.
    pub budget: Budget,
    /// Whether a branch back to an earlier instruction of its block may stay inside it
    /// (inner_loop.rs): only with the budget looked at at back edges and blocks chained.
    pub loops: bool,
    /// The host extensions the code may use.
    pub host: HostFeatures,
}

/// Lowers `insns` (a block starting at `pc`) to code assembled at `at`, with the common exit
/// routine at `exit_addr`, for `target`.
pub fn lower(
    insns: &[Decoded],
    pc: u64,
    at: u64,
    exit_addr: u64,
    jump_table: u64,
    target: Target,
) -> Lowered {
    let mut l = Lower::new(insns, pc, jump_table, target);
    l.prologue();
    l.body();
    l.emit_cold();
    fuse::record(&l.out.fused);
    for r in 0..l.alloc.regions.len() {
        if l.out.thunks[r].1 {
            l.alloc.set(r);
            l.emit_thunk();
        }
    }
    let mut exit = l.out.exit;
    l.e.bind(&mut exit);
    l.e.jmp_abs(exit_addr);
    let maps = (l.alloc.regions.iter())
        .map(|r| {
            let map = (1..32)
                .filter_map(|g| {
                    let h = r.regs[g]?;
                    let i = abi::ALLOCATABLE.iter().position(|&a| a == h)?;
                    Some((g as u8, i as u8))
                })
                .collect();
            (r.first as u32, map)
        })
        .collect();
    let fmap = l.fmap();
    let fp_kept = l.keeps_fp_writes();
    let mut code = l.e.assemble(at);
    for c in &l.out.chains {
        let stub = code.label_addr(&c.stub);
        code.set_jmp(&c.site, stub);
    }
    let helpers = l.out.thunks.iter().any(|t| t.1);
    let rs = &l.alloc.regions;
    let alloc = crate::cache::AllocStats {
        instret_taken: rs.iter().any(|r| r.instret_taken) as u64,
        rsi_taken: rs.iter().any(|r| r.addr != ADDR) as u64,
        displaced: (rs.iter().flat_map(|r| &r.stolen)).any(|&(p, _)| l.plan.facts.uses[p] > 0)
            as u64,
        dead: l.plan.facts.dead.iter().filter(|&&d| d).count() as u64,
        fp_kept: fp_kept as u64,
        fp_kept_accesses: (fp_kept && !l.out.faults.is_empty()) as u64,
        fp_kept_helpers: (fp_kept && helpers) as u64,
        regions: rs.len() as u64 - 1,
        late_accesses: (rs.len() > 1 && l.out.faults.iter().any(|f| f.1 >= rs[1].first)) as u64,
        late_helpers: l.out.thunks[1..].iter().any(|t| t.1) as u64,
        looping_regions: (rs.len() > 1 && l.plan.facts.looping) as u64,
    };
    Lowered {
        code,
        chains: l.out.chains,
        faults: l.out.faults,
        maps,
        fmap,
        alloc,
    }
}

impl<'a> Lower<'a> {
    fn new(insns: &'a [Decoded], pc: u64, jump_table: u64, target: Target) -> Lower<'a> {
        let mut e = Emitter::new();
        let plan = Plan::new(insns, pc, &mut e, jump_table, target);
        let starts = regions::starts(insns.len(), &plan.joins.pairs(), &plan.rotates);
        let alloc = Allocation::new(alloc::plan(&plan.facts, &starts));
        let out = Output {
            exit: e.label(),
            body_start: e.label(),
            thunks: alloc.regions.iter().map(|_| (e.label(), false)).collect(),
            chains: Vec::new(),
            faults: Vec::new(),
            fused: Vec::new(),
        };
        Lower {
            e,
            insns,
            start: pc,
            cur: Cursor {
                pc,
                idx: 0,
                len: 0,
                ended: false,
                addr: alloc.ra.addr,
                disp: 0,
                flags: None,
                count_flags: None,
            },
            plan,
            alloc,
            out,
            cold: ColdQueue::default(),
        }
    }

    /// The block's instructions; twice for a loop whose later iterations know more
    /// extended registers than its first ([`extension::loop_facts`]): the first copy, entered
    /// from the prologue, branches back into the second, which branches back to itself.
    fn body(&mut self) {
        // A block with joins is lowered once: its join targets' labels are bound once.
        let later = extension::loop_facts(self.insns, self.start, &self.plan.ext)
            .filter(|_| self.keeps_allocation(self.start) && !self.plan.joins.any());
        if let Some(later) = later {
            let mut again = self.e.label();
            self.out.body_start = again;
            self.body_once();
            self.e.bind(&mut again);
            self.alloc.inside = true;
            self.cur.ended = false;
            self.plan.ext = later;
            extension::saved(extension::Saved::Peeled);
        }
        self.body_once();
    }

    fn body_once(&mut self) {
        // Each copy of the body starts in the first region's allocation.
        self.alloc.set(0);
        let pcs = crate::superblock::pcs(self.start, self.insns);
        // Instructions already lowered by a fusion with the one before.
        let mut fused = 0;
        for (i, (d, pc)) in self.insns.iter().zip(pcs).enumerate() {
            if fused > 0 {
                fused -= 1;
                continue;
            }
            self.cur.idx = i;
            self.cur.len = d.len;
            self.cur.pc = pc;
            if self.alloc.starts_region(i) {
                self.transition(self.alloc.region_of(i), i);
            }
            self.bind_join(i);
            if self.plan.facts.dead[i] {
                continue;
            }
            if let Some(n) = self.select() {
                fused = n;
                continue;
            }
            match self.fuse() {
                Some(n) => fused = n,
                None => d.insn.visit(self),
            }
        }
        self.cur.pc = match self.insns.last() {
            Some(d) => self.cur.pc.wrapping_add(d.len as u64),
            None => self.start,
        };
        if !self.cur.ended {
            // The block stopped at its length limit or before an undecodable instruction.
            self.advance_instret_flags(self.insns.len());
            self.epilogue();
            // On to the next instruction: forward, checked only for an exact budget.
            self.goto(self.cur.pc, self.plan.budget == Budget::Exact);
        }
    }
}

impl Lower<'_> {
    /// The address after the current instruction.
    fn next_pc(&self) -> u64 {
        self.cur.pc.wrapping_add(self.cur.len as u64)
    }

    /// A register holding guest `r`'s value: its host register, or `scratch` loaded from the
    /// `Cpu` (zeroed for x0; only the low half of one left unextended, lazy.rs).
    fn read(&mut self, r: XReg, scratch: Gpr) -> Gpr {
        if r.num() == 0 {
            self.e.mov_ri(scratch, 0);
            scratch
        } else if let Some(h) = self.host(r) {
            h
        } else {
            self.e
                .load(self.slot_width(r), scratch, abi::x_slot(r.num()));
            scratch
        }
    }

    /// Copies guest `r` into `d`.
    fn read_into(&mut self, r: XReg, d: Gpr) {
        let s = self.read(r, d);
        if s != d {
            self.e.mov_rr(W::B64, d, s);
        }
    }

    /// The register to compute guest `rd`'s new value in: its host register when that does
    /// not clobber a source still needed (`avoid`), else `T0`.
    fn target(&mut self, rd: XReg, avoid: &[XReg]) -> Gpr {
        match self.host(rd) {
            Some(h) if !avoid.contains(&rd) => h,
            _ => T0,
        }
    }

    /// Makes guest `rd` hold the value computed in `v` (dropped for x0).
    fn write(&mut self, rd: XReg, v: Gpr) {
        if rd.num() == 0 {
            return;
        }
        match self.host(rd) {
            Some(h) if h == v => {}
            Some(h) => self.e.mov_rr(W::B64, h, v),
            None => self.e.store(W::B64, abi::x_slot(rd.num()), v),
        }
    }

    /// `rd = v` for a constant.
    fn write_imm(&mut self, rd: XReg, v: u64) {
        if rd.num() == 0 {
            return;
        }
        match self.host(rd) {
            Some(h) => self.e.mov_ri(h, v as i64),
            None if v as i64 == v as i32 as i64 => {
                self.e.store_imm(W::B64, abi::x_slot(rd.num()), v as i32)
            }
            None => {
                self.e.mov_ri(T0, v as i64);
                self.e.store(W::B64, abi::x_slot(rd.num()), T0);
            }
        }
    }

    fn set_pc(&mut self, pc: u64) {
        if pc as i64 == pc as i32 as i64 {
            self.e.store_imm(W::B64, abi::pc_slot(), pc as i32);
        } else {
            self.e.mov_ri(T1, pc as i64);
            self.e.store(W::B64, abi::pc_slot(), T1);
        }
    }

    /// instret += n, that is r14 -= n: without touching the flags in r14; in the frame slot
    /// while the block has taken r14 (flags clobbered: no caller has any live then).
    fn advance_instret(&mut self, n: usize) {
        self.cur.count_flags = None;
        if n == 0 {
            return;
        }
        match self.instret_mem(0) {
            Some(m) => self.e.alu_mi(Alu::Sub, W::B64, m, n as i32),
            None => self.e.lea(INSTRET, Mem::at(INSTRET, -(n as i32))),
        }
    }

    /// [`Self::advance_instret`] by `n` with a `sub`, for a block end whose budget check
    /// follows: where only moves come between (an epilogue, or nothing), the check then
    /// takes its flags.
    fn advance_instret_flags(&mut self, n: usize) {
        let n = n as i32;
        match self.instret_mem(0) {
            Some(m) => self.e.alu_mi(Alu::Sub, W::B64, m, n),
            None => self.e.alu_ri(Alu::Sub, W::B64, INSTRET, n),
        }
        self.cur.count_flags = Some(self.e.len());
    }

    /// Compares what is left of the slice with `retired` more of this block's instructions;
    /// returns the condition under which the budget is spent.
    fn cmp_budget(&mut self, retired: usize) -> Cc {
        let n = retired as i32;
        let counted = self.cur.count_flags.take();
        if n == 0 && counted.is_some_and(|mark| self.e.flags_kept(mark)) {
            // The flags of advance_instret_flags's `sub` (from the frame slot, which the
            // epilogue has moved back into r14 if the block had taken it).
            return Cc::Le;
        }
        match self.instret_mem(0) {
            Some(m) => self.e.alu_mi(Alu::Cmp, W::B64, m, n),
            None if n == 0 => self.e.alu_rr(Alu::Test, W::B64, INSTRET, INSTRET),
            None => self.e.alu_ri(Alu::Cmp, W::B64, INSTRET, n),
        }
        Cc::Le
    }

    /// Leaves the block here: `cpu.pc = pc`, `retired` of its instructions counted.
    fn leave(&mut self, pc: u64, reason: Reason, retired: usize) {
        self.set_pc(pc);
        self.advance_instret(retired);
        self.e.mov_ri(T0, reason as i64);
        self.e.jmp(self.out.exit);
        self.cur.ended = true;
    }

    /// Whether a jump to the block's own start should skip its prologue: when there is one
    /// (host registers or FP mirrors to load).
    fn keeps_allocation(&self, target: u64) -> bool {
        // Only where the analysis saw the loop: its exits then store every register the
        // block writes. A fused `auipc`+`jalr` back to the start is a loop it does not see.
        target == self.start
            && self.alloc.ra.looping
            && self.alloc.regions.iter().any(|r| r.has_prologue())
    }

    /// Goes back to the block's body, its allocation still in place (r14 already counts
    /// this block): out through the epilogue if the budget is spent, else through the
    /// transition to the first region's allocation (regions.rs).
    fn loop_back(&mut self) {
        self.budget_check(self.start, true);
        if self.alloc.region != 0 {
            self.transition(0, 0);
        }
        self.e.jmp(self.out.body_start);
        self.cur.ended = true;
    }

    /// Leaves for the dispatcher at `pc` if the budget is spent (r14 counts this block), with
    /// the epilogue on the way out when the block's allocation is still in place (`restore`).
    fn budget_check(&mut self, pc: u64, restore: bool) {
        let budget = self.e.label();
        let spent = self.cmp_budget(0);
        self.e.jcc(spent, budget);
        self.push_cold(Cold::Exit {
            entry: budget,
            pc,
            reason: Reason::Budget,
            retired: 0,
            restore,
            // At the block's end, where nothing is left unextended (the end of a looped
            // block's branch extends its own, lazy.rs), or in a cold path which has.
            unextended: 0,
        });
    }

    /// Goes on at guest `target` (r14 already counts this block): out if the budget is spent
    /// (and looked at here, `check`), else through a patchable jump that starts as a stub
    /// into the dispatcher.
    fn goto(&mut self, target: u64, check: bool) {
        if check {
            self.budget_check(target, false);
        }
        self.chain(None, target);
        self.cur.ended = true;
    }

    /// A patchable jump (conditional on `cc`, or not) to guest `target`'s code, starting as a
    /// stub into the dispatcher, which patches it once that code exists.
    fn chain(&mut self, cc: Option<isa_b::Cc>, target: u64) {
        let mut site = self.e.label();
        match cc {
            Some(cc) => self.e.patchable_jcc(cc, &mut site),
            None => self.e.patchable_jmp(&mut site),
        }
        self.chain_stub(site, target);
    }

    /// Makes the patchable jump at `site` a chain to guest `target`, starting at its stub.
    fn chain_stub(&mut self, site: Label, target: u64) {
        let stub = self.e.label();
        self.push_cold(Cold::Chain {
            stub,
            site,
            pc: target,
        });
        self.out.chains.push(ChainSite { site, stub, target });
    }

    /// A cold helper call of this instruction, entered at `slow`; returns the label to resume
    /// at after it. Every fast path that can fall back (the limit, alignment, an unboxed
    /// single, a conversion's NaN) ends here.
    pub(super) fn slow_path(&mut self, slow: isa_b::Label) -> isa_b::Label {
        let resume = self.e.label();
        self.push_cold(Cold::Helper {
            entry: slow,
            resume,
            idx: self.cur.idx,
            restore: None,
        });
        resume
    }

    /// Ends a native instruction whose fast path may jump to `slow`: the helper there, then
    /// back here.
    pub(super) fn resume_after(&mut self, slow: isa_b::Label) {
        let mut resume = self.slow_path(slow);
        self.e.bind(&mut resume);
    }

    /// Runs the current instruction through the interpreter's helper, inline.
    fn helper(&mut self) {
        self.call_helper(self.cur.idx);
    }

    /// A CSR instruction through the helper; a `frm` the host cannot round in (rmm, or an
    /// invalid value) leaves for the dispatcher, which interprets until it changes.
    pub(super) fn csr(&mut self) {
        self.helper();
        let out = self.e.label();
        self.e.load(W::B32, T0, abi::fcsr_slot());
        self.e.alu_ri(Alu::And, W::B32, T0, 0xe0);
        self.e.alu_ri(Alu::Cmp, W::B32, T0, 4 << 5);
        self.e.jcc(isa_b::Cc::Ae, out);
        // The rest of the interpreter's block runs before the budget is looked at: up to
        // the next instruction that ends a block (the parts of a superblock end there), or
        // the superblock's end. A superblock goes through a cut at the decoder's length limit
        // only when the budget is looked at at back edges alone: running on past the cut
        // is then no later than translated code would look.
        let end = self.insns[self.cur.idx + 1..]
            .iter()
            .position(|d| isa_a::ends_block(&d.insn))
            .map_or(self.insns.len() - 1, |p| self.cur.idx + 1 + p);
        self.push_cold(Cold::Rounding {
            entry: out,
            pc: self.next_pc(),
            retired: self.cur.idx + 1,
            left: end - self.cur.idx,
        });
    }

    /// The helper call for instruction `idx`: two instructions here, the rest in its
    /// region's helper thunk ([`Lower::emit_thunk`]).
    fn call_helper(&mut self, idx: usize) {
        self.e.mov_ri(T0, idx as i64);
        let thunk = &mut self.out.thunks[self.alloc.region];
        thunk.1 = true;
        let label = thunk.0;
        self.e.call_label(label);
    }

    /// The current region's helper thunk (each spills and reloads its own region's
    /// registers), called with the instruction's index in eax: registers
    /// written back, instret exact (pc is set by [`abi::helper_at`]), the interpreter run on
    /// the instruction, registers reloaded; returns, or on a trap leaves the block through
    /// its exit.
    fn emit_thunk(&mut self) {
        let mut thunk = self.out.thunks[self.alloc.region].0;
        self.e.bind(&mut thunk);
        // The call pushed 8 bytes: 8 more keep the stack aligned for the helper.
        self.e.alu_ri(Alu::Sub, W::B64, Gpr::Rsp, 8);
        self.alloc.inside = true;
        self.spill();
        // instret = stop - r14 + eax.
        self.e.load(W::B64, T2, Mem::at(Gpr::Rsp, 16 + STOP_SLOT));
        match self.instret_mem(16) {
            Some(m) => self.e.alu_rm(Alu::Sub, W::B64, T2, m),
            None => self.e.alu_rr(Alu::Sub, W::B64, T2, INSTRET),
        }
        self.e.alu_rr(Alu::Add, W::B64, T2, T0);
        self.e.store(W::B64, abi::instret_slot(), T2);
        self.e
            .load(W::B64, Gpr::Rdi, Mem::at(Gpr::Rsp, 16 + CTX_SLOT));
        self.e.mov_rr(W::B64, Gpr::Rsi, CPU);
        self.e.mov_ri(Gpr::Rdx, self.insns.as_ptr() as i64);
        self.e.mov_rr(W::B32, Gpr::Rcx, T0);
        self.e.mov_ri(Gpr::R8, self.start as i64);
        self.e.mov_ri(T0, abi::helper_at as *const () as i64);
        self.e.call_reg(T0);
        self.e.alu_ri(Alu::Add, W::B64, Gpr::Rsp, 8);
        self.reload();
        self.reload_mirrors();
        let mut trapped = self.e.label();
        self.e.alu_rr(Alu::Test, W::B32, T0, T0);
        self.e.jcc(isa_b::Cc::Ne, trapped);
        self.e.ret();
        // rax holds the reason, the helper set pc, and instret counts what retired before
        // the instruction; the return address is dropped.
        // The epilogue first: it reloads r14 from the frame when the block has taken it.
        self.e.bind(&mut trapped);
        self.e.alu_ri(Alu::Add, W::B64, Gpr::Rsp, 8);
        self.epilogue();
        abi::load_count(&mut self.e);
        self.e.jmp(self.out.exit);
    }
}
