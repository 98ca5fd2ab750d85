//! Check elision: a load or store a few bytes from one the block already made through the
//! same guest register goes without its limit check.
//!
//! ```text
//!   addi sp,sp,-48
//!   sd   ra,40(sp)    cmp rsi,[rsp+8]; jae cold; mov [r15+rsi],rax   sp+40 below the limit
//!   sd   s0,32(sp)    mov [r15+rbx+32],rax                           sp+32: no check
//!   addi sp,sp,16     (sp+24 and sp+40 below the limit: offsets shift by -16)
//!   ld   a0,8(sp)     mov rax,[r15+rbx+8]                            no check
//! ```
//!
//! What a check guarantees: the address is below the limit. An access that completes
//! (checked or not) guarantees the same, since every byte from `GUARD` below guest 0 to
//! `GUARD` past the limit that is not guest memory faults on the host (crate::Layout: the
//! reservation has a guard zone on each side, hypervisor-lite's memory::reservation), and a
//! fault leaves the block. So after accesses at `r + lo` and `r + hi` complete, with `r`
//! unchanged since, both addresses lie in `0..limit`, and so does every `r + d` for `d` in
//! `lo..=hi` (the two differ by far less than the space wraps at). An access at `r + d` with
//! `lo - GUARD <= d` and `d + 8 <= hi + GUARD` then touches only bytes from `GUARD` below 0
//! to `GUARD` past the limit: guest memory, whose host protections are the guest's, or a guard
//! zone, which faults. Either way the host does what the check and the access would have:
//! the access, or a fault at this instruction (crate::fault: its own pc and registers) with
//! the address the interpreter reports, `base + addr` wrapping either way.
//!
//! The facts are per guest register and hold from one instruction to the next:
//! - an access through `r` at `d` (elided or not) widens r's range to take in `d`;
//! - `addi r, s, c` gives r the range of s, offsets shifted by `-c` (`r + (d - c)` is the same
//!   address `s + d`), so a stack pointer moved by a constant keeps what its accesses showed;
//! - any other write of r (a load into it, a helper, a call's link) forgets r's range;
//! - at a join (join.rs) only what holds on every incoming edge survives: the ranges of each
//!   register intersected, the straight path's and each taken edge's;
//! - the block's start knows nothing: the prologue's entry and the back edge of a loop
//!   (which jumps to the body's start) both start from no facts.
//!
//! Nothing else can break a fact. The limit is the layout's, fixed for the process (the
//! same for every vCPU; hypervisor-lite's is `GUEST_LIMIT`). A mapping that changes, even
//! another vCPU's `munmap` while this block runs, changes host protections below the limit,
//! which the host checks at every access; today's check did not look at mappings either. A
//! system call, a signal or a trap ends the block. Atomics keep their check (it also tests
//! alignment) but, completing, widen the range like any access; all but `sc`, which when it
//! fails completes without an access, whatever its address.

use super::join::Joins;
use isa_a::FormatKind;
use isa_a::{Decoded, Insn, XReg};
use std::sync::atomic::{AtomicU64, Ordering};

/// Offsets known valid through one register: every `r + d` for `d` in `lo..=hi` is below
/// the limit.
type Range = Option<(i64, i64)>;

/// The facts at one point: a range per guest register (x0 never has one).
type Facts = [Range; 32];

/// Offsets beyond which a range is dropped: keeps every difference far from wrapping.
const FAR: i64 = 1 << 40;

/// The widest access (8 bytes) and the guard zone on each side.
const WIDEST: i64 = 8;
const GUARD: i64 = crate::GUARD as i64;

/// Limit checks lowered and elided by every translation in this process.
static HITS: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

/// How many limit checks every translation in this process has emitted, and how many it
/// left out (for tests and statistics).
pub fn counts() -> (u64, u64) {
    (
        HITS[0].load(Ordering::Relaxed),
        HITS[1].load(Ordering::Relaxed),
    )
}

/// Counts one check emitted (false) or elided (true).
pub(super) fn record(elided: bool) {
    HITS[elided as usize].fetch_add(1, Ordering::Relaxed);
}

