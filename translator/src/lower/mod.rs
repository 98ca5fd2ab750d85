//! One guest block to one host function.
//!
//! ```text
//!   [Decoded] ──visit each──▶ Lower (impl Visitor) ──Emitter──▶ body │ cold paths
//!                              alu.rs  mem.rs  branch.rs             │ (slow memory accesses,
//!                              helper calls for the rest (FP, CSR)   │  budget and chain stubs)
//! ```
//!
//! Within a block r14 holds the instret of the block's start; the end adds the block's
//! length. Every point that leaves the block first makes `cpu.pc` and r14 exact for it.

mod alu;
mod amo;
mod branch;
mod calls;
mod fp;
mod fp_s;
mod fp_select;
mod fregs;
mod mem;
mod visit;

use crate::abi::{self, Reason, CPU, CTX_SLOT, INSTRET, STOP_SLOT};
use isa_a::{Decoded, XReg};
use isa_b::{Alu, Assembled, Emitter, Gpr, Label, Mem, W};

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

/// An out-of-line piece of code, emitted after the block's body.
enum Cold {
    /// The instruction at `idx` through the helper, then back to `resume`.
    Helper {
        entry: Label,
        resume: Label,
        idx: usize,
    },
    /// Leave with `reason`, `cpu.pc = pc`.
    Exit {
        entry: Label,
        pc: u64,
        reason: Reason,
        /// Instructions of the block retired at this exit beyond r14.
        retired: usize,
        /// Whether the block's allocation is still in place there (the epilogue is due).
        restore: bool,
    },
    /// A chain stub: `cpu.pc = target`, aux = the site.
    Chain { stub: Label, site: Label, pc: u64 },
    /// Out with [`Reason::Rounding`] to `pc`, `retired` instructions counted, `left` more
    /// of the interpreter's block to run.
    Rounding {
        entry: Label,
        pc: u64,
        retired: usize,
        left: usize,
    },
    /// The indirect-jump budget exit and lookup miss: `cpu.pc = rsi`.
    ExitToAddr { entry: Label, reason: Reason },
    /// The budget ran out at a block-ending branch: its compare redone, out to whichever
    /// side it takes.
    BranchBudget {
        entry: Label,
        branch: isa_a::format::B,
        cc: isa_b::Cc,
        target: u64,
        next: u64,
    },
    /// A call's return landing (calls.rs): a chain jump at `site` to `pc`.
    ReturnLanding { site: Label, pc: u64 },
    /// The taken side of a branch inside a superblock: `retired` instructions count, then on
    /// to `target` as a block end would.
    Taken {
        entry: Label,
        target: u64,
        retired: usize,
    },
}

pub struct Lower<'a> {
    pub e: Emitter,
    insns: &'a [Decoded],
    start: u64,
    /// Where the instruction being lowered lives, its index and length.
    pc: u64,
    idx: usize,
    len: u8,
    /// The jump to the common exit routine.
    exit: Label,
    cold: Vec<Cold>,
    pub chains: Vec<ChainSite>,
    /// Guest accesses: the host instruction, its guest instruction, store or not.
    faults: Vec<(Label, usize, bool)>,
    /// Where the lookup table for indirect jumps lives.
    jump_table: u64,
    /// Set once the block's end has been emitted.
    ended: bool,
    /// The block's register allocation: the host register of each guest register.
    regs: [Option<Gpr>; 32],
    /// Guest registers this block loads into host registers at its start (and stores back at
    /// its exits if it writes them), and mapped ones whose host register it takes over.
    locals: Vec<Pair>,
    stolen: Vec<Pair>,
    /// The register holding the current memory instruction's guest address.
    addr: Gpr,
    /// The block's helper thunk, and whether anything calls it.
    thunk: Label,
    thunk_used: bool,
    /// Where the body starts, after the prologue: a branch back to the block's own start
    /// jumps here, keeping the block's allocation (see [`Lower::loop_back`]).
    body_start: Label,
    /// Uses and writes of each guest register, counted while lowering.
    uses: [u32; 32],
    written: [bool; 32],
    /// FP registers mirrored in SSE registers in this block (see fregs.rs), and the reads of
    /// each FP register, counted while lowering.
    fregs: [Option<isa_b::Xmm>; 32],
    freads: [u32; 32],
}

