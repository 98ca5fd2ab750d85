//! Check elision: a load or store whose address is proven to lie within reach of guest memory
//! goes without its limit check. Two kinds of proof: an access a few bytes from one the
//! block already made through the same register (a stack frame, a struct), and a table
//! lookup `base + index`, the index bounded (bounds.rs), once the block has made an access
//! through the base or through another lookup into the same table.
//!
//! ```text
//!   addi sp,sp,-48
//!   sd   ra,40(sp)    cmp rsi,[rsp+8]; jae cold; mov [r15+rsi],rax   sp+40 below the limit
//!   sd   s0,32(sp)    mov [r15+rbx+32],rax                           no check
//!   addi sp,sp,16     (the facts shift by -16)
//!   ld   a0,8(sp)     mov rax,[r15+rbx+8]                            no check
//!
//!   add  t0,t0,a2     t0 = a2 + 3072..=4092 (a 256-word table at a2 + 3072)
//!   lw   s8,0(t0)     checked: t0 in 0..limit, so a2 + 4092 >= 0 and a2 + 3072 < limit
//!   add  a3,a3,a2     a3 = a2 + 0..=1020: a3 + 4092 >= 0 and a3 + 2052 < limit
//!   lw   a3,0(a3)     no check: a3 lies in -4092..limit-2052, inside the guard zones
//! ```
//!
//! What a check guarantees: the address is below the limit. An access that completes
//! (checked or not) guarantees the same, since every byte from `GUARD` below guest 0 to
//! `GUARD` past the limit that is not guest memory faults on the host (crate::Layout: the
//! reservation has a guard zone on each side, hypervisor-lite's memory::reservation), and a
//! fault leaves the block. An access whose bytes all lie in that window needs no check: each
//! is guest memory, whose host protections are the guest's, or a guard zone, which faults.
//! Either way the host does what the check and the access would have: the access, or a fault
//! at this instruction (crate::fault: its own pc and registers) with the address the
//! interpreter reports, `base + addr` wrapping either way.
//!
//! The fact about a register `r` is a pair `(lo, hi)`: `r + lo >= 0` and `r + hi < limit`,
//! `r` read as a signed 64-bit number. The two halves are independent (`lo` may exceed
//! `hi`), and each is kept within `FAR` of 0; the limit is far below 2^63, so `r` lies in
//! `-FAR..limit + FAR` and every sum below is exact, never wrapping. An access at `r + d`
//! touches at most `r + d ..= r + d + 7`; with `d >= lo - GUARD` and `d + 8 <= hi + GUARD`,
//! `r + d >= (r + lo) - GUARD >= -GUARD` and `r + d + 7 < (r + hi) + GUARD <= limit +
//! GUARD`: inside the window. Where the facts come from, from one instruction to the next:
//! - an access through `r` at `d` that completes (elided or not) shows `r + d` in `0..limit`:
//!   `lo` becomes at most `d`, `hi` at least `d`;
//! - `t = s + u` with `u` bounded, `a <= u <= b` (`add`, the index's bound from bounds.rs;
//!   `addi`, a constant `a = b = c`; a move, 0): `t + (lo - a) = (s + lo) + (u - a) >= 0`
//!   and `t + (hi - b) = (s + hi) - (b - u) < limit`, so t's fact is s's shifted,
//!   `(lo - a, hi - b)`: one lookup's fact from the base's;
//! - and back, while neither t nor s is written again, an access through t tells about
//!   `s = t - u`: `s + (lo + b) = (t + lo) + (b - u) >= 0` and `s + (hi + a) = (t + hi) -
//!   (u - a) < limit`, so s's fact takes in `(lo + b, hi + a)` from t's (the lower `lo`, the
//!   higher `hi`): the base's fact from one lookup, for the next;
//! - and forward again: a register that gains a fact (by an access, or back from one) gives
//!   each sum of it still standing the shifted fact the sum would have had from it, so
//!   lookups whose addresses were all formed before the first load (AES's rounds) learn
//!   from that load;
//! - any other write of r (a load into it, a helper, a call's link) forgets r's fact, and
//!   what r was the base of;
//! - at a join (join.rs) only what holds on every incoming edge survives: of each register
//!   the higher `lo` and the lower `hi` of the straight path's fact and each taken edge's,
//!   the hull of its bounds, the base it was a sum of if that is the same;
//! - the block's start knows nothing: the prologue's entry and the back edge of a loop
//!   (which jumps to the body's start) both start from no facts; nor does an inner loop's
//!   header (inner_loop.rs), whatever else reaches it.
//!
//! Nothing else can break a fact. The limit is the layout's, fixed for the process (the
//! same for every vCPU; hypervisor-lite's is `GUEST_LIMIT`). A mapping that changes, even
//! another vCPU's `munmap` while this block runs, changes host protections below the limit,
//! which the host checks at every access; today's check did not look at mappings either. A
//! system call, a signal or a trap ends the block. Atomics keep their check (it also tests
//! alignment) but, completing, add to the facts like any access — except a
//! store-conditional, which fails without an access when it has no reservation.

