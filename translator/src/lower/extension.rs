//! Known sign extension: before each instruction of a block, the guest registers that
//! certainly hold the sign extension of their low 32 bits (bits 63..31 all equal). RV64 code
//! sign-extends often (`sext.w`, the `*w` operations); where the value already is extended,
//! the lowering copies it, or emits nothing, instead of a `movsxd`.
//!
//! A forward pass over the decoded slice, in the order the block runs it (a superblock is
//! one straight line: every branch out of it leaves, and a branch back to its start finds
//! nothing known, as at any entry). A fact is made by an instruction whose result is
//! extended whatever its operands (`*w` operations, `lw`/`lh`/`lb`/`lhu`/`lbu`, `lui`, a
//! constant that fits, a comparison's 0 or 1, the 32-bit atomics), or whose operands are
//! (`and`/`or`/`xor` of two extended values, `srai`, `andi`/`ori` by a negative mask, …);
//! any other write of a register — a 64-bit operation, a load of another width, a helper's
//! result — ends it. A helper runs one instruction, so it changes nothing but that
//! instruction's destination. The facts hold of guest values, not of how they were lowered:
//! a fused pair or a slow path computes the same values.
//!
//! ```text
//!   lw   a1,0(a5)     a1 extended
//!   xor  a1,a1,a4     a1 extended if a4 is (and a1 was)
//!   sext.w a1,a1      nothing to emit
//!   ld   a1,8(a5)     a1 no longer known
//! ```

use super::liveness::operands;
use super::Lower;
use isa_a::{Decoded, FormatKind, Insn, XReg};
use std::sync::atomic::{AtomicU64, Ordering};

/// [`analyse_joined`] for a block without joins.
#[cfg(test)]
pub fn analyse(insns: &[Decoded], pc: u64) -> Vec<u32> {
    analyse_from(insns, pc, 1)
}

/// The registers extended before each instruction, as bit masks (bit r: register r; x0,
/// always zero, is always set). One more entry than instructions: after the last. The
/// instructions `joined` says are also reached by a jump from earlier in the block
/// (join.rs) know nothing, whatever the straight path made: a fact there would have to hold
/// on the jump's path too.
pub fn analyse_joined(insns: &[Decoded], pc: u64, joined: impl Fn(usize) -> bool) -> Vec<u32> {
    let pcs = crate::superblock::pcs(pc, insns);
    let mut known = vec![1];
    for (i, (d, at)) in insns.iter().zip(pcs).enumerate() {
        if joined(i) {
            known[i] = 1;
        }
        let k = known[i];
        known.push(after(&d.insn, at, d.len, k));
    }
    known
}

/// For a block that branches back to its own start keeping its registers: what is known
/// before each instruction of every iteration but the first, when that lets some extension
/// go (`first`: the facts of [`analyse_joined`]). The registers extended at every branch back to
/// the start are extended at the start of the next iteration; starting from more never
/// knows less, so they are again at every branch back: a fixed point in one pass. The
/// block's body is then lowered twice, the first iteration knowing nothing at its start,
/// the rest these facts (`Lower::body`).
///
/// ```text
///   loop: sext.w t6,t5    ◀─ t5 from the loop's entry: unknown the first time round …
///         addw   t5,…     ◀─ … then from this addw, extended: nothing to emit
///         bne    a1,s3,loop
/// ```
pub fn loop_facts(insns: &[Decoded], pc: u64, first: &[u32]) -> Option<Vec<u32>> {
    let pcs = crate::superblock::pcs(pc, insns);
    let back = insns
        .iter()
        .zip(pcs)
        .enumerate()
        .filter(|(_, (d, at))| d.insn.direct_target(*at) == Some(pc))
        .map(|(i, _)| first[i + 1])
        .reduce(|a, b| a & b)?;
    let later = analyse_from(insns, pc, back);
    let gains = insns
        .iter()
        .enumerate()
        .any(|(i, d)| extends(&d.insn).is_some_and(|r| (later[i] & !first[i]) >> r.num() & 1 != 0));
    gains.then_some(later)
}

/// The register an instruction the lowering knows to skip the extension of sign-extends:
/// `sext.w`, `addw rd, x0, rs`, `sraiw`, an `slli` by 32 (of `slli`+`srai`).
fn extends(insn: &Insn) -> Option<XReg> {
    match *insn {
        Insn::Addiw(i) if i.imm == 0 => Some(i.rs1),
        Insn::Addw(r) if r.rs1.num() == 0 => Some(r.rs2),
        Insn::Sraiw(s) => Some(s.rs1),
        Insn::Slli(s) if s.shamt == 32 => Some(s.rs1),
        _ => None,
    }
}

