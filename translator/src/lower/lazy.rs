//! Lazy sign extension: a `*w` result left as x86's 32-bit operation wrote it (upper half
//! zero, or in a slot whatever was there) when nothing looks at its upper half.
//!
//! RV64's `*w` operations sign-extend their 32-bit result; the host's zero-extend it, so each
//! costs a `movsxd`. In hash and cipher rounds the results are mostly read by other `*w`
//! operations and by `xor`/`or`/`and` whose results go on into `*w` operations, and then
//! overwritten. [`plan`] is a backward pass over the block that finds, after each
//! instruction, the registers whose upper 32 bits something may still observe (they are
//! *demanded*). Reading only the low half of a source:
//!
//! - the `*w` operations, `sext.w` (`addiw rd, rs, 0`), `addw rd, x0, rs` and `sraiw`,
//!   which are lowered from the low half once the source is not known extended (below;
//!   `srliw` by 1..31, x86's zero extension being its sign extension, is always exact),
//!   and a `sext.w` whose result's upper half is not demanded is a plain copy;
//! - a 32-bit rotate (rotate.rs: two shifts and an `or`, one `ror r32`);
//! - an `andn` (andn.rs) whose result's upper half is not demanded, as `and` below;
//! - `and`/`or`/`xor`/`andi`/`ori`/`xori` and the moves (`addi rd, rs, 0`, `add` with x0)
//!   whose own result's upper half is not demanded: bitwise, their low half is made from
//!   their sources' low halves only, and their result is left "unextended" in turn.
//!
//! Everything else demands all 64 bits of what it reads, and at every point the straight
//! line does not decide alone all registers are demanded: an instruction that is not pure
//! (exit, helper call, atomic; liveness.rs), a branch to a join (join.rs), a join target, the
//! block's end — but for the back edge of a block that loops to its start with a branch, which
//! demands what the start does ([`plan`]). Two kinds of points that are not pure let the
//! straight line go on past them with registers unextended, their way out extending them:
//!
//! - a branch whose taken edge leaves the block (a side exit; and the branch closing a copy of
//!   an unrolled loop's body, unroll.rs, whose edge out is the one not taken): its exit stub
//!   (`Cold::Taken`, and the budget exit after it, `Cold::Exit`) sign-extends them before the
//!   epilogue stores them, a host register with `movsxd r, r32`, a slot loaded 32 bits and
//!   stored whole;
//! - a load or store that may fault: its entry in the fault map records them, and the fault
//!   handler (crate::fault) sign-extends those guest registers as it writes the guest state
//!   back; the helper call of one past the limit extends them in place before it runs.
//!
//! Either reads whole only what it reads whole: a branch its compared registers (but a
//! register compared with zero, whose low half decides: `Lower::compare`), an access its
//! base, and an `sd` its data (an `sw`, `sh` or `sb` stores only low bits). And at either,
//! what is left unextended must be what a `movsxd` gives back: a register whose guest value
//! is known sign-extended there (extension.rs's facts of a first pass through the block,
//! which a later iteration only adds to). The rest is demanded, such as a bitwise result
//! whose upper half came from a whole operand.
//!
//! ```text
//!   lw   a1,0(a3)     movsxd rdi, [r15+r9]
//!   lw   a5,0(a4)     movsxd r11, [r15+r10]
//!   mulw a5,a5,a1     imul r11d, edi           (a5 unextended across the branch …
//!   addw a2,a2,a5     add r8d, r11d             … a2 across the branch and the next loads)
//!   bne  a0,a4,loop   cmp r12, r10 ; je exit    exit: movsxd r8, r8d ; movsxd r11, r11d ; …
//! ```
//!
//! A region's start (regions.rs) is not one: its
//! transition moves registers between host registers and slots whole, and what it loads
//! of one left unextended is its low half. A `*w` result (or 32-bit
//! rotate) not demanded after it skips its `movsxd`; when its destination lives in a slot
//! and is its first source, it is computed there at 32 bits (slots.rs):
//!
//! ```text
//!   addw a5,a5,a4    add [rbp+0x78], ebx          (a5 in its slot; was load, add, movsxd, store)
//!   xor  a3,a3,a5    xor r13d, [rbp+0x78]         (a3's upper half not demanded: nor a5's)
//!   srliw/slliw/or   ror r13d, 16                 (a 32-bit rotate of a3, no movsxd)
//!   addw a2,a2,a3    add r12d, r13d ; movsxd r12, r12d    (a2 read by the branch below)
//!   bne  a2,…
//! ```
//!
//! A slot so stored is only ever loaded 32 bits wide while its register is left
//! unextended (`Lower::slot_width`: reads, bitwise operations on or with it, in place too):
//! a 64-bit load cannot take its value from a 4-byte store in flight and waits for it to
//! reach the cache (on chacha20, whose state words live in slots, 64-bit loads made the
//! block a third slower). Nothing else loads it before it is written whole again: every
//! barrier demands it.
//!
//! A register left unextended holds garbage above bit 31 until it is written again; since
//! everything that could see it demands it or extends it, none is left so at a barrier, and
//! the fault maps, exits and spills find exact guest registers. extension.rs's
//! facts are about guest values, and wrong about such a register's host value: the
//! registers left unextended before each instruction ([`Plan::pending`]) are taken out of
//! the facts (`Lower::extended`), so a `sext.w` of one really does its `movsxd`.

