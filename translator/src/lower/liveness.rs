//! What a block does with guest registers, read off the decoded instructions before anything
//! is emitted: each instruction's reads and writes, use counts for the allocator, which
//! registers the block writes (its exits store those it holds in host registers), and dead
//! writes.
//!
//! Every way out of a block — an exit to another block or the dispatcher, a helper call, a
//! guest access that may fault — must find every guest register exact, in the `Cpu` or where
//! `Lowered::maps` (`Lowered::fmap` for FP registers) says: nothing is known of what the code
//! after it reads. So a value is dead only when it is overwritten before any such point: an
//! instruction whose whole effect is writing `rd` (integer ALU, `lui`, `auipc`), followed only
//! by such instructions up to one that writes `rd` again without reading it, is not lowered at
//! all. FP writes need no such rule: they stay in their mirrors (fregs.rs) and only the last
//! one before an exit is stored.
//!
//! ```text
//!   addi a5,a4,1   ◀─ dead: a5 written again before any exit, helper or access
//!   slli t0,a4,3
//!   add  a5,t0,a3  ◀─ writes a5 without reading it
//! ```

use isa_a::{Decoded, FormatKind, Insn};

/// The guest registers one instruction reads and writes, as bit masks (bit r: register r;
/// x0 never appears).
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq)]
pub struct Operands {
    pub x_reads: u32,
    pub x_writes: u32,
    pub f_reads: u32,
    pub f_writes: u32,
}

/// The register fields of a 32-bit encoding: rd, rs1, rs2, rs3.
fn fields(w: u32) -> [u32; 4] {
    [
        (w >> 7) & 31,
        (w >> 15) & 31,
        (w >> 20) & 31,
        (w >> 27) & 31,
    ]
}

/// The registers `insn` reads and writes, from its format's fields.
pub fn operands(insn: &Insn) -> Operands {
    use FormatKind as F;
    let [rd, rs1, rs2, rs3] = fields(insn.encode());
    let bit = |r: u32| 1u32 << r;
    // (x reads, x writes, f reads, f writes) before x0 is taken out.
    let (xr, xw, fr, fw) = match insn.info().format {
        F::R | F::Amo => (bit(rs1) | bit(rs2), bit(rd), 0, 0),
        F::I | F::Load | F::Shift | F::ShiftW | F::Csr | F::Lr => (bit(rs1), bit(rd), 0, 0),
        F::Store | F::B => (bit(rs1) | bit(rs2), 0, 0, 0),
        F::U | F::J | F::CsrI => (0, bit(rd), 0, 0),
        F::Fence | F::Nullary => (0, 0, 0, 0),
        F::FLoad => (bit(rs1), 0, 0, bit(rd)),
        F::FStore => (bit(rs1), 0, bit(rs2), 0),
        F::R4 => (0, 0, bit(rs1) | bit(rs2) | bit(rs3), bit(rd)),
        F::FRrm | F::FR => (0, 0, bit(rs1) | bit(rs2), bit(rd)),
        F::FCmp => (0, bit(rd), bit(rs1) | bit(rs2), 0),
        F::F1rm => (0, 0, bit(rs1), bit(rd)),
        F::FToX | F::FMvX => (0, bit(rd), bit(rs1), 0),
        F::XToF | F::XMvF => (bit(rs1), 0, 0, bit(rd)),
    };
    Operands {
        x_reads: xr & !1,
        x_writes: xw & !1,
        f_reads: fr,
        f_writes: fw,
    }
}

/// Whether `insn`'s only effect is writing its integer `rd`: lowered inline, no access, no
/// helper, no exit.
pub(super) fn pure(insn: &Insn) -> bool {
    matches!(
        insn.info().format,
        FormatKind::R | FormatKind::I | FormatKind::Shift | FormatKind::ShiftW | FormatKind::U
    )
}

/// A block's register facts.
pub struct Analysis {
    pub ops: Vec<Operands>,
    /// Reads and writes of each integer register (dead instructions not counted).
    pub uses: [u32; 32],
    /// Whether the block writes each integer register.
    pub written: [bool; 32],
    /// The integer registers the first n instructions write, as bit masks, for n = 0..=len:
    /// an exit after n instructions stores only those (in a block that does not loop).
    pub written_before: Vec<u32>,
    /// Reads and writes of each FP register.
    pub freads: [u32; 32],
    pub fwrites: [u32; 32],
    /// The FP registers the first n instructions write, as `written_before` (fregs.rs stores
    /// the mirrors of those at an exit).
    pub fwritten_before: Vec<u32>,
    /// Instructions whose write is overwritten before anything can see it: not lowered.
    pub dead: Vec<bool>,
    /// Whether the block branches or jumps back to its own start (its uses then count once
    /// per iteration, its prologue once per loop).
    pub looping: bool,
    /// Whether the block has an atomic (whose lowering needs rsi for the address).
    pub atomics: bool,
    /// How many times each instruction's uses count: more inside inner loops
    /// (inner_loop.rs), whose bodies run many times a pass.
    pub weight: Vec<u32>,
    /// What keeping instret in the frame costs beyond the block's ends, in uses: the
    /// count at inner loops' back edges.
    pub instret_uses: u32,
}