/// The result of lowering: assembled code and its chain sites.
pub struct Lowered {
    pub code: Assembled,
    pub chains: Vec<ChainSite>,
    pub faults: Vec<(Label, usize, bool)>,
    /// (guest register, index into abi::ALLOCATABLE) inside the block.
    pub map: Box<[(u8, u8)]>,
}

/// Lowers `insns` (a block starting at `pc`) to code assembled at `at`, with the common exit
/// routine at `exit_addr`.
pub fn lower(insns: &[Decoded], pc: u64, at: u64, exit_addr: u64, jump_table: u64) -> Lowered {
    // A first pass counts register uses under the mapping between blocks; the second lowers
    // under the block's own allocation.
    let mut count = Lower::new(insns, pc, jump_table, global_regs(), Vec::new(), Vec::new());
    count.body();
    let (locals, stolen) = alloc(&count.uses, loops_to_start(insns, pc));
    let mut regs = global_regs();
    for &(g, _) in &stolen {
        regs[g] = None;
    }
    for &(g, h) in &locals {
        regs[g] = Some(h);
    }
    let mut l = Lower::new(insns, pc, jump_table, regs, locals, stolen);
    l.written = count.written;
    l.fregs = fregs::assign(&count.freads);
    l.prologue();
    l.body();
    l.emit_cold();
    if l.thunk_used {
        l.emit_thunk();
    }
    let mut exit = l.exit;
    l.e.bind(&mut exit);
    l.e.jmp_abs(exit_addr);
    let map = (1..32)
        .filter_map(|g| {
            let h = l.regs[g]?;
            let i = abi::ALLOCATABLE.iter().position(|&a| a == h)?;
            Some((g as u8, i as u8))
        })
        .collect();
    let mut code = l.e.assemble(at);
    for c in &l.chains {
        let stub = code.label_addr(&c.stub);
        code.set_jmp(&c.site, stub);
    }
    Lowered {
        code,
        chains: l.chains,
        faults: l.faults,
        map,
    }
}

/// A guest register number and a host register.
type Pair = (usize, Gpr);

/// The mapping between blocks (abi::MAPPED).
fn global_regs() -> [Option<Gpr>; 32] {
    let mut regs = [None; 32];
    for (g, h) in abi::MAPPED {
        regs[g as usize] = Some(h);
    }
    regs
}

/// A block's extra allocation from its register use counts: r13 for the most used guest
/// register that has no host register, and the host register of each mapped guest register
/// the block does not use for the next ones, when their uses pay for the loads and stores
/// at the block's start and exits. In a block that branches back to its own start those
/// are paid once per loop, not once per iteration, so every use pays.
fn alloc(uses: &[u32; 32], looping: bool) -> (Vec<Pair>, Vec<Pair>) {
    let (first, more) = if looping { (1, 1) } else { (2, 4) };
    let mut free: Vec<Pair> = abi::MAPPED
        .iter()
        .filter(|(g, _)| uses[*g as usize] == 0)
        .map(|&(g, h)| (g as usize, h))
        .collect();
    let mut want: Vec<usize> = (1..32)
        .filter(|&g| abi::host_reg(XReg::new(g as u32)).is_none() && uses[g] >= first)
        .collect();
    want.sort_by_key(|&g| std::cmp::Reverse(uses[g]));
    let (mut locals, mut stolen) = (Vec::new(), Vec::new());
    let mut want = want.into_iter();
    if let Some(g) = want.next() {
        locals.push((g, Gpr::R13));
    }
    for g in want {
        if uses[g] < more {
            break;
        }
        let Some((p, h)) = free.pop() else { break };
        stolen.push((p, h));
        locals.push((g, h));
    }
    (locals, stolen)
}

