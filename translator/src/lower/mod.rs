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
mod branch;
mod fp;
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
    },
    /// A chain stub: `cpu.pc = target`, aux = the site.
    Chain { stub: Label, site: Label, pc: u64 },
    /// The indirect-jump budget exit and lookup miss: `cpu.pc = rsi`.
    ExitToAddr { entry: Label, reason: Reason },
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
}

/// The result of lowering: assembled code and its chain sites.
pub struct Lowered {
    pub code: Assembled,
    pub chains: Vec<ChainSite>,
    pub faults: Vec<(Label, usize, bool)>,
}

/// Lowers `insns` (a block starting at `pc`) to code assembled at `at`, with the common exit
/// routine at `exit_addr`.
pub fn lower(insns: &[Decoded], pc: u64, at: u64, exit_addr: u64, jump_table: u64) -> Lowered {
    let mut e = Emitter::new();
    let exit = e.label();
    let mut l = Lower {
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
    };
    for (i, d) in insns.iter().enumerate() {
        l.idx = i;
        l.len = d.len;
        d.insn.visit(&mut l);
        l.pc = l.pc.wrapping_add(d.len as u64);
    }
    if !l.ended {
        // The block stopped at its length limit or before an undecodable instruction.
        l.advance_instret(insns.len());
        l.goto(l.pc);
    }
    l.emit_cold();
    let mut exit = l.exit;
    l.e.bind(&mut exit);
    l.e.jmp_abs(exit_addr);
    let mut code = l.e.assemble(at);
    for c in &l.chains {
        let stub = code.label_addr(&c.stub);
        code.set_jmp(&c.site, stub);
    }
    Lowered {
        code,
        chains: l.chains,
        faults: l.faults,
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
        } else if let Some(h) = abi::host_reg(r) {
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
    fn target(&self, rd: XReg, avoid: &[XReg]) -> Gpr {
        match abi::host_reg(rd) {
            Some(h) if !avoid.contains(&rd) => h,
            _ => T0,
        }
    }

    /// Makes guest `rd` hold the value computed in `v` (dropped for x0).
    fn write(&mut self, rd: XReg, v: Gpr) {
        if rd.num() == 0 {
            return;
        }
        match abi::host_reg(rd) {
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
        match abi::host_reg(rd) {
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

    /// Goes on at guest `target` (r14 already counts this block): out if the budget is spent,
    /// else through a patchable jump that starts as a stub into the dispatcher.
    fn goto(&mut self, target: u64) {
        let budget = self.e.label();
        self.e
            .alu_rm(Alu::Cmp, W::B64, INSTRET, Mem::at(Gpr::Rsp, STOP_SLOT));
        self.e.jcc(isa_b::Cc::Ae, budget);
        self.cold.push(Cold::Exit {
            entry: budget,
            pc: target,
            reason: Reason::Budget,
            retired: 0,
        });
        let mut site = self.e.label();
        let stub = self.e.label();
        self.e.patchable_jmp(&mut site);
        self.cold.push(Cold::Chain {
            stub,
            site,
            pc: target,
        });
        self.chains.push(ChainSite { site, stub, target });
        self.ended = true;
    }

    /// Runs the current instruction through the interpreter's helper, inline.
    fn helper(&mut self) {
        self.call_helper(self.idx);
    }

    /// A CSR instruction through the helper; a `frm` the host cannot round in (rmm, or an
    /// invalid value) leaves for the dispatcher, which interprets until it changes.
    fn csr(&mut self) {
        self.helper();
        let out = self.e.label();
        self.e.load(W::B32, T0, abi::fcsr_slot());
        self.e.alu_ri(Alu::And, W::B32, T0, 0xe0);
        self.e.alu_ri(Alu::Cmp, W::B32, T0, 4 << 5);
        self.e.jcc(isa_b::Cc::Ae, out);
        self.cold.push(Cold::Exit {
            entry: out,
            pc: self.next_pc(),
            reason: Reason::Next,
            retired: self.idx + 1,
        });
    }

    /// The helper call for instruction `idx`: registers written back, pc and instret exact,
    /// and out through the exit on a trap.
    fn call_helper(&mut self, idx: usize) {
        let pc = self.pc_of(idx);
        abi::spill(&mut self.e);
        self.e.lea(T0, Mem::at(INSTRET, idx as i32));
        self.e.store(W::B64, abi::instret_slot(), T0);
        self.set_pc(pc);
        self.e.load(W::B64, Gpr::Rdi, Mem::at(Gpr::Rsp, CTX_SLOT));
        self.e.mov_rr(W::B64, Gpr::Rsi, CPU);
        self.e
            .mov_ri(Gpr::Rdx, &self.insns[idx] as *const Decoded as i64);
        self.e.mov_ri(T0, abi::helper as *const () as i64);
        self.e.call_reg(T0);
        abi::reload(&mut self.e);
        let trapped = self.e.label();
        self.e.alu_rr(Alu::Test, W::B32, T0, T0);
        self.e.jcc(isa_b::Cc::Ne, trapped);
        // The trap exit: rax holds the reason already; count what retired before it.
        self.cold.push(Cold::Exit {
            entry: trapped,
            pc,
            reason: Reason::Trap,
            retired: idx,
        });
    }

    fn pc_of(&self, idx: usize) -> u64 {
        let before: u64 = self.insns[..idx].iter().map(|d| d.len as u64).sum();
        self.start.wrapping_add(before)
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
                } => {
                    self.e.bind(&mut entry);
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