/// Analyses the block `insns` starting at `pc`.
pub fn analyse(insns: &[Decoded], pc: u64) -> Analysis {
    let ops: Vec<Operands> = insns.iter().map(|d| operands(&d.insn)).collect();
    let dead = dead_writes(insns, &ops);
    let mut written_before = vec![0u32];
    let mut fwritten_before = vec![0u32];
    for o in &ops {
        written_before.push(written_before.last().unwrap() | o.x_writes);
        fwritten_before.push(fwritten_before.last().unwrap() | o.f_writes);
    }
    let mut a = Analysis {
        uses: [0; 32],
        written: [false; 32],
        written_before,
        freads: [0; 32],
        fwrites: [0; 32],
        fwritten_before,
        looping: loops_to_start(insns, pc),
        atomics: insns
            .iter()
            .any(|d| matches!(d.insn.info().format, FormatKind::Amo | FormatKind::Lr)),
        weight: vec![1; ops.len()],
        instret_uses: 0,
        ops,
        dead,
    };
    a.uses = a.uses_in(0..insns.len());
    for (o, &dead) in a.ops.iter().zip(&a.dead) {
        if dead {
            continue;
        }
        for r in 1..32 {
            a.written[r] |= o.x_writes >> r & 1 != 0;
        }
        for r in 0..32 {
            a.freads[r] += o.f_reads >> r & 1;
            a.fwrites[r] += o.f_writes >> r & 1;
        }
    }
    a
}

impl Analysis {
    /// Reads and writes of each integer register by the instructions `range` (dead ones not
    /// counted).
    pub fn uses_in(&self, range: std::ops::Range<usize>) -> [u32; 32] {
        let mut uses = [0; 32];
        for i in range.filter(|&i| !self.dead[i]) {
            let (o, k) = (&self.ops[i], self.weight[i]);
            for (r, u) in uses.iter_mut().enumerate().skip(1) {
                *u += k * ((o.x_reads >> r & 1) + (o.x_writes >> r & 1));
            }
        }
        uses
    }
}

/// Marks each pure instruction whose `rd` is written again, without being read, by a later
/// instruction before anything but pure instructions comes between.
fn dead_writes(insns: &[Decoded], ops: &[Operands]) -> Vec<bool> {
    let mut dead = vec![false; insns.len()];
    for i in 0..insns.len() {
        let w = ops[i].x_writes;
        if w == 0 || !pure(&insns[i].insn) {
            continue;
        }
        for j in i + 1..insns.len() {
            if !pure(&insns[j].insn) || ops[j].x_reads & w != 0 {
                break;
            }
            if ops[j].x_writes & w != 0 {
                dead[i] = true;
                break;
            }
        }
    }
    dead
}

/// Whether integer register `r`'s value after instruction `idx` (itself pure: nothing leaves
/// the block there) is written again, without being read, before anything but pure
/// instructions comes: the rule of [`dead_writes`] for one register at one point.
pub fn overwritten_after(insns: &[Decoded], ops: &[Operands], r: u32, idx: usize) -> bool {
    insns.get(idx).is_some_and(|d| pure(&d.insn)) && overwritten_from(insns, ops, r, idx + 1)
}

/// Whether integer register `r`'s value before instruction `idx` is written again, without
/// being read, before anything but pure instructions comes (the same rule): a region's
/// transition (regions.rs) need not store it.
pub fn overwritten_from(insns: &[Decoded], ops: &[Operands], r: u32, idx: usize) -> bool {
    let w = 1u32 << r;
    if r == 0 {
        return false;
    }
    for j in idx..insns.len() {
        if !pure(&insns[j].insn) || ops[j].x_reads & w != 0 {
            return false;
        }
        if ops[j].x_writes & w != 0 {
            return true;
        }
    }
    false
}