use super::extension::{saved, Saved};
use super::liveness::{pure, Operands};
use super::rotate::Role;
use super::Lower;
use isa_a::{Decoded, Insn, XReg};
use isa_b::{Gpr, W};
use std::sync::atomic::{AtomicU64, Ordering};

/// Every register but x0.
const ALL: u32 = !1;

/// What lazy extension does in a block.
#[derive(Default)]
pub struct Plan {
    /// For each instruction: whether its `*w` result (or 32-bit rotate) skips its `movsxd`.
    pub lazy: Vec<bool>,
    /// For each instruction: the registers left unextended before it.
    pub pending: Vec<u32>,
}

/// How an instruction reads its sources, as far as their upper halves go.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Kind {
    /// A `*w` operation lowered as a 32-bit host operation and a `movsxd` of its result
    /// (`Lower::extend_result`): low halves read, the `movsxd` skipped when not demanded.
    Word,
    /// `sext.w` (`addiw rd, rs, 0`, `addw rd, x0, rs`): the low half read; a copy when
    /// its result's upper half is not demanded.
    Sext,
    /// Low halves read, result extended whatever comes: `sraiw`, `srliw` by 1..31; and
    /// exact whatever comes: `andi` with a mask of 0..2047 (`zext.b`), `slli` by 32..63,
    /// whose results take nothing from their source's upper half.
    Extends,
    /// Bitwise: low halves from low halves; all 64 bits read when its result's are demanded.
    Bitwise,
    /// All 64 bits read.
    Full,
}

fn kind(insn: &Insn) -> Kind {
    use Insn::*;
    match *insn {
        Addw(r) if r.rs1.num() == 0 || r.rs2.num() == 0 => Kind::Sext,
        Addiw(i) if i.imm == 0 => Kind::Sext,
        // By 1..31 a zero-extended result is the sign-extended one.
        Sraiw(_) => Kind::Extends,
        Srliw(s) if s.shamt > 0 => Kind::Extends,
        Andi(i) if i.imm >= 0 => Kind::Extends,
        Slli(s) if s.shamt >= 32 => Kind::Extends,
        Addw(_) | Subw(_) | Mulw(_) | Sllw(_) | Srlw(_) | Sraw(_) => Kind::Word,
        Addiw(_) | Slliw(_) | Srliw(_) => Kind::Word,
        And(_) | Or(_) | Xor(_) | Andi(_) | Ori(_) | Xori(_) => Kind::Bitwise,
        Addi(i) if i.imm == 0 => Kind::Bitwise,
        Add(r) if r.rs1.num() == 0 || r.rs2.num() == 0 => Kind::Bitwise,
        _ => Kind::Full,
    }
}