use super::bounds::{self, Bounds};
use super::join::Joins;
use isa_a::FormatKind;
use isa_a::{Decoded, Insn, XReg};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// What is known of one register: `r + lo >= 0` and `r + hi < limit`; `indexed` when it
/// came through a bounded index that is not a constant (for the statistics only).
#[derive(Copy, Clone, Debug, PartialEq)]
struct Fact {
    lo: i64,
    hi: i64,
    indexed: bool,
}

/// `t = base + u` with `a <= u <= b`, base not written since.
#[derive(Copy, Clone, Debug, PartialEq)]
struct Sum {
    base: usize,
    a: i64,
    b: i64,
}

/// The facts at one point, per guest register (x0 never has a fact nor is a base).
#[derive(Copy, Clone)]
struct State {
    facts: [Option<Fact>; 32],
    bounds: Bounds,
    sums: [Option<Sum>; 32],
}

impl State {
    const NONE: State = State {
        facts: [None; 32],
        bounds: [None; 32],
        sums: [None; 32],
    };
}

/// Offsets beyond which a fact is dropped: keeps every sum far from wrapping.
const FAR: i64 = 1 << 40;

/// The widest access (8 bytes) and the guard zone on each side.
const WIDEST: i64 = 8;
const GUARD: i64 = crate::GUARD as i64;

/// Limit checks lowered, elided, and elided through a bounded index, by every translation in
/// this process.
static HITS: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

/// How many limit checks every translation in this process has emitted, and how many it
/// left out (for tests and statistics).
pub fn counts() -> (u64, u64) {
    (
        HITS[0].load(Ordering::Relaxed),
        HITS[1].load(Ordering::Relaxed),
    )
}

/// How many of the checks left out ([`counts`]) were proven through a bounded index (a
/// table lookup).
pub fn indexed_count() -> u64 {
    HITS[2].load(Ordering::Relaxed)
}

/// Whether an access keeps its limit check, and why not.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Check {
    Kept,
    /// Near accesses through the same register or its moves by constants.
    Near,
    /// Through a bounded index.
    Indexed,
}

/// Counts one check emitted or elided.
pub(super) fn record(c: Check) {
    HITS[(c != Check::Kept) as usize].fetch_add(1, Ordering::Relaxed);
    if c == Check::Indexed {
        HITS[2].fetch_add(1, Ordering::Relaxed);
    }
}

/// The guest access `insn` makes: base register, offset, and whether its check may go
/// (not an atomic's, which also tests alignment).
fn access(insn: &Insn) -> Option<(XReg, i64, bool)> {
    use Insn::*;
    let (rs1, imm, plain) = match *insn {
        Lb(l) | Lh(l) | Lw(l) | Ld(l) | Lbu(l) | Lhu(l) | Lwu(l) => (l.rs1, l.imm, true),
        Sb(s) | Sh(s) | Sw(s) | Sd(s) => (s.rs1, s.imm, true),
        Flw(a) | Fld(a) => (a.rs1, a.imm, true),
        Fsw(a) | Fsd(a) => (a.rs1, a.imm, true),
        // A store-conditional without the reservation fails without touching memory, at
        // any address: completing, it shows nothing.
        ScW(_) | ScD(_) => return None,
        _ => match insn.info().format {
            FormatKind::Amo | FormatKind::Lr => (XReg::new((insn.encode() >> 15) & 31), 0, false),
            _ => return None,
        },
    };
    Some((rs1, imm as i64, plain))
}

/// `rd = base + u` with u's bound: `addi` (a constant), or `add` with one operand bounded
/// (the other the base, preferably one with a fact). The base is never x0.
fn sum(insn: &Insn, s: &State) -> Option<(usize, Sum)> {
    match *insn {
        Insn::Addi(i) if i.rs1.num() != 0 => {
            let c = i.imm as i64;
            Some((
                i.rd.num(),
                Sum {
                    base: i.rs1.num(),
                    a: c,
                    b: c,
                },
            ))
        }
        Insn::Add(r) => {
            let as_sum = |base: XReg, index: XReg| {
                let (a, b) = bounds::of(&s.bounds, index)?;
                (base.num() != 0).then_some(Sum {
                    base: base.num(),
                    a,
                    b,
                })
            };
            let one = as_sum(r.rs1, r.rs2);
            let other = as_sum(r.rs2, r.rs1);
            let known = |x: &Option<Sum>| x.is_some_and(|x| s.facts[x.base].is_some());
            let pick = if !known(&one) && known(&other) {
                other
            } else {
                one.or(other)
            };
            Some((r.rd.num(), pick?))
        }
        _ => None,
    }
}

/// Keeps a fact only while its offsets are far from wrapping.
fn near(f: Fact) -> Option<Fact> {
    [f.lo, f.hi].iter().all(|x| x.abs() < FAR).then_some(f)
}