/// Whether the block has a direct branch or jump back to its own start.
fn loops_to_start(insns: &[Decoded], pc: u64) -> bool {
    let pcs = crate::superblock::pcs(pc, insns);
    insns
        .iter()
        .zip(pcs)
        .any(|(d, at)| d.insn.direct_target(at) == Some(pc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use isa_a::format::{Store, I, R};
    use isa_a::XReg;

    fn d(insn: Insn) -> Decoded {
        Decoded { insn, len: 4 }
    }
    fn x(n: u32) -> XReg {
        XReg::new(n)
    }

    #[test]
    fn operands_by_format() {
        let add = Insn::Add(R {
            rd: x(5),
            rs1: x(6),
            rs2: x(0),
        });
        assert_eq!(
            operands(&add),
            Operands {
                x_reads: 1 << 6,
                x_writes: 1 << 5,
                ..Default::default()
            }
        );
        let sd = Insn::Sd(Store {
            rs1: x(2),
            rs2: x(10),
            imm: 8,
        });
        assert_eq!(operands(&sd).x_reads, 1 << 2 | 1 << 10);
        assert_eq!(operands(&sd).x_writes, 0);
    }

    #[test]
    fn a_write_overwritten_before_any_exit_is_dead() {
        let addi = |rd, rs1| {
            d(Insn::Addi(I {
                rd: x(rd),
                rs1: x(rs1),
                imm: 1,
            }))
        };
        let sd = d(Insn::Sd(Store {
            rs1: x(2),
            rs2: x(5),
            imm: 0,
        }));
        // a5 = a4+1; t0 = a4+1; a5 = t0+1: the first write of a5 is dead.
        let a = analyse(&[addi(15, 14), addi(5, 14), addi(15, 5)], 0);
        assert_eq!(a.dead, [true, false, false]);
        // Read in between: live.
        let a = analyse(&[addi(15, 14), addi(5, 15), addi(15, 5)], 0);
        assert_eq!(a.dead, [false, false, false]);
        // A store (which may fault) in between: live.
        let a = analyse(&[addi(15, 14), sd, addi(15, 5)], 0);
        assert_eq!(a.dead, [false, false, false]);
        // Overwritten by itself reading it: live.
        let a = analyse(&[addi(15, 14), addi(15, 15)], 0);
        assert_eq!(a.dead, [false, false]);
        // A leaf's return inside a superblock (whose budget check may leave) in between: live.
        let ret = d(Insn::Jalr(isa_a::format::Load {
            rd: x(0),
            rs1: x(1),
            imm: 0,
        }));
        let a = analyse(&[addi(15, 14), ret, addi(15, 5)], 0);
        assert_eq!(a.dead, [false, false, false]);
    }

    #[test]
    fn overwritten_after_follows_the_dead_write_rule() {
        let addi = |rd, rs1| {
            d(Insn::Addi(I {
                rd: x(rd),
                rs1: x(rs1),
                imm: 1,
            }))
        };
        let sd = d(Insn::Sd(Store {
            rs1: x(2),
            rs2: x(6),
            imm: 0,
        }));
        let code = [addi(15, 14), addi(5, 14), sd, addi(15, 5), addi(5, 0)];
        let ops: Vec<_> = code.iter().map(|d| operands(&d.insn)).collect();
        let after = |r, i| overwritten_after(&code, &ops, r, i);
        // a5 after 0: overwritten at 3, but the store (which may fault) comes first.
        assert!(!after(15, 0));
        // t0 after 1: read at 3. a5 after 3: never written again. t0 after 3: written at 4.
        assert!(!after(5, 1) && !after(15, 3) && after(5, 3));
        // Not asked at an instruction that may leave.
        assert!(!after(5, 2));
    }

    #[test]
    fn a_write_before_a_forward_branch_stays_live_across_the_skipped_code() {
        let addi = |rd, rs1| {
            d(Insn::Addi(I {
                rd: x(rd),
                rs1: x(rs1),
                imm: 1,
            }))
        };
        // a5 = a4+1; beqz a3 → the add (a join, lower/join.rs); a5 = t0+1 (skipped when
        // taken); a0 = a5+a5: the taken path reads the first a5.
        let beqz = d(Insn::Beq(isa_a::format::B {
            rs1: x(13),
            rs2: x(0),
            off: 8,
        }));
        let add = d(Insn::Add(R {
            rd: x(10),
            rs1: x(15),
            rs2: x(15),
        }));
        let a = analyse(&[addi(15, 14), beqz, addi(15, 5), add], 0);
        assert_eq!(a.dead, [false, false, false, false]);
    }
}