/// Where an instruction stands among the block's joins (join.rs).
#[derive(Copy, Clone, Default)]
pub struct Joined {
    /// Some branch jumps to it: before it the straight line does not decide alone.
    pub target: bool,
    /// It is a branch whose taken edge jumps to a later instruction of the block (not out).
    pub branch: bool,
}

/// The plan of a block: `ops` are its instructions' operands, `dead` those not lowered,
/// `roles` their parts in rotates, `joins` where the joins are, `extended` the guest
/// registers known sign-extended from 32 bits before each instruction and after the last
/// (extension.rs). `looped`: the block ends in a conditional branch back to its start
/// ([`loops_back`]).
///
/// In a looped block the back edge is not a barrier: what is demanded after the last
/// instruction is what the block's start demands and every register not known extended, and
/// a register left unextended at the end starts the next iteration so. The exits at the end
/// (the branch not taken, the budget spent) extend what is left unextended on their way out
/// (`Lower::extend_pending`): a `movsxd` gives back the guest value of a register known
/// extended, not of one whose upper half a bitwise operation took from a whole value. The
/// branch itself, against zero, reads only the low half (`Lower::compare`). Both sets are
/// least fixed points, found by iterating from none demanded at the start (backward) and none
/// left unextended there (forward): the first iteration, entered from the prologue with every
/// register whole, is one of the cases "left unextended" covers.
pub fn plan(
    insns: &[Decoded],
    ops: &[Operands],
    dead: &[bool],
    roles: &[Role],
    joins: impl Fn(usize) -> Joined,
    extended: &[u32],
    looped: bool,
) -> Plan {
    let n = insns.len();
    // What the start demands, from nothing up (the back edge demanding it in turn).
    let mut head = 0u32;
    let last = extended.get(n).copied().unwrap_or(0);
    let end = |head: u32| looped.then_some(head | !last);
    let lazy = loop {
        let (lazy, start) = backward(insns, ops, dead, roles, &joins, extended, end(head));
        if !looped || start & !head == 0 {
            break lazy;
        }
        head |= start;
    };
    // Forward: the registers left unextended before each instruction.
    let mut entry = 0u32;
    loop {
        let pending = forward(insns, ops, dead, roles, &lazy, entry);
        let end = pending[n];
        if !looped || end & !entry == 0 {
            return Plan { lazy, pending };
        }
        entry |= end;
    }
}

/// Whether the block `insns` at `pc` ends in a conditional branch back to its start.
pub fn loops_back(insns: &[Decoded], pc: u64) -> bool {
    let Some(last) = insns.last() else {
        return false;
    };
    let at = crate::superblock::pcs(pc, insns).last().unwrap_or(pc);
    last.insn.info().has(isa_a::flag::BRANCH) && last.insn.direct_target(at) == Some(pc)
}

/// The registers a branch reads whole: not its first compared with zero, whose low half
/// decides (`Lower::compare`).
fn branch_reads(insn: &Insn, reads: u32) -> u32 {
    use Insn::*;
    match *insn {
        Beq(b) | Bne(b) | Blt(b) | Bge(b) | Bltu(b) | Bgeu(b) if b.rs2.num() == 0 => {
            reads & !(1 << b.rs1.num())
        }
        _ => reads,
    }
}

/// What instruction `insn` (reading `reads`, the block's `last` or not) reads whole when it
/// is not pure but the straight line goes on past it, leaving registers unextended across
/// it; None for a barrier. Its way out extends what is left unextended: the exit stub of a
/// branch whose taken edge leaves the block (`Lower::extend_unextended`), the fault handler
/// or the helper call of an access (crate::fault, `Cold::Helper`).
fn crossing(insn: &Insn, reads: u32, last: bool, joins: Joined) -> Option<u32> {
    use Insn::*;
    match *insn {
        // A copy's closing branch (unroll.rs) leaves when not taken, any other when taken.
        _ if insn.info().has(isa_a::flag::BRANCH) => {
            (!last && !joins.branch).then(|| branch_reads(insn, reads))
        }
        // A store of 32 bits or fewer reads no more of its data.
        Sb(s) | Sh(s) | Sw(s) => Some(1 << s.rs1.num() & ALL),
        Lb(_) | Lh(_) | Lw(_) | Ld(_) | Lbu(_) | Lhu(_) | Lwu(_) | Sd(_) => Some(reads),
        Flw(_) | Fld(_) | Fsw(_) | Fsd(_) => Some(reads),
        _ => None,
    }
}