/// Adds what `new` says to the fact `old` (both hold). Indexed only if both were: an access
/// through the register itself makes its fact a direct one.
fn both(old: Option<Fact>, new: Fact) -> Option<Fact> {
    Some(match old {
        Some(o) => Fact {
            lo: o.lo.min(new.lo),
            hi: o.hi.max(new.hi),
            indexed: o.indexed && new.indexed,
        },
        None => new,
    })
}

/// The facts known on both of two paths.
fn meet(a: &mut State, b: &State) {
    for r in 0..32 {
        a.facts[r] = match (a.facts[r], b.facts[r]) {
            (Some(x), Some(y)) => Some(Fact {
                lo: x.lo.max(y.lo),
                hi: x.hi.min(y.hi),
                indexed: x.indexed || y.indexed,
            }),
            _ => None,
        };
        a.bounds[r] = bounds::meet(a.bounds[r], b.bounds[r]);
        if a.sums[r] != b.sums[r] {
            a.sums[r] = None;
        }
    }
}

/// The access of `insn` at `r + d` has completed: what that tells about r, and about the base
/// r is a sum of.
fn accessed(s: &mut State, r: usize, d: i64) {
    let f = both(
        s.facts[r],
        Fact {
            lo: d,
            hi: d,
            indexed: false,
        },
    );
    s.facts[r] = f;
    if let (Some(f), Some(u)) = (f, s.sums[r]) {
        let back = Fact {
            lo: f.lo + u.b,
            hi: f.hi + u.a,
            indexed: f.indexed || u.a != u.b,
        };
        if let Some(back) = near(back) {
            s.facts[u.base] = both(s.facts[u.base], back);
            derive(s, u.base);
        }
    }
    derive(s, r);
}

/// What `base`'s fact tells about each register that is a sum of it: the fact `write` would
/// have given the sum had the base's fact been known then (the sums of a table's base made
/// before the first lookup into it).
fn derive(s: &mut State, base: usize) {
    let Some(f) = s.facts[base] else {
        return;
    };
    for t in 1..32 {
        if let Some(u) = s.sums[t].filter(|u| u.base == base) {
            if let Some(d) = shifted(f, u) {
                s.facts[t] = both(s.facts[t], d);
            }
        }
    }
}

/// The fact of `t = base + u` from base's fact `f`.
fn shifted(f: Fact, u: Sum) -> Option<Fact> {
    near(Fact {
        lo: f.lo - u.a,
        hi: f.hi - u.b,
        indexed: f.indexed || u.a != u.b,
    })
}

/// The writes of `insn` (`dead`: not lowered): what its destination is known to hold, and
/// everything known of what it overwrites forgotten.
fn write(s: &mut State, insn: &Insn, dead: bool) {
    let writes = super::liveness::operands(insn).x_writes;
    // What the one register written holds: its bound, its fact, the sum it is.
    let mut known = (None, None, None);
    if !dead && writes.count_ones() == 1 {
        known.0 = bounds::result(insn, &s.bounds);
        if let Some((rd, u)) = sum(insn, s) {
            known.1 = s.facts[u.base].and_then(|f| shifted(f, u));
            known.2 = (u.base != rd).then_some(u);
        }
    }
    for r in (1..32).filter(|r| writes & (1 << r) != 0) {
        for t in s.sums.iter_mut() {
            if t.is_some_and(|t| t.base == r) {
                *t = None;
            }
        }
        (s.bounds[r], s.facts[r], s.sums[r]) = known;
    }
}

/// For each instruction of the block `insns`: whether its limit check stays, or on which
/// proof it goes. `dead` are the instructions not lowered (their writes forgotten all the
/// same).
pub(super) fn plan(insns: &[Decoded], joins: &Joins, dead: &[bool]) -> Vec<Check> {
    let n = insns.len();
    let mut checks = vec![Check::Kept; n];
    // The facts on the taken edges into each join target seen so far (few: a map).
    let mut incoming: HashMap<usize, State> = HashMap::new();
    let mut s = State::NONE;
    let loops = joins.back_edges();
    for i in 0..n {
        if loops.iter().any(|&(_, t)| t == i) {
            // An inner loop's header: the back edge's facts are not known yet.
            s = State::NONE;
        } else if joins.is_target(i) {
            match incoming.get(&i) {
                Some(f) => meet(&mut s, f),
                None => s = State::NONE,
            }
        }
        let insn = &insns[i].insn;
        if let Some((r, d, plain)) = access(insn).filter(|a| a.0.num() != 0) {
            let r = r.num();
            if let Some(f) = s.facts[r].filter(|_| plain) {
                if f.lo - GUARD <= d && d + WIDEST <= f.hi + GUARD {
                    checks[i] = if f.indexed {
                        Check::Indexed
                    } else {
                        Check::Near
                    };
                }
            }
            accessed(&mut s, r, d);
        }
        write(&mut s, insn, dead[i]);
        if let Some(t) = joins.target_of(i) {
            incoming.entry(t).and_modify(|f| meet(f, &s)).or_insert(s);
        }
    }
    checks
}

#[cfg(test)]
mod tests;