/// [`analyse_joined`] of a block without joins, from `entry` known at its start.
fn analyse_from(insns: &[Decoded], pc: u64, entry: u32) -> Vec<u32> {
    let pcs = crate::superblock::pcs(pc, insns);
    let mut known = vec![entry | 1];
    for (d, at) in insns.iter().zip(pcs) {
        let k = *known.last().unwrap();
        known.push(after(&d.insn, at, d.len, k));
    }
    known
}

/// Whether `v` is the sign extension of its low 32 bits.
fn fits(v: u64) -> bool {
    v as i64 == v as i32 as i64
}

/// The registers extended after `insn` (at `pc`, `len` bytes long), given those before.
pub fn after(insn: &Insn, pc: u64, len: u8, known: u32) -> u32 {
    let writes = operands(insn).x_writes;
    if writes == 0 {
        return known;
    }
    let ext = |r: XReg| known >> r.num() & 1 != 0;
    use Insn::*;
    let extended = match *insn {
        Addiw(_) | Slliw(_) | Srliw(_) | Sraiw(_) | Addw(_) | Subw(_) | Sllw(_) | Srlw(_)
        | Sraw(_) | Mulw(_) | Divw(_) | Divuw(_) | Remw(_) | Remuw(_) => true,
        Lb(_) | Lh(_) | Lw(_) | Lbu(_) | Lhu(_) => true,
        Lui(_) => true,
        Auipc(u) => fits(pc.wrapping_add(u.imm as i64 as u64)),
        Jal(_) | Jalr(_) => fits(pc.wrapping_add(len as u64)),
        Slt(_) | Sltu(_) | Slti(_) | Sltiu(_) => true,
        // li, mv
        Addi(i) => i.rs1.num() == 0 || (i.imm == 0 && ext(i.rs1)),
        // A non-negative mask clears bits 63..11; a negative one keeps bits 63..31 as they are.
        Andi(i) => i.imm >= 0 || ext(i.rs1),
        // A negative immediate sets bits 63..11; a non-negative one keeps bits 63..31.
        Ori(i) => i.imm < 0 || ext(i.rs1),
        // Bits 63..31 kept or all flipped.
        Xori(i) => ext(i.rs1),
        And(r) | Or(r) | Xor(r) => ext(r.rs1) && ext(r.rs2),
        // mv (c.mv is add rd, x0, rs2)
        Add(r) if r.rs1.num() == 0 => ext(r.rs2),
        Add(r) | Sub(r) if r.rs2.num() == 0 => ext(r.rs1),
        Slli(s) if s.shamt == 0 => ext(s.rs1),
        // At least 33 zeros on top.
        Srli(s) => s.shamt >= 33 || (s.shamt == 0 && ext(s.rs1)),
        // At least 33 copies of bit 63 on top, or the 33 already there shifted down.
        Srai(s) => s.shamt >= 32 || ext(s.rs1),
        Sra(r) => ext(r.rs1),
        // The old 32-bit value, extended, or sc's 0 or 1.
        LrW(_) | ScW(_) | ScD(_) => true,
        _ if insn.info().format == FormatKind::Amo => insn.info().mnemonic.ends_with(".w"),
        // feq/flt/fle: 0 or 1.
        _ if insn.info().format == FormatKind::FCmp => true,
        _ => false,
    };
    known & !writes | if extended { writes } else { 0 } | 1
}

/// What the facts saved, in the order of [`NAMES`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Saved {
    /// `sext.w rd, rs` (or `addw rd, x0, rs`) lowered as a copy.
    Copy,
    /// `sext.w r, r`: nothing at all.
    Nothing,
    /// `sraiw` shifting the 64-bit value as it is.
    Sraiw,
    /// `slli`+`srai` by 32 lowered as a copy.
    ShiftPair,
    /// A loop's body lowered a second time, knowing what its iterations extend.
    Peeled,
    /// A `*w` result whose upper half nothing observes left unextended (lazy.rs).
    Lazy,
    /// Such a result computed at 32 bits in its register's slot (lazy.rs, slots.rs).
    LazyInPlace,
}

/// How each saving is named in [`counts`].
const NAMES: [&str; 7] = [
    "sext.w copied",
    "sext.w dropped",
    "sraiw unextended",
    "slli+srai copied",
    "loop bodies peeled",
    "*w results left unextended",
    "*w results computed in their slots",
];

/// Savings in every translation of this process, by kind.
static HITS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];

/// How many times each saving has been lowered in this process (for tests and statistics).
pub fn counts() -> Vec<(&'static str, u64)> {
    NAMES
        .iter()
        .zip(&HITS)
        .map(|(n, h)| (*n, h.load(Ordering::Relaxed)))
        .collect()
}