/// The backward pass: for each instruction whether its `*w` result may stay unextended,
/// and what is demanded at the block's start; `back` is what is demanded after the last
/// instruction when the block loops back to its start.
fn backward(
    insns: &[Decoded],
    ops: &[Operands],
    dead: &[bool],
    roles: &[Role],
    joins: &impl Fn(usize) -> Joined,
    extended: &[u32],
    back: Option<u32>,
) -> (Vec<bool>, u32) {
    let n = insns.len();
    let mut lazy = vec![false; n];
    // The registers demanded after each instruction.
    let mut demanded = back.unwrap_or(ALL);
    for i in (0..n).rev() {
        let insn = &insns[i].insn;
        let (r, w) = (ops[i].x_reads, ops[i].x_writes);
        let free = w != 0 && demanded & w == 0;
        if !dead[i] {
            demanded = match roles[i] {
                // A shift moved to its rotate's `or`: read there, written there if read after.
                // A `not` moved to its `and` (andn.rs): read there.
                Role::Moved if matches!(insn, Insn::Slliw(_) | Insn::Srliw(_) | Insn::Xori(_)) => {
                    demanded
                }
                Role::Moved => demanded | r,
                Role::Rotate(rot) if rot.w == W::B32 => {
                    lazy[i] = free;
                    demanded & !w
                }
                Role::Rotate(_) => demanded & !w | r,
                // Bitwise, reading x and y (not t, which the `not` never writes).
                Role::Andn(_) if free => demanded,
                Role::Andn(a) => demanded & !w | (r & !(1 << a.t.num())) | 1 << a.x.num(),
                Role::None if back.is_some() && i + 1 == n => demanded | branch_reads(insn, r),
                Role::None => match crossing(insn, r, i + 1 == n, joins(i)) {
                    // Its way out extends what is left unextended: only where a `movsxd`
                    // gives back the guest value (not a bitwise result's from a whole one).
                    Some(reads) => demanded & !w | reads | !extended[i] & ALL,
                    None if !pure(insn) => ALL,
                    None => match kind(insn) {
                        Kind::Word | Kind::Sext => {
                            lazy[i] = free;
                            demanded & !w
                        }
                        Kind::Extends => demanded & !w,
                        Kind::Bitwise if free => demanded,
                        Kind::Bitwise | Kind::Full => demanded & !w | r,
                    },
                },
            };
        }
        if joins(i).target {
            demanded = ALL;
        }
    }
    (lazy, demanded)
}

/// The forward pass: the registers left unextended before each instruction and after the
/// last, `entry` at the start.
fn forward(
    insns: &[Decoded],
    ops: &[Operands],
    dead: &[bool],
    roles: &[Role],
    lazy: &[bool],
    entry: u32,
) -> Vec<u32> {
    let n = insns.len();
    let mut pending = Vec::with_capacity(n + 1);
    let mut left = entry;
    for i in 0..n {
        pending.push(left);
        let (r, w) = (ops[i].x_reads, ops[i].x_writes);
        if dead[i] || roles[i] == Role::Moved {
            // Not lowered here: the register keeps what it held.
            continue;
        }
        let unextended = match roles[i] {
            Role::Rotate(_) => lazy[i],
            Role::Andn(a) => (r & !(1 << a.t.num()) | 1 << a.x.num()) & left != 0,
            _ => match kind(&insns[i].insn) {
                Kind::Word | Kind::Sext => lazy[i],
                // Reads of pending registers only when its own result is not demanded.
                Kind::Bitwise => r & left != 0,
                _ => false,
            },
        };
        left = left & !w | if unextended { w } else { 0 };
    }
    pending.push(left);
    pending
}