/// The guest access `insn` makes: base register, offset, and whether its check may go
/// (not an atomic's, which also tests alignment). None for `sc`: one that fails (no
/// reservation) completes without touching memory, past the limit too, and shows nothing.
fn access(insn: &Insn) -> Option<(XReg, i64, bool)> {
    use Insn::*;
    let (rs1, imm, plain) = match *insn {
        ScW(_) | ScD(_) => return None,
        Lb(l) | Lh(l) | Lw(l) | Ld(l) | Lbu(l) | Lhu(l) | Lwu(l) => (l.rs1, l.imm, true),
        Sb(s) | Sh(s) | Sw(s) | Sd(s) => (s.rs1, s.imm, true),
        Flw(a) | Fld(a) => (a.rs1, a.imm, true),
        Fsw(a) | Fsd(a) => (a.rs1, a.imm, true),
        _ => match insn.info().format {
            FormatKind::Amo | FormatKind::Lr => (XReg::new((insn.encode() >> 15) & 31), 0, false),
            _ => return None,
        },
    };
    Some((rs1, imm as i64, plain))
}

/// `rd = rs1 + c` (`addi`, or a register move as `add rd, x0, rs` or `addi rd, rs, 0`).
fn offset_copy(insn: &Insn) -> Option<(XReg, XReg, i64)> {
    match *insn {
        Insn::Addi(i) => Some((i.rd, i.rs1, i.imm as i64)),
        Insn::Add(r) if r.rs1.num() == 0 => Some((r.rd, r.rs2, 0)),
        Insn::Add(r) if r.rs2.num() == 0 => Some((r.rd, r.rs1, 0)),
        _ => None,
    }
}

/// The range known on both of two paths.
fn meet(a: &mut Facts, b: &Facts) {
    for (x, y) in a.iter_mut().zip(b) {
        *x = match (*x, *y) {
            (Some((l1, h1)), Some((l2, h2))) if l1.max(l2) <= h1.min(h2) => {
                Some((l1.max(l2), h1.min(h2)))
            }
            _ => None,
        };
    }
}

/// For each instruction of the block `insns`: whether its limit check can go. `dead` are
/// the instructions not lowered (their writes forgotten all the same).
pub(super) fn plan(insns: &[Decoded], joins: &Joins, dead: &[bool]) -> Vec<bool> {
    let n = insns.len();
    let mut elide = vec![false; n];
    // The facts on the taken edges into each join target seen so far.
    let mut incoming: Vec<Option<Facts>> = vec![None; n];
    let mut facts: Facts = [None; 32];
    for i in 0..n {
        if joins.is_target(i) {
            match &incoming[i] {
                Some(f) => meet(&mut facts, f),
                None => facts = [None; 32],
            }
        }
        let insn = &insns[i].insn;
        if let Some((r, d, plain)) = access(insn).filter(|a| a.0.num() != 0) {
            let range = &mut facts[r.num()];
            if let Some((lo, hi)) = *range {
                elide[i] = plain && lo - GUARD <= d && d + WIDEST <= hi + GUARD;
            }
            // Past the access: r + d was below the limit, or it faulted out of the block.
            *range = match *range {
                Some((lo, hi)) => Some((lo.min(d), hi.max(d))),
                None => Some((d, d)),
            };
        }
        let writes = super::liveness::operands(insn).x_writes;
        match offset_copy(insn).filter(|_| !dead[i]) {
            Some((rd, rs, c)) if rd.num() != 0 => {
                facts[rd.num()] = facts[rs.num()]
                    .map(|(lo, hi)| (lo - c, hi - c))
                    .filter(|&(lo, hi)| lo > -FAR && hi < FAR);
            }
            _ => {
                for (r, f) in facts.iter_mut().enumerate() {
                    if writes & (1 << r) != 0 {
                        *f = None;
                    }
                }
            }
        }
        if let Some(t) = joins.target_of(i) {
            match &mut incoming[t] {
                Some(f) => meet(f, &facts),
                slot => *slot = Some(facts),
            }
        }
    }
    elide
}

#[cfg(test)]
mod tests {
    use super::*;
    use isa_a::format::{Load, Store, B, I};

    fn d(insn: Insn) -> Decoded {
        Decoded { insn, len: 4 }
    }

    fn x(n: u32) -> XReg {
        XReg::new(n)
    }

    fn ld(rd: u32, rs1: u32, imm: i32) -> Decoded {
        d(Insn::Ld(Load {
            rd: x(rd),
            rs1: x(rs1),
            imm,
        }))
    }

    fn sd(rs1: u32, imm: i32) -> Decoded {
        d(Insn::Sd(Store {
            rs1: x(rs1),
            rs2: x(10),
            imm,
        }))
    }

    fn addi(rd: u32, rs1: u32, imm: i32) -> Decoded {
        d(Insn::Addi(I {
            rd: x(rd),
            rs1: x(rs1),
            imm,
        }))
    }