impl Lower<'_> {
    /// Whether guest `r` certainly holds an extended value before the instruction at `idx`,
    /// in its host register or slot too (not one lazy.rs left unextended).
    pub(super) fn extended(&self, r: XReg) -> bool {
        self.plan.ext[self.cur.idx] >> r.num() & 1 != 0 && !self.pending(r)
    }

    /// `rd` = `rs` sign-extended from 32 bits, when `rs` is known to be: a copy, or nothing
    /// when `rd` is `rs`; counted as `how` (a copy of `sext.w` as [`Saved::Nothing`] when
    /// nothing is emitted). False (nothing emitted) when it is not known.
    pub(super) fn copy_extended(&mut self, rd: XReg, rs: XReg, how: Saved) -> bool {
        if !self.extended(rs) {
            return false;
        }
        if rd != rs {
            self.copy(rd, rs);
        }
        saved(match how {
            Saved::Copy if rd == rs => Saved::Nothing,
            how => how,
        });
        true
    }
}

/// Counts one saving.
pub(super) fn saved(s: Saved) {
    HITS[s as usize].fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::test_insns::{d, i, r, x};
    use isa_a::format::{Load, Shift, Store, U};

    fn load(rd: u32, rs1: u32) -> Load {
        Load {
            rd: x(rd),
            rs1: x(rs1),
            imm: 0,
        }
    }
    fn sh(rd: u32, rs1: u32, shamt: u32) -> Shift {
        Shift {
            rd: x(rd),
            rs1: x(rs1),
            shamt,
        }
    }

    /// Whether `reg` is known extended after `insns` (starting from nothing known).
    fn ends_extended(insns: &[Insn], reg: u32) -> bool {
        let ds: Vec<Decoded> = insns.iter().map(|&n| d(n)).collect();
        analyse(&ds, 0x1000).last().unwrap() >> reg & 1 != 0
    }

    #[test]
    fn nothing_but_x0_is_known_at_entry() {
        assert_eq!(analyse(&[], 0x1000), [1]);
    }

    #[test]
    fn facts_made() {
        let lw = Insn::Lw(load(11, 10));
        let made: &[(&str, &[Insn])] = &[
            ("lw", &[lw]),
            ("lh", &[Insn::Lh(load(11, 10))]),
            ("lbu", &[Insn::Lbu(load(11, 10))]),
            ("lhu", &[Insn::Lhu(load(11, 10))]),
            ("addw", &[Insn::Addw(r(11, 12, 13))]),
            ("addiw", &[Insn::Addiw(i(11, 12, 5))]),
            ("mulw", &[Insn::Mulw(r(11, 12, 13))]),
            ("li", &[Insn::Addi(i(11, 0, -5))]),
            (
                "lui",
                &[Insn::Lui(U {
                    rd: x(11),
                    imm: -4096,
                })],
            ),
            ("sltu", &[Insn::Sltu(r(11, 12, 13))]),
            (
                "andi with a non-negative mask",
                &[Insn::Andi(i(11, 12, 0xff))],
            ),
            ("ori with a negative immediate", &[Insn::Ori(i(11, 12, -2))]),
            ("srai by 32", &[Insn::Srai(sh(11, 12, 32))]),
            ("srli by 33", &[Insn::Srli(sh(11, 12, 33))]),
            ("xor of extended", &[lw, Insn::Xor(r(11, 11, 0))]),
            (
                "and of extended",
                &[lw, Insn::Lb(load(12, 10)), Insn::And(r(11, 11, 12))],
            ),
            ("mv of extended", &[lw, Insn::Addi(i(13, 11, 0))]),
            ("c.mv of extended", &[lw, Insn::Add(r(13, 0, 11))]),
            ("srai of extended", &[lw, Insn::Srai(sh(11, 11, 3))]),
            ("xori of extended", &[lw, Insn::Xori(i(11, 11, -1))]),
            ("andi of extended", &[lw, Insn::Andi(i(11, 11, -16))]),
            (
                "kept across a store and another register's 64-bit write",
                &[
                    lw,
                    Insn::Sd(Store {
                        rs1: x(10),
                        rs2: x(11),
                        imm: 0,
                    }),
                    Insn::Add(r(12, 11, 11)),
                ],
            ),
            (
                "auipc whose value fits",
                &[Insn::Auipc(U { rd: x(11), imm: 0 })],
            ),
        ];
        for (what, insns) in made {
            assert!(ends_extended(insns, 11), "{what}: not known extended");
        }
    }

    #[test]
    fn facts_not_made_or_killed() {
        let lw = Insn::Lw(load(11, 10));
        let not: &[(&str, &[Insn])] = &[
            ("nothing at entry", &[]),
            ("ld", &[Insn::Ld(load(11, 10))]),
            ("lwu", &[Insn::Lwu(load(11, 10))]),
            ("add", &[Insn::Add(r(11, 12, 13))]),
            ("addi of an unknown value", &[Insn::Addi(i(11, 12, 0))]),
            ("andi with a negative mask", &[Insn::Andi(i(11, 12, -16))]),
            (
                "ori with a non-negative immediate",
                &[Insn::Ori(i(11, 12, 1))],
            ),
            ("srai by 31", &[Insn::Srai(sh(11, 12, 31))]),
            ("srli by 32", &[Insn::Srli(sh(11, 12, 32))]),
            ("xor with an unknown value", &[lw, Insn::Xor(r(11, 11, 12))]),
            ("a 64-bit add of extended", &[lw, Insn::Add(r(11, 11, 11))]),
            ("neg of extended", &[lw, Insn::Sub(r(11, 0, 11))]),
            ("slli of extended", &[lw, Insn::Slli(sh(11, 11, 1))]),
            ("srli of extended", &[lw, Insn::Srli(sh(11, 11, 1))]),
            ("overwritten by ld", &[lw, Insn::Ld(load(11, 10))]),
            ("overwritten by lwu", &[lw, Insn::Lwu(load(11, 10))]),
            ("overwritten by mul", &[lw, Insn::Mul(r(11, 11, 0))]),
            (
                "overwritten by a CSR read (a helper)",
                &[
                    lw,
                    Insn::Csrrs(isa_a::format::Csr {
                        rd: x(11),
                        rs1: x(0),
                        csr: isa_a::csr::CYCLE,
                    }),
                ],
            ),
            (
                "lui then addi (a 64-bit add)",
                &[
                    Insn::Lui(U {
                        rd: x(11),
                        imm: 0x7fff_f000,
                    }),
                    Insn::Addi(i(11, 11, 0x7ff)),
                ],
            ),
            (
                "auipc whose value does not fit",
                &[Insn::Auipc(U {
                    rd: x(11),
                    imm: 0x7fff_f000,
                })],
            ),
        ];
        for (what, insns) in not {
            assert!(!ends_extended(insns, 11), "{what}: known extended");
        }
    }

    #[test]
    fn a_helper_changes_only_its_destination() {
        // lw a1; fcvt.wu.d a2 (a helper call); a1 still known, a2 not.
        let fcvt = isa_a::decode32(0x61 << 25 | 1 << 20 | 3 << 15 | 7 << 12 | 12 << 7 | 0x53)
            .expect("fcvt.wu.d");
        let code = [
            d(Insn::Lw(load(11, 10))),
            d(Insn::Lw(load(12, 10))),
            d(fcvt),
        ];
        let k = *analyse(&code, 0).last().unwrap();
        assert_eq!(k & (1 << 11 | 1 << 12), 1 << 11);
    }

    #[test]
    fn a_loop_knows_what_its_iterations_extend() {
        // 0x1000: sext.w t6,t5; addw t5,a0,a1; [slli t5,t5,1]; bne a1,s3,0x1000
        let sext = d(Insn::Addiw(i(31, 30, 0)));
        let addw = d(Insn::Addw(r(30, 10, 11)));
        let slli = d(Insn::Slli(sh(30, 30, 1)));
        let back = |off| {
            d(Insn::Bne(isa_a::format::B {
                rs1: x(11),
                rs2: x(19),
                off,
            }))
        };
        let code = [sext, addw, back(-8)];
        let first = analyse(&code, 0x1000);
        let later = loop_facts(&code, 0x1000, &first).expect("t5 known from the 2nd iteration");
        assert_eq!((first[0] >> 30 & 1, later[0] >> 30 & 1), (0, 1));
        // Killed before the branch back: nothing gained.
        let code = [sext, addw, slli, back(-12)];
        assert_eq!(loop_facts(&code, 0x1000, &analyse(&code, 0x1000)), None);
        // Nothing that extends: nothing gained.
        let code = [addw, back(-4)];
        assert_eq!(loop_facts(&code, 0x1000, &analyse(&code, 0x1000)), None);
        // No branch back.
        let code = [sext, addw, back(-64)];
        assert_eq!(loop_facts(&code, 0x1000, &analyse(&code, 0x1000)), None);
    }

    #[test]
    fn facts_follow_a_superblock_into_its_next_part() {
        // lw a1; beq a1, x0 (not taken: the next part); the next part's a1 is still known,
        // until a jal's link (0x100c, which fits) and ld overwrite two others.
        let code = [
            d(Insn::Lw(load(11, 10))),
            d(Insn::Beq(isa_a::format::B {
                rs1: x(11),
                rs2: x(0),
                off: 64,
            })),
            d(Insn::Ld(load(12, 10))),
            d(Insn::Jal(isa_a::format::J { rd: x(1), off: 64 })),
        ];
        let k = analyse(&code, 0x1000);
        assert_eq!(k[2] >> 11 & 1, 1);
        assert_eq!(k[4] & (1 << 1 | 1 << 11 | 1 << 12), 1 << 1 | 1 << 11);
    }
}