/// Branches whose taken edge leaves the block, and accesses that may fault, that registers
/// crossed unextended, in this process.
static CROSSED: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

/// How many branches out of their block, and how many accesses, have been lowered with
/// registers left unextended across them in this process (for tests and statistics).
pub fn crossed_counts() -> (u64, u64) {
    (
        CROSSED[0].load(Ordering::Relaxed),
        CROSSED[1].load(Ordering::Relaxed),
    )
}

impl Lower<'_> {
    /// Extends what a looped block leaves unextended at its end ([`plan`]), on the way out
    /// through an exit there.
    pub(super) fn extend_pending(&mut self) {
        self.extend_unextended(self.plan.lazy.pending[self.insns.len()]);
    }

    /// The registers left unextended after the current instruction, which an exit there
    /// extends ([`Lower::extend_unextended`]).
    pub(super) fn unextended_after(&self) -> u32 {
        self.plan.lazy.pending[self.cur.idx + 1]
    }

    /// The registers left unextended before the current instruction, an access that may
    /// fault: counted, for the fault map.
    pub(super) fn unextended_at_access(&self) -> u32 {
        let left = self.plan.lazy.pending[self.cur.idx];
        if left != 0 {
            CROSSED[1].fetch_add(1, Ordering::Relaxed);
        }
        left
    }

    /// The registers left unextended across the current instruction, a branch whose
    /// taken edge (not-taken, for a copy's closing branch) leaves the block: counted.
    pub(super) fn unextended_at_branch(&self) -> u32 {
        let left = self.unextended_after();
        if left != 0 {
            CROSSED[0].fetch_add(1, Ordering::Relaxed);
        }
        left
    }

    /// Sign-extends the guest registers `left` from their low halves, in their host
    /// registers or slots: on a way out, where [`plan`] let them cross unextended.
    pub(super) fn extend_unextended(&mut self, left: u32) {
        for g in (1..32).filter(|g| left >> g & 1 != 0) {
            match self.host(XReg::new(g)) {
                Some(h) => self.e.sx(W::B32, h, h),
                None => {
                    let m = crate::abi::x_slot(g as usize);
                    self.e.load_sx(W::B32, super::T0, m);
                    self.e.store(W::B64, m, super::T0);
                }
            }
        }
    }

    /// Sets the flags of `test` on the sign-extended low half of guest `r`, left unextended
    /// (the flags of a 64-bit `test` of its guest value).
    pub(super) fn test_low_half(&mut self, r: XReg) {
        match self.host(r) {
            Some(h) => self.e.alu_rr(isa_b::Alu::Test, W::B32, h, h),
            None => self
                .e
                .alu_mi(isa_b::Alu::Cmp, W::B32, crate::abi::x_slot(r.num()), 0),
        }
    }

    /// Ends a `*w` operation whose 32-bit result is in `t`, on its way to guest `rd`: the
    /// `movsxd`, unless [`plan`] lets it go.
    pub(super) fn extend_result(&mut self, t: Gpr) {
        if self.lazy_here() {
            saved(Saved::Lazy);
        } else {
            self.e.sx(W::B32, t, t);
        }
    }

    /// Whether the current instruction's `*w` result may be left unextended.
    pub(super) fn lazy_here(&self) -> bool {
        self.plan.lazy.lazy[self.cur.idx]
    }

    /// Whether guest `r` is left unextended before the current instruction.
    pub(super) fn pending(&self, r: XReg) -> bool {
        self.plan.lazy.pending[self.cur.idx] >> r.num() & 1 != 0
    }

    /// How much of guest `r`'s slot to load: 32 bits of one left unextended, which may
    /// have been stored with 32 (a 64-bit load would wait for that store to reach the cache).
    pub(super) fn slot_width(&self, r: XReg) -> W {
        if self.pending(r) {
            W::B32
        } else {
            W::B64
        }
    }
}

#[cfg(test)]
mod tests;