/// Whether the block has a direct branch or jump back to its own start.
fn loops_to_start(insns: &[Decoded], pc: u64) -> bool {
    let pcs = crate::superblock::pcs(pc, insns);
    insns.iter().zip(pcs).any(|(d, at)| {
        let off = match d.insn {
            isa_a::Insn::Jal(j) => Some(j.off),
            isa_a::Insn::Beq(b)
            | isa_a::Insn::Bne(b)
            | isa_a::Insn::Blt(b)
            | isa_a::Insn::Bge(b)
            | isa_a::Insn::Bltu(b)
            | isa_a::Insn::Bgeu(b) => Some(b.off),
            _ => None,
        };
        off.is_some_and(|o| at.wrapping_add(o as i64 as u64) == pc)
    })
}

impl<'a> Lower<'a> {
    fn new(
        insns: &'a [Decoded],
        pc: u64,
        jump_table: u64,
        regs: [Option<Gpr>; 32],
        locals: Vec<Pair>,
        stolen: Vec<Pair>,
    ) -> Lower<'a> {
        let mut e = Emitter::new();
        let exit = e.label();
        let body_start = e.label();
        let thunk = e.label();
        Lower {
            e,
            insns,
            start: pc,
            pc,
            idx: 0,
            len: 0,
            exit,
            cold: Vec::new(),
            chains: Vec::new(),
            faults: Vec::new(),
            jump_table,
            ended: false,
            regs,
            locals,
            stolen,
            uses: [0; 32],
            written: [false; 32],
            fregs: [None; 32],
            freads: [0; 32],
            addr: ADDR,
            thunk,
            thunk_used: false,
            body_start,
        }
    }

    fn body(&mut self) {
        let pcs = crate::superblock::pcs(self.start, self.insns);
        for (i, (d, pc)) in self.insns.iter().zip(pcs).enumerate() {
            self.idx = i;
            self.len = d.len;
            self.pc = pc;
            d.insn.visit(self);
        }
        self.pc = match self.insns.last() {
            Some(d) => self.pc.wrapping_add(d.len as u64),
            None => self.start,
        };
        if !self.ended {
            // The block stopped at its length limit or before an undecodable instruction.
            self.advance_instret(self.insns.len());
            self.epilogue();
            self.goto(self.pc);
        }
    }

    /// Moves from the mapping between blocks to the block's own.
    fn prologue(&mut self) {
        for &(p, h) in &self.stolen {
            self.e.store(W::B64, abi::x_slot(p), h);
        }
        for &(g, h) in &self.locals {
            self.e.load(W::B64, h, abi::x_slot(g));
        }
        self.reload_mirrors();
        let mut start = self.body_start;
        self.e.bind(&mut start);
    }

    /// Moves back to the mapping between blocks: before every way out of the block. Moves
    /// only: the flags survive.
    fn epilogue(&mut self) {
        for &(g, h) in &self.locals {
            if self.written[g] {
                self.e.store(W::B64, abi::x_slot(g), h);
            }
        }
        for &(p, h) in &self.stolen {
            self.e.load(W::B64, h, abi::x_slot(p));
        }
    }

    /// Writes every register the block holds in a host register back to the `Cpu`.
    fn spill(&mut self) {
        for g in 1..32 {
            if let Some(h) = self.regs[g] {
                self.e.store(W::B64, abi::x_slot(g), h);
            }
        }
    }

    /// Loads them again.
    fn reload(&mut self) {
        for g in 1..32 {
            if let Some(h) = self.regs[g] {
                self.e.load(W::B64, h, abi::x_slot(g));
            }
        }
    }

    /// Guest `r`'s host register in this block, counting the use.
    fn host(&mut self, r: XReg) -> Option<Gpr> {
        self.uses[r.num()] += 1;
        self.regs[r.num()]
    }
}