    fn plan_of(insns: &[Decoded]) -> Vec<bool> {
        let mut e = isa_b::Emitter::new();
        let joins = super::super::join::plan(insns, 0x1000, &mut e);
        plan(insns, &joins, &vec![false; insns.len()])
    }

    #[test]
    fn accesses_near_one_already_made_through_the_register_go_unchecked() {
        let p = plan_of(&[sd(2, 40), sd(2, 32), sd(2, 24), ld(11, 2, 16)]);
        assert_eq!(p, [false, true, true, true]);
        // As far as the guard zones reach: GUARD below the lowest, the access's end GUARD past
        // the highest.
        let g = GUARD as i32;
        assert_eq!(plan_of(&[sd(2, 40), sd(2, 40 - g)]), [false, true]);
        assert_eq!(plan_of(&[sd(2, 40), sd(2, 39 - g)]), [false, false]);
        assert_eq!(plan_of(&[sd(2, 40), ld(11, 2, 32 + g)]), [false, true]);
        assert_eq!(plan_of(&[sd(2, 40), ld(11, 2, 33 + g)]), [false, false]);
        // An access that completed, elided or not, widens the range.
        let p = plan_of(&[sd(2, 40), sd(2, 40 - g), sd(2, 39 - g), sd(2, 39 - 2 * g)]);
        assert_eq!(p, [false, true, true, true]);
        // x0 knows nothing; an atomic keeps its check but widens the range.
        let amo = d(Insn::AmoaddD(isa_a::format::Amo {
            rd: x(11),
            rs1: x(10),
            rs2: x(12),
            aq: false,
            rl: false,
        }));
        assert_eq!(plan_of(&[sd(0, 8), sd(0, 16)]), [false, false]);
        assert_eq!(plan_of(&[sd(10, 8), amo, sd(10, 0)]), [false, false, true]);
        // A failed sc touches no memory: nothing is known after it.
        let sc = d(Insn::ScD(isa_a::format::Amo {
            rd: x(11),
            rs1: x(10),
            rs2: x(12),
            aq: false,
            rl: false,
        }));
        assert_eq!(plan_of(&[sc, sd(10, 0)]), [false, false]);
    }

    #[test]
    fn a_constant_added_shifts_the_range_and_any_other_write_drops_it() {
        let p = plan_of(&[
            sd(2, 0),
            addi(2, 2, -2000),
            sd(2, 2000),
            addi(12, 2, 16),
            ld(2, 12, -16),
            sd(2, 0),
            sd(12, 0),
        ]);
        assert_eq!(p, [false, false, true, false, true, false, true]);
        // Moved past the guard's reach: the range no longer covers it.
        let p = plan_of(&[
            sd(2, 0),
            addi(2, 2, 2047),
            addi(2, 2, 2047),
            addi(2, 2, 2047),
            sd(2, 0),
        ]);
        assert_eq!(p, [false, false, false, false, false]);
    }

    #[test]
    fn a_join_keeps_only_what_every_path_knows() {
        let ecall = d(Insn::Ecall(isa_a::format::Nullary {}));
        let beqz = |off| {
            d(Insn::Beq(B {
                rs1: x(11),
                rs2: x(0),
                off,
            }))
        };
        // The straight path loads a0 afresh: at the join (the second sd) nothing is known.
        let p = plan_of(&[sd(10, 0), beqz(8), ld(10, 11, 0), sd(10, 0), ecall]);
        assert_eq!(p, [false, false, false, false, false]);
        // Both paths know a0 + 0, each of its own a0 (the straight path moved it by 8 and
        // knows a0 - 8 too): the access at 0 after the join goes unchecked.
        let p = plan_of(&[
            sd(10, 0),
            beqz(12),
            sd(10, 8),
            addi(10, 10, 8),
            sd(10, 0),
            ecall,
        ]);
        assert_eq!(p, [false, false, true, false, true, false]);
        // The join's facts are the intersection: -4096 reaches from 0 but not from 8.
        let p = plan_of(&[
            sd(10, 8),
            beqz(8),
            sd(10, 0),
            sd(10, 8 - GUARD as i32),
            ecall,
        ]);
        assert_eq!(p, [false, false, true, true, false]);
        let p = plan_of(&[sd(10, 8), beqz(8), sd(10, 0), sd(10, -GUARD as i32), ecall]);
        assert_eq!(p, [false, false, true, false, false]);
    }
}