impl Lower<'_> {
    /// The address after the current instruction.
    fn next_pc(&self) -> u64 {
        self.pc.wrapping_add(self.len as u64)
    }

    /// A register holding guest `r`'s value: its host register, or `scratch` loaded from the
    /// `Cpu` (zeroed for x0).
    fn read(&mut self, r: XReg, scratch: Gpr) -> Gpr {
        if r.num() == 0 {
            self.e.mov_ri(scratch, 0);
            scratch
        } else if let Some(h) = self.host(r) {
            h
        } else {
            self.e.load(W::B64, scratch, abi::x_slot(r.num()));
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
        self.written[rd.num()] = true;
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
        self.written[rd.num()] = true;
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

    /// r14 += n without touching the flags.
    fn advance_instret(&mut self, n: usize) {
        if n != 0 {
            self.e.lea(INSTRET, Mem::at(INSTRET, n as i32));
        }
    }

    /// Leaves the block here: `cpu.pc = pc`, `retired` of its instructions counted.
    fn leave(&mut self, pc: u64, reason: Reason, retired: usize) {
        self.set_pc(pc);
        self.advance_instret(retired);
        self.e.mov_ri(T0, reason as i64);
        self.e.jmp(self.exit);
        self.ended = true;
    }

    /// Whether a jump to the block's own start should skip its prologue: when there is one
    /// (host registers or FP mirrors to load).
    fn keeps_allocation(&self, target: u64) -> bool {
        let prologue = !(self.locals.is_empty() && self.stolen.is_empty())
            || self.fregs.iter().any(Option::is_some);
        target == self.start && prologue
    }

    /// Goes back to the block's body, its allocation still in place (r14 already counts
    /// this block): out through the epilogue if the budget is spent.
    fn loop_back(&mut self) {
        self.budget_check(self.start, true);
        self.e.jmp(self.body_start);
        self.ended = true;
    }

    /// Leaves for the dispatcher at `pc` if the budget is spent (r14 counts this block), with
    /// the epilogue on the way out when the block's allocation is still in place (`restore`).
    fn budget_check(&mut self, pc: u64, restore: bool) {
        let budget = self.e.label();
        self.e
            .alu_rm(Alu::Cmp, W::B64, INSTRET, Mem::at(Gpr::Rsp, STOP_SLOT));
        self.e.jcc(isa_b::Cc::Ae, budget);
        self.cold.push(Cold::Exit {
            entry: budget,
            pc,
            reason: Reason::Budget,
            retired: 0,
            restore,
        });
    }

    /// Goes on at guest `target` (r14 already counts this block): out if the budget is spent,
    /// else through a patchable jump that starts as a stub into the dispatcher.
    fn goto(&mut self, target: u64) {
        self.budget_check(target, false);
        self.chain(None, target);
        self.ended = true;
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
        self.cold.push(Cold::Chain {
            stub,
            site,
            pc: target,
        });
        self.chains.push(ChainSite { site, stub, target });
    }

    /// A cold helper call of this instruction, entered at `slow`; returns the label to resume
    /// at after it. Every fast path that can fall back (the limit, alignment, a NaN result)
    /// ends here.
    pub(super) fn slow_path(&mut self, slow: isa_b::Label) -> isa_b::Label {
        let resume = self.e.label();
        self.cold.push(Cold::Helper {
            entry: slow,
            resume,
            idx: self.idx,
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
        self.call_helper(self.idx);
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
        // the superblock's end.
        let end = self.insns[self.idx + 1..]
            .iter()
            .position(|d| isa_a::ends_block(&d.insn))
            .map_or(self.insns.len() - 1, |p| self.idx + 1 + p);
        self.cold.push(Cold::Rounding {
            entry: out,
            pc: self.next_pc(),
            retired: self.idx + 1,
            left: end - self.idx,
        });
    }

    /// The helper call for instruction `idx`: two instructions here, the rest in the block's
    /// one helper thunk ([`Lower::emit_thunk`]).
    fn call_helper(&mut self, idx: usize) {
        self.e.mov_ri(T0, idx as i64);
        self.e.call_label(self.thunk);
        self.thunk_used = true;
    }

    /// The block's helper thunk, called with the instruction's index in eax: registers
    /// written back, instret exact (pc is set by [`abi::helper_at`]), the interpreter run on
    /// the instruction, registers reloaded; returns, or on a trap leaves the block through
    /// its exit.
    fn emit_thunk(&mut self) {
        let mut thunk = self.thunk;
        self.e.bind(&mut thunk);
        // The call pushed 8 bytes: 8 more keep the stack aligned for the helper.
        self.e.alu_ri(Alu::Sub, W::B64, Gpr::Rsp, 8);
        self.spill();
        self.e.lea(T2, Mem::indexed(INSTRET, T0, 0));
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
        self.e.bind(&mut trapped);
        self.e.load(W::B64, INSTRET, abi::instret_slot());
        self.e.alu_ri(Alu::Add, W::B64, Gpr::Rsp, 8);
        self.epilogue();
        self.e.jmp(self.exit);
    }

    fn emit_cold(&mut self) {
        // Cold pieces may add cold pieces (a helper call's trap exit).
        while !self.cold.is_empty() {
            match self.cold.remove(0) {
                Cold::Helper {
                    mut entry,
                    resume,
                    idx,
                } => {
                    self.e.bind(&mut entry);
                    self.call_helper(idx);
                    self.e.jmp(resume);
                }
                Cold::Exit {
                    mut entry,
                    pc,
                    reason,
                    retired,
                    restore,
                } => {
                    self.e.bind(&mut entry);
                    if restore {
                        self.epilogue();
                    }
                    if reason == Reason::Trap {
                        // pc and the reason were set by the helper call.
                        self.advance_instret(retired);
                        self.e.jmp(self.exit);
                    } else {
                        self.leave(pc, reason, retired);
                    }
                }
                Cold::Chain { mut stub, site, pc } => {
                    self.e.bind(&mut stub);
                    self.set_pc(pc);
                    self.e.lea_label(T2, site);
                    self.e.mov_ri(T0, Reason::Chain as i64);
                    self.e.jmp(self.exit);
                }
                Cold::BranchBudget {
                    mut entry,
                    branch,
                    cc,
                    target,
                    next,
                } => {
                    self.e.bind(&mut entry);
                    self.compare(branch);
                    self.epilogue();
                    let mut taken = self.e.label();
                    self.e.jcc(cc, taken);
                    self.leave(next, Reason::Budget, 0);
                    self.e.bind(&mut taken);
                    self.leave(target, Reason::Budget, 0);
                }
                Cold::Taken {
                    mut entry,
                    target,
                    retired,
                } => {
                    self.e.bind(&mut entry);
                    self.advance_instret(retired);
                    if self.keeps_allocation(target) {
                        self.loop_back();
                    } else {
                        self.epilogue();
                        self.goto(target);
                    }
                }
                Cold::Rounding {
                    mut entry,
                    pc,
                    retired,
                    left,
                } => {
                    self.e.bind(&mut entry);
                    self.epilogue();
                    self.e.mov_ri(T2, left as i64);
                    self.leave(pc, Reason::Rounding, retired);
                }
                Cold::ReturnLanding { site, pc } => self.return_landing(site, pc),
                Cold::ExitToAddr { mut entry, reason } => {
                    self.e.bind(&mut entry);
                    self.e.store(W::B64, abi::pc_slot(), ADDR);
                    self.e.mov_ri(T0, reason as i64);
                    self.e.jmp(self.exit);
                }
            }
        }
    }
}
