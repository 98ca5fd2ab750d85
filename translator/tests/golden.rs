//! Golden translations: for a handful of idioms, the host code the translator emits and its
//! instruction count, checked against `tests/golden/*.txt`. A change in code quality shows up
//! in review as a diff of these files. `MIMIC_BLESS=1 cargo test -p translator --test golden`
//! rewrites them. Host addresses (helper, table, data pointers) are masked.

mod common;

use common::{i_of, r_of};
use isa_a::format::{Load, Shift, ShiftW, Store, B, I, J, R, U};
use isa_a::{decode, Decoded, Insn, XReg};
use translator::{describe, Budget, CodeCache, HostFeatures, LogFlags, TestMemory};

const X0: XReg = XReg::new(0);
const A0: XReg = XReg::new(10);
const A1: XReg = XReg::new(11);
const A2: XReg = XReg::new(12);
const A3: XReg = XReg::new(13);
const A4: XReg = XReg::new(14);
const S2: XReg = XReg::new(18);

/// Translates for a host with every extension the emitter knows, whatever this one has.
fn translate(name: &str, code: &[Insn]) {
    translate_for(name, code, Budget::Exact, HostFeatures::ALL);
}

/// [`translate`] with the budget checked where `budget` says, for a host with `host`.
fn translate_for(name: &str, code: &[Insn], budget: Budget, host: HostFeatures) {
    translate_copies(name, code, 1, budget, host);
}

/// [`translate_for`] of a superblock made of `copies` copies of `code`: a loop unrolled (the
/// translator's unroll.rs makes such superblocks where the budget is looked at at back edges).
fn translate_copies(name: &str, code: &[Insn], copies: usize, budget: Budget, host: HostFeatures) {
    let insns: Vec<Decoded> = code.iter().map(|i| decode(i.encode()).unwrap()).collect();
    let insns = insns.repeat(copies);
    let mut mem = TestMemory::new(1 << 16);
    mem.load_code(0x1000, code);
    let mut cache = CodeCache::new(mem.layout()).unwrap();
    cache.set_budget(budget);
    cache.set_host_features(host);
    cache.translate(&mut mem, 0x1000, &insns).unwrap();
    let t = cache.get(0x1000).unwrap();
    let text = describe(
        &cache,
        t,
        LogFlags {
            in_asm: true,
            out_asm: true,
            ..LogFlags::default()
        },
    );
    // Mask absolute host addresses: 0x + 9 to 12 hex digits (user space ends below
    // 0x8000_0000_0000; longer constants, such as the canonical NaN, are guest values and
    // stay), and the OUT addresses.
    let (guest, host) = text.split_at(text.find("OUT:").unwrap());
    let mut out = guest.to_string();
    for line in host.lines() {
        let line = match line.strip_prefix("0x") {
            Some(rest) if line.contains(":  ") && !rest.starts_with("0000000000001") => line
                .split_once(":  ")
                .map(|x| x.1)
                .unwrap_or(line)
                .to_string(),
            _ => line.to_string(),
        };
        let mut masked = String::new();
        let mut rest = line.as_str();
        while let Some(i) = rest.find("0x") {
            masked.push_str(&rest[..i]);
            let hex: String = rest[i + 2..]
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .collect();
            let digits = hex.trim_start_matches('0').len();
            masked.push_str(if (9..=12).contains(&digits) {
                "<host>"
            } else {
                &rest[i..i + 2 + hex.len()]
            });
            rest = &rest[i + 2 + hex.len()..];
        }
        masked.push_str(rest);
        out.push_str(&masked);
        out.push('\n');
    }
    let path = format!("{}/tests/golden/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("MIMIC_BLESS").is_some() {
        std::fs::write(&path, &out).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        want, out,
        "{name}: translation changed (MIMIC_BLESS=1 to accept)"
    );
}

#[test]
fn addi() {
    translate(
        "addi",
        &[
            Insn::Addi(I {
                rd: A0,
                rs1: A0,
                imm: 1,
            }),
            Insn::Addi(I {
                rd: S2,
                rs1: A1,
                imm: -5,
            }),
        ],
    );
}

#[test]
fn lui_addi() {
    translate(
        "lui_addi",
        &[
            Insn::Lui(U {
                rd: A0,
                imm: 0x12345000,
            }),
            Insn::Addi(I {
                rd: A0,
                rs1: A0,
                imm: 0x678,
            }),
        ],
    );
}

#[test]
fn ld_sd_offset() {
    translate(
        "ld_sd",
        &[
            Insn::Ld(Load {
                rd: A0,
                rs1: XReg::SP,
                imm: 16,
            }),
            Insn::Sd(Store {
                rs1: XReg::SP,
                rs2: A0,
                imm: 24,
            }),
        ],
    );
}

#[test]
fn beq_loop() {
    translate(
        "beq_loop",
        &[
            Insn::Addi(I {
                rd: A0,
                rs1: A0,
                imm: -1,
            }),
            Insn::Beq(B {
                rs1: A0,
                rs2: A1,
                off: -4,
            }),
        ],
    );
}

/// A superblock of forward branches ending in a back edge: every part ends with a budget
/// check when the budget is exact; at back edges only the loop's branch keeps one.
#[test]
fn budget_checks() {
    let code = [
        Insn::Addi(I {
            rd: A0,
            rs1: A0,
            imm: -1,
        }),
        Insn::Bne(B {
            rs1: A0,
            rs2: A1,
            off: 64,
        }),
        Insn::Addi(I {
            rd: A2,
            rs1: A2,
            imm: 1,
        }),
        Insn::Blt(B {
            rs1: A2,
            rs2: A3,
            off: 64,
        }),
        Insn::Addi(I {
            rd: A3,
            rs1: A3,
            imm: 1,
        }),
        Insn::Bne(B {
            rs1: A0,
            rs2: XReg::ZERO,
            off: -20,
        }),
    ];
    translate_for("budget_exact", &code, Budget::Exact, HostFeatures::ALL);
    translate_for(
        "budget_back_edges",
        &code,
        Budget::BackEdges,
        HostFeatures::ALL,
    );
}

#[test]
fn jal_ret() {
    translate(
        "jal",
        &[Insn::Jal(J {
            rd: XReg::RA,
            off: 64,
        })],
    );
    translate(
        "ret",
        &[Insn::Jalr(Load {
            rd: XReg::ZERO,
            rs1: XReg::RA,
            imm: 0,
        })],
    );
}

// One per fusion (translator/src/lower/fuse.rs): each file shows the pair as one piece of
// host code, and changes when the fusion stops firing.

#[test]
fn fused_lui_addiw_to_another_register() {
    translate(
        "lui_addiw_other",
        &[
            Insn::Lui(U {
                rd: A1,
                imm: -0x1000,
            }),
            Insn::Addiw(I {
                rd: S2,
                rs1: A1,
                imm: 0x7ff,
            }),
        ],
    );
}

#[test]
fn fused_auipc_addi() {
    translate(
        "auipc_addi",
        &[
            Insn::Auipc(U {
                rd: A0,
                imm: 0x1000,
            }),
            Insn::Addi(I {
                rd: A0,
                rs1: A0,
                imm: 0x10,
            }),
        ],
    );
}

#[test]
fn fused_auipc_jalr_call() {
    translate(
        "auipc_jalr",
        &[
            Insn::Auipc(U {
                rd: XReg::RA,
                imm: 0,
            }),
            Insn::Jalr(Load {
                rd: XReg::RA,
                rs1: XReg::RA,
                imm: 0x40,
            }),
        ],
    );
}

#[test]
fn fused_slli_add_scaled_index() {
    translate(
        "slli_add",
        &[
            Insn::Slli(Shift {
                rd: A1,
                rs1: A2,
                shamt: 3,
            }),
            Insn::Add(R {
                rd: A1,
                rs1: A0,
                rs2: A1,
            }),
        ],
    );
}

#[test]
fn fused_shift_pairs_extend() {
    let pair = |rd, rs1, n, signed: bool| {
        let right = Shift {
            rd,
            rs1: rd,
            shamt: n,
        };
        [
            Insn::Slli(Shift { rd, rs1, shamt: n }),
            if signed {
                Insn::Srai(right)
            } else {
                Insn::Srli(right)
            },
        ]
    };
    let code: Vec<Insn> = [
        pair(A0, A1, 32, false),
        pair(A2, A2, 48, false),
        pair(A3, A0, 56, true),
        pair(S2, A0, 32, true),
    ]
    .concat();
    translate("extend", &code);
}

#[test]
fn fused_slt_branch_inside_a_superblock() {
    translate(
        "slt_bnez",
        &[
            Insn::Sltu(R {
                rd: A0,
                rs1: A1,
                rs2: A2,
            }),
            Insn::Bne(B {
                rs1: A0,
                rs2: XReg::ZERO,
                off: 64,
            }),
            Insn::Slti(I {
                rd: A3,
                rs1: A1,
                imm: -3,
            }),
            Insn::Beq(B {
                rs1: XReg::ZERO,
                rs2: A3,
                off: 64,
            }),
            Insn::Addi(I {
                rd: A1,
                rs1: A1,
                imm: 1,
            }),
        ],
    );
}

#[test]
fn fused_constant_addresses() {
    translate(
        "constant_address",
        &[
            Insn::Auipc(U { rd: A0, imm: 0 }),
            Insn::Ld(Load {
                rd: A0,
                rs1: A0,
                imm: 0x100,
            }),
            Insn::Lui(U {
                rd: A1,
                imm: 0x5000,
            }),
            Insn::Sw(Store {
                rs1: A1,
                rs2: A0,
                imm: 8,
            }),
        ],
    );
}

/// A dot product with a running product: both FP accumulators stay in SSE registers across
/// iterations and are stored only at the exits; the product into its own source is computed
/// in place, and the fma into its addend too, the addend kept in xmm0 for the helper.
#[test]
fn fp_loop_keeps_writes_in_mirrors() {
    let fp = |w: u32| decode(w).unwrap().insn;
    translate(
        "fp_loop",
        &[
            fp(10 << 15 | 3 << 12 | 15 << 7 | 0x07), // fld fa5, 0(a0)
            fp(11 << 15 | 3 << 12 | 14 << 7 | 0x07), // fld fa4, 0(a1)
            // fmadd.d fa0, fa5, fa4, fa0
            fp(10 << 27 | 1 << 25 | 14 << 20 | 15 << 15 | 7 << 12 | 10 << 7 | 0x43),
            // fmul.d fa1, fa1, fa5
            fp(0x09 << 25 | 15 << 20 | 11 << 15 | 7 << 12 | 11 << 7 | 0x53),
            Insn::Addi(I {
                rd: A0,
                rs1: A0,
                imm: 8,
            }),
            Insn::Addi(I {
                rd: A1,
                rs1: A1,
                imm: 8,
            }),
            Insn::Bne(B {
                rs1: A0,
                rs2: A2,
                off: -24,
            }),
        ],
    );
}

/// glibc's inlined quiet compare before `sqrt` (`frflags t6; flt.d a5, fa5, fs8; fsflags
/// t6`, as in nbody): one `stmxcsr` for `t6`, NaN operands tested on their bits, the compare
/// unsignalling, nothing for the `fsflags`.
#[test]
fn flags_compare() {
    translate("flags_compare", &flags_compare_code(false));
}

/// The same with `t6` overwritten next: no `stmxcsr` at all.
#[test]
fn flags_compare_dead() {
    translate("flags_compare_dead", &flags_compare_code(true));
}

fn flags_compare_code(dead: bool) -> Vec<Insn> {
    use isa_a::format::{Csr, F1rm, FCmp};
    use isa_a::{FReg, Rm};
    let t6 = XReg::new(31);
    let flags = |rd, rs1| Csr {
        rd,
        rs1,
        csr: isa_a::csr::FFLAGS,
    };
    let mut code = vec![
        Insn::Csrrs(flags(t6, XReg::new(0))),
        Insn::FltD(FCmp {
            rd: XReg::new(15),
            rs1: FReg::new(15),
            rs2: FReg::new(24),
        }),
        Insn::Csrrw(flags(XReg::new(0), t6)),
    ];
    if dead {
        code.push(Insn::Addi(I {
            rd: t6,
            rs1: A0,
            imm: 1,
        }));
    }
    code.push(Insn::Bne(B {
        rs1: XReg::new(15),
        rs2: XReg::new(0),
        off: 64,
    }));
    code.push(Insn::FsqrtD(F1rm {
        rd: FReg::new(13),
        rs1: FReg::new(15),
        rm: Rm::Dyn,
    }));
    code
}

/// Values known sign-extended (`lw`, `srliw`, their `xor`) need no `movsxd`: `sext.w` to
/// itself is nothing, to another register a copy, `sraiw` shifts the 64-bit value and
/// `slli`+`srai` by 32 is a copy; after a 64-bit `add` the `sext.w` is a `movsxd` again.
#[test]
fn known_extension() {
    let sext = |rd, rs1| Insn::Addiw(I { rd, rs1, imm: 0 });
    translate(
        "known_extension",
        &[
            Insn::Lw(Load {
                rd: A1,
                rs1: A0,
                imm: 0,
            }),
            Insn::Srliw(isa_a::format::ShiftW {
                rd: A2,
                rs1: A3,
                shamt: 8,
            }),
            Insn::Xor(R {
                rd: A1,
                rs1: A1,
                rs2: A2,
            }),
            sext(A1, A1),
            sext(A3, A1),
            Insn::Sraiw(isa_a::format::ShiftW {
                rd: A2,
                rs1: A1,
                shamt: 3,
            }),
            Insn::Slli(Shift {
                rd: S2,
                rs1: A1,
                shamt: 32,
            }),
            Insn::Srai(Shift {
                rd: S2,
                rs1: S2,
                shamt: 32,
            }),
            Insn::Add(R {
                rd: A1,
                rs1: A1,
                rs2: A3,
            }),
            sext(A1, A1),
        ],
    );
}

/// `*w` results whose upper halves nothing observes keep x86's zero extension
/// (translator/src/lower/lazy.rs): the first `addw` is read by an `xor` whose result only
/// a 32-bit rotate reads, the rotate's result only by an `addw`, and that `addw`'s by a
/// `sext.w`, which then does its `movsxd` from the low half (its own result is read by
/// `sra`); the registers left unextended are overwritten before the block ends.
#[test]
fn lazy_extension() {
    let r = |rd, rs1, rs2| R { rd, rs1, rs2 };
    let sw = |rd, rs1, shamt| ShiftW { rd, rs1, shamt };
    let li = |rd, imm| Insn::Addi(I { rd, rs1: X0, imm });
    translate(
        "lazy_extension",
        &[
            Insn::Addw(r(A1, A1, A2)),
            Insn::Xor(r(A3, A3, A1)),
            Insn::Slliw(sw(S2, A3, 16)),
            Insn::Srliw(sw(A3, A3, 16)),
            Insn::Or(r(A3, S2, A3)),
            Insn::Addw(r(A2, A2, A3)),
            Insn::Addiw(I {
                rd: A1,
                rs1: A2,
                imm: 0,
            }),
            Insn::Sra(r(A0, A1, A0)),
            li(A2, 1),
            li(A3, 0),
            li(S2, 0),
        ],
    );
}

/// parse's character classes: `addiw` then `zext.b` (`andi` 255) before an unsigned compare.
/// The mask reads only the low half, so the `addiw` leaves out its `movsxd` (lazy.rs).
#[test]
fn lazy_extension_before_a_small_mask() {
    let i = |rd, rs1, imm| I { rd, rs1, imm };
    translate(
        "lazy_extension_before_a_small_mask",
        &[
            Insn::Addiw(i(A3, A2, -48)),
            Insn::Andi(i(A3, A3, 255)),
            Insn::Sltu(R {
                rd: A0,
                rs1: A3,
                rs2: A4,
            }),
        ],
    );
}

/// `*w` chains on registers that live in their slots (lazy.rs, slots.rs): with rd the first
/// source, `addw`/`addiw`/`slliw`/`subw` operate on the slot at 32 bits, and what reads a
/// slot so written loads 32 bits (the `xor` too); otherwise the result is stored from the
/// scratch register with no `movsxd`. The `sext.w` read by the back edge's compare
/// sign-extends its source's low half.
#[test]
fn lazy_slots() {
    let s = XReg::new;
    let mut code = eleven_busy_registers();
    let (r, i) = (r_of, i_of);
    code.extend([
        Insn::Addw(r(21, 21, 5)),
        Insn::Addiw(i(21, 21, 7)),
        Insn::Slliw(ShiftW {
            rd: s(22),
            rs1: s(22),
            shamt: 3,
        }),
        Insn::Subw(r(21, 21, 22)),
        Insn::Xor(r(23, 23, 21)),
        Insn::Addw(r(24, 23, 22)),
        Insn::Addiw(i(21, 24, 0)),
        Insn::Addi(i(22, 0, 0)),
        Insn::Addi(i(23, 0, 0)),
        Insn::Addi(i(24, 0, 0)),
    ]);
    let off = -4 * code.len() as i32;
    code.push(Insn::Bne(B {
        rs1: s(21),
        rs2: s(0),
        off,
    }));
    translate("lazy_slots", &code);
}

// Rotates (translator/src/lower/rotate.rs): two shifts and an `or`, interleaved as gcc
// schedules them, each lowered as one `ror`.

fn shift(rd: XReg, rs1: XReg, shamt: u32) -> Shift {
    Shift { rd, rs1, shamt }
}

fn shift_w(rd: XReg, rs1: XReg, shamt: u32) -> ShiftW {
    ShiftW { rd, rs1, shamt }
}

fn or(rd: XReg, rs1: XReg, rs2: XReg) -> Insn {
    Insn::Or(R { rd, rs1, rs2 })
}

/// Two 32-bit rotates with their shifts interleaved (chacha20's quarter rounds); the left
/// shifts' destinations are overwritten after, so only the rotates are written.
#[test]
fn fused_rotate32() {
    translate(
        "rotate32",
        &[
            Insn::Slliw(shift_w(A2, A0, 16)),
            Insn::Slliw(shift_w(A3, A1, 12)),
            Insn::Srliw(shift_w(A0, A0, 16)),
            Insn::Srliw(shift_w(A1, A1, 20)),
            or(A0, A2, A0),
            or(A1, A1, A3),
            Insn::Addw(R {
                rd: A2,
                rs1: A0,
                rs2: A1,
            }),
            Insn::Xor(R {
                rd: A3,
                rs1: A2,
                rs2: A0,
            }),
        ],
    );
}

/// A loop whose iterations extend what the next one sign-extends: the body twice, the
/// first iteration's `sext.w` a `movsxd` (s3 as the loop was entered), the later ones' a
/// `mov` (s3 from the `addw`); the first copy branches back into the second.
#[test]
fn known_extension_loop() {
    let s = XReg::new;
    translate(
        "known_extension_loop",
        &[
            Insn::Addiw(I {
                rd: S2,
                rs1: s(19),
                imm: 0,
            }),
            Insn::Addw(R {
                rd: s(19),
                rs1: s(19),
                rs2: S2,
            }),
            Insn::Addi(I {
                rd: s(20),
                rs1: s(20),
                imm: -1,
            }),
            Insn::Bne(B {
                rs1: s(20),
                rs2: XReg::ZERO,
                off: -12,
            }),
        ],
    );
}

/// A 64-bit rotate into the right shift's destination (sha512's sigma functions), the left
/// one's overwritten.
#[test]
fn fused_rotate64() {
    translate(
        "rotate64",
        &[
            Insn::Srli(shift(A1, A0, 14)),
            Insn::Slli(shift(A2, A0, 50)),
            or(A1, A2, A1),
            Insn::Addi(I {
                rd: A2,
                rs1: A1,
                imm: 1,
            }),
        ],
    );
}

/// BMI2 against the baseline: shifts by a register straight from their sources (`shlx`,
/// `sarx`), the count not moved to cl, rd the count too (`sll a3, a0, a3`); a 32-bit
/// rotate into another register than its source one `rorx`, no `mov`; `mulhu` one `mulx`
/// from rdx straight into rd's register (rd a source too in the second), where the baseline
/// goes through rax, `mul` and rdx.
#[test]
fn bmi2_shifts_and_rotates() {
    let code = [
        Insn::Mulhu(R {
            rd: A4,
            rs1: A0,
            rs2: A1,
        }),
        Insn::Mulhu(R {
            rd: A1,
            rs1: A4,
            rs2: A1,
        }),
        Insn::Sll(R {
            rd: A3,
            rs1: A0,
            rs2: A3,
        }),
        Insn::Sraw(R {
            rd: A0,
            rs1: A0,
            rs2: A1,
        }),
        Insn::Srliw(shift_w(A2, A1, 7)),
        Insn::Slliw(shift_w(S2, A1, 25)),
        or(A2, A2, S2),
        Insn::Addi(I {
            rd: S2,
            rs1: A2,
            imm: 1,
        }),
    ];
    translate("bmi2", &code);
    translate_for("bmi2_baseline", &code, Budget::Exact, HostFeatures::NONE);
}

/// sha256's Ch function, `(e & f) ^ (~e & g)`: the `not` moved down to its `and`, one
/// `andn` with BMI1.
#[test]
fn andn() {
    let t = XReg::new(14);
    translate(
        "andn",
        &[
            Insn::Xori(I {
                rd: t,
                rs1: A3,
                imm: -1,
            }),
            Insn::And(R {
                rd: S2,
                rs1: A3,
                rs2: A2,
            }),
            Insn::And(R {
                rd: t,
                rs1: t,
                rs2: A1,
            }),
            Insn::Xor(R {
                rd: t,
                rs1: t,
                rs2: S2,
            }),
        ],
    );
}

/// Shift destinations still read after the `or` (here: at the block's end) are written as
/// well, x itself among them.
#[test]
fn fused_rotate_with_live_temporaries() {
    translate(
        "rotate_live_temp",
        &[
            Insn::Srliw(shift_w(A1, A0, 7)),
            Insn::Slliw(shift_w(A2, A0, 25)),
            or(A3, A1, A2),
            Insn::Srli(shift(S2, A0, 1)),
            Insn::Slli(shift(A0, A0, 63)),
            or(A1, A0, S2),
        ],
    );
}

/// coremark_style's crc16 bit loop: the `beqz` skips the then-part to the `addiw` of the
/// same superblock, a jump inside the block (join.rs) rather than an exit. Under back-edge
/// checks the jump checks nothing: the loop's back edge after the join does.
#[test]
fn crc16_bit_loop_join() {
    let code = crc16_bit_loop();
    translate("crc16_join", &code);
    translate_for(
        "crc16_join_back_edges",
        &code,
        Budget::BackEdges,
        HostFeatures::ALL,
    );
}

fn crc16_bit_loop() -> Vec<Insn> {
    let (a4, a5, a7) = (XReg::new(14), XReg::new(15), XReg::new(17));
    let sh = |rd, rs1, shamt| Shift { rd, rs1, shamt };
    vec![
        Insn::Andi(I {
            rd: A3,
            rs1: a5,
            imm: 1,
        }),
        Insn::Srli(sh(a5, a5, 1)),
        Insn::Beq(B {
            rs1: A3,
            rs2: XReg::ZERO,
            off: 16,
        }),
        Insn::Xor(R {
            rd: a5,
            rs1: a5,
            rs2: a7,
        }),
        Insn::Slli(sh(a5, a5, 48)),
        Insn::Srli(sh(a5, a5, 48)),
        Insn::Addiw(I {
            rd: a4,
            rs1: a4,
            imm: -1,
        }),
        Insn::Bne(B {
            rs1: a4,
            rs2: XReg::ZERO,
            off: -28,
        }),
    ]
}

/// An if-then-else in a loop: the `beqz` joins the else-part, the `j` over it joins the
/// `addiw` (superblock::skips, lower/join.rs); one block, no exit but the loop's.
#[test]
fn if_then_else_loop_join() {
    let (a4, a5, a7) = (XReg::new(14), XReg::new(15), XReg::new(17));
    let addi = |rd, imm| I { rd, rs1: rd, imm };
    translate(
        "if_else_join",
        &[
            Insn::Andi(I {
                rd: A3,
                rs1: a5,
                imm: 1,
            }),
            Insn::Beq(B {
                rs1: A3,
                rs2: XReg::ZERO,
                off: 16,
            }),
            Insn::Xor(R {
                rd: a5,
                rs1: a5,
                rs2: a7,
            }),
            Insn::Addi(addi(A0, 1)),
            Insn::Jal(J {
                rd: XReg::ZERO,
                off: 12,
            }),
            Insn::Sub(R {
                rd: a5,
                rs1: a5,
                rs2: a7,
            }),
            Insn::Addi(addi(A1, 1)),
            Insn::Addiw(addi(a4, -1)),
            Insn::Bne(B {
                rs1: a4,
                rs2: XReg::ZERO,
                off: -32,
            }),
        ],
    );
}

/// 44 `add`s over eleven guest registers, each the most used of its block: they take
/// the host registers, so the code after them works on registers kept in their slots.
fn eleven_busy_registers() -> Vec<Insn> {
    let hot = [5, 6, 7, 28, 29, 30, 31, 9, 18, 19, 20];
    (0..44)
        .map(|i| {
            Insn::Add(R {
                rd: XReg::new(hot[i % 11]),
                rs1: XReg::new(hot[i % 11]),
                rs2: XReg::new(hot[(i + 1) % 11]),
            })
        })
        .collect()
}

/// A loop with more live guest registers than host registers (lower/slots.rs): the eleven
/// most used get host registers (r14 too: instret counts in its frame slot), and the rest
/// are moved, operated on and compared in their slots.
#[test]
fn slots_loop() {
    let s = XReg::new;
    let mut code = eleven_busy_registers();
    let (r, i) = (r_of, i_of);
    let sh = |rd: u32, shamt: u32| Shift {
        rd: s(rd),
        rs1: s(rd),
        shamt,
    };
    let b = |rs1: u32, rs2: u32, off: i32| B {
        rs1: s(rs1),
        rs2: s(rs2),
        off,
    };
    code.extend([
        // mv from a host register, c.mv's form, and from a slot.
        Insn::Addi(i(21, 5, 0)),
        Insn::Add(r(22, 0, 6)),
        Insn::Add(r(23, 0, 24)),
        // In place: with an immediate, a host register, a slot; shifts.
        Insn::Addi(i(24, 24, 4)),
        Insn::Xori(i(21, 21, 0x55)),
        Insn::Add(r(25, 25, 7)),
        Insn::Sub(r(26, 26, 25)),
        Insn::Slli(sh(27, 3)),
        Insn::Srai(sh(27, 1)),
        // sext.w of a slot, into a host register and into a slot.
        Insn::Addiw(i(5, 27, 0)),
        Insn::Addiw(i(8, 8, 0)),
        // Compares: a slot with a host register, with zero, with a slot.
        Insn::Blt(b(22, 7, 8)),
        Insn::Beq(b(23, 0, 4)),
        Insn::Bne(b(24, 26, -4 * 57)),
    ]);
    translate("slots_loop", &code);
}

/// A loop whose two halves each work on eight registers of their own (lower/regions.rs):
/// each half is a region with its eight in host registers, the boundary moves them, and the
/// back edge goes through the transition to the first region's allocation.
#[test]
fn regions_loop() {
    let s = XReg::new;
    let half = |regs: [u32; 8]| {
        (0..24).map(move |i| {
            Insn::Add(R {
                rd: s(regs[i % 8]),
                rs1: s(regs[i % 8]),
                rs2: s(regs[(i + 1) % 8]),
            })
        })
    };
    let mut code: Vec<Insn> = half([5, 6, 7, 28, 29, 30, 31, 9])
        .chain(half([18, 19, 20, 21, 22, 23, 24, 25]))
        .collect();
    code.push(Insn::Addi(I {
        rd: s(26),
        rs1: s(26),
        imm: -1,
    }));
    code.push(Insn::Bne(B {
        rs1: s(26),
        rs2: XReg::ZERO,
        off: -4 * 49,
    }));
    translate("regions_loop", &code);
}

/// nbody's distance: doubles computed straight into the destination's mirror by the VEX
/// three-operand forms, a source too (`fsub.d fs0, fs5, fs0`), a NaN result given RISC-V's
/// canonical NaN in a cold path (no helper); the fma into its own addend keeps the addend in
/// xmm0 for the helper; a single's sum lands NaN-boxed.
#[test]
fn fp_direct() {
    translate("fp_direct", &fp_code());
}

/// The same on a host without AVX (nor FMA3): two-operand forms, rs1 copied into the
/// destination first, through xmm0 when the destination is rs2 (`fsub.d fs0, fs5, fs0`)
/// unless the operation commutes (`fmul.d fs1, fs0, fs1`); the fma through the helper.
#[test]
fn fp_direct_sse() {
    use isa_a::format::FRrm;
    use isa_a::{FReg, Rm};
    let mut code = fp_code();
    code.push(Insn::FmulD(FRrm {
        rd: FReg::new(9),
        rs1: FReg::new(8),
        rs2: FReg::new(9),
        rm: Rm::Dyn,
    }));
    translate_for("fp_direct_sse", &code, Budget::Exact, HostFeatures::NONE);
}

fn fp_code() -> Vec<Insn> {
    use isa_a::format::{F1rm, FRrm, R4};
    use isa_a::{FReg, Rm};
    let f = FReg::new;
    let rr = |rd, rs1, rs2| FRrm {
        rd: f(rd),
        rs1: f(rs1),
        rs2: f(rs2),
        rm: Rm::Dyn,
    };
    vec![
        Insn::FsubD(rr(8, 21, 8)),
        Insn::FsubD(rr(9, 22, 9)),
        Insn::FmulD(rr(15, 8, 8)),
        Insn::FmaddD(R4 {
            rd: f(15),
            rs1: f(9),
            rs2: f(9),
            rs3: f(15),
            rm: Rm::Dyn,
        }),
        Insn::FaddD(rr(15, 15, 23)),
        Insn::FsqrtD(F1rm {
            rd: f(13),
            rs1: f(15),
            rm: Rm::Dyn,
        }),
        Insn::FdivD(rr(15, 19, 15)),
        Insn::FaddS(rr(0, 0, 1)),
    ]
}

/// Branches against zero after the instruction that computed the register (lower/flags.rs):
/// after `xor` every condition takes its flags (`bltz`); an `addi`/`addiw` followed by
/// `bnez`/`beqz` is lowered as a `sub` whose ZF the jump reads; an `add` leaves no SF a
/// `bgez` could read, and a shift between the `andi` and its `beqz` takes the flags:
/// `test r, r`. At the block's end a forward branch has no budget check between.
#[test]
fn flags_reused_by_branches_against_zero() {
    let (a4, a5) = (XReg::new(14), XReg::new(15));
    let b = |rs1, off| B {
        rs1,
        rs2: XReg::ZERO,
        off,
    };
    translate_for(
        "flags_reuse",
        &[
            Insn::Xor(R {
                rd: A0,
                rs1: A0,
                rs2: A1,
            }),
            Insn::Blt(b(A0, 0x100)),
            Insn::Addi(I {
                rd: A2,
                rs1: A2,
                imm: -1,
            }),
            Insn::Bne(b(A2, 0x100)),
            Insn::Addiw(I {
                rd: A3,
                rs1: A3,
                imm: -1,
            }),
            Insn::Beq(b(A3, 0x100)),
            Insn::Add(R {
                rd: A1,
                rs1: A1,
                rs2: A2,
            }),
            Insn::Bge(b(A1, 0x100)),
            Insn::Andi(I {
                rd: a4,
                rs1: a5,
                imm: 1,
            }),
            Insn::Srli(Shift {
                rd: a5,
                rs1: a5,
                shamt: 1,
            }),
            Insn::Beq(b(a4, 0x100)),
            Insn::Sub(R {
                rd: A0,
                rs1: A0,
                rs2: A1,
            }),
            Insn::Bne(b(A0, 0x100)),
        ],
        Budget::BackEdges,
        HostFeatures::ALL,
    );
}

/// A running maximum and a conditional count, as C's `if (v > max) max = v;` and `if (v &
/// 1) odd++;` compile for RV64GC, which has no conditional move: each branch skips one
/// operation to a join. Under back-edge checks both become `cmov`s (lower/select.rs), the
/// skipped instruction counted back by a `cmov` of r14; an exact budget keeps the jumps.
#[test]
fn max_and_count_selects() {
    let (a0, a1, a3, a4, a5) = (10, 11, 13, 14, 15);
    let code = vec![
        Insn::Ld(Load {
            rd: A3,
            rs1: A0,
            imm: 0,
        }),
        Insn::Bge(B {
            rs1: A1,
            rs2: A3,
            off: 8,
        }),
        Insn::Add(r_of(a1, 0, a3)),
        Insn::Andi(i_of(a4, a3, 1)),
        Insn::Beq(B {
            rs1: XReg::new(a4),
            rs2: X0,
            off: 8,
        }),
        Insn::Addiw(i_of(a5, a5, 1)),
        Insn::Addi(i_of(a0, a0, 8)),
        Insn::Bne(B {
            rs1: A0,
            rs2: A2,
            off: -28,
        }),
    ];
    translate("max_and_count_exact", &code);
    translate_for(
        "max_and_count_selects",
        &code,
        Budget::BackEdges,
        HostFeatures::ALL,
    );
}

/// Two lookups into AES's tables at a2 (lower/checked.rs): the first keeps its limit check;
/// after it a2 is known, so the second, its index bounded by `srliw` and offset 256 words
/// into the next table, goes without; its address is made from a2 and the index before the
/// index's offset and shift (lower/addressing.rs), the offset its displacement.
#[test]
fn table_lookups() {
    let (a4, a5) = (XReg::new(14), XReg::new(15));
    let sh = |rd, rs1, shamt| Shift { rd, rs1, shamt };
    let lw = |rd, rs1| Insn::Lw(Load { rd, rs1, imm: 0 });
    translate(
        "table_lookups",
        &[
            Insn::Andi(I {
                rd: A3,
                rs1: A0,
                imm: 255,
            }),
            Insn::Slli(sh(A3, A3, 2)),
            Insn::Add(R {
                rd: A3,
                rs1: A3,
                rs2: A2,
            }),
            lw(a4, A3),
            Insn::Srliw(ShiftW {
                rd: a5,
                rs1: A0,
                shamt: 24,
            }),
            Insn::Addi(I {
                rd: a5,
                rs1: a5,
                imm: 256,
            }),
            Insn::Slli(sh(a5, a5, 2)),
            Insn::Add(R {
                rd: a5,
                rs1: A2,
                rs2: a5,
            }),
            lw(a5, a5),
            Insn::Xor(R {
                rd: A0,
                rs1: a4,
                rs2: a5,
            }),
        ],
    );
}

/// poly1305's byte loop, unrolled: four copies, the accesses of the last three through a
/// pointer the copy before accessed and moved by -1 without their limit check, each copy but
/// the last leaving the loop when its branch is not taken, one budget check.
#[test]
fn unrolled_byte_loop() {
    let (a4, a5, a6, a7) = (13, 15, 16, 17);
    let code = [
        Insn::Lbu(Load {
            rd: XReg::new(a7),
            rs1: XReg::new(a6),
            imm: 0,
        }),
        Insn::Slli(Shift {
            rd: XReg::new(a5),
            rs1: XReg::new(a5),
            shamt: 8,
        }),
        Insn::Addi(i_of(a4, a6, 0)),
        Insn::Or(r_of(a5, a7, a5)),
        Insn::Addi(i_of(a6, a6, -1)),
        Insn::Bne(B {
            rs1: A0,
            rs2: XReg::new(a4),
            off: -20,
        }),
    ];
    translate_copies(
        "unrolled_byte_loop",
        &code,
        4,
        Budget::BackEdges,
        HostFeatures::ALL,
    );
}

/// matmul's inner product, unrolled: the `mulw`/`addw` results stay unextended across the
/// loads and the copies' closing branches (lower/lazy.rs); each copy's exit extends them,
/// and only the last copy's end, the back edge, does in the body.
#[test]
fn unrolled_word_product_loop() {
    let (a1, a2, a3, a4, a5) = (11, 12, 13, 14, 15);
    let lw = |rd, rs1| {
        Insn::Lw(Load {
            rd: XReg::new(rd),
            rs1: XReg::new(rs1),
            imm: 0,
        })
    };
    let code = [
        lw(a1, a3),
        lw(a5, a4),
        Insn::Addi(i_of(a4, a4, 800)),
        Insn::Addi(i_of(a3, a3, 4)),
        Insn::Mulw(r_of(a5, a5, a1)),
        Insn::Addw(r_of(a2, a2, a5)),
        Insn::Bne(B {
            rs1: A0,
            rs2: XReg::new(a4),
            off: -24,
        }),
    ];
    translate_copies(
        "unrolled_word_product_loop",
        &code,
        4,
        Budget::BackEdges,
        HostFeatures::ALL,
    );
}

/// qsort's partition scan, unrolled: a word loop walking down, closed by `blt` on the value
/// it loads.
#[test]
fn unrolled_scan_loop() {
    let (s0, a1, a2, a4, a5) = (8, 11, 12, 14, 15);
    let code = [
        Insn::Lw(Load {
            rd: XReg::new(a1),
            rs1: XReg::new(a5),
            imm: 0,
        }),
        Insn::Addi(i_of(a4, a5, 0)),
        Insn::Addi(i_of(s0, s0, -1)),
        Insn::Addi(i_of(a5, a5, -4)),
        Insn::Blt(B {
            rs1: XReg::new(a2),
            rs2: XReg::new(a1),
            off: -16,
        }),
    ];
    translate_copies(
        "unrolled_scan_loop",
        &code,
        4,
        Budget::BackEdges,
        HostFeatures::ALL,
    );
}

/// A sum and an access at an offset from it (lower/addressing.rs): the offset goes with sp
/// (not written in the block: ready early), and one `add` of a3 makes the address; a1 is
/// still written, before the check.
#[test]
fn sum_access_pair() {
    let sp = XReg::new(2);
    translate(
        "sum_access_pair",
        &[
            Insn::Andi(i_of(13, 10, 1020)),
            Insn::Add(R {
                rd: A1,
                rs1: A3,
                rs2: sp,
            }),
            Insn::Lw(Load {
                rd: A2,
                rs1: A1,
                imm: -1024,
            }),
            Insn::Xor(r_of(10, 12, 11)),
        ],
    );
}

/// crc32's table lookup (lower/addressing.rs): the table lies on the stack, its index scaled
/// and offset by 1024 before the sum with sp. The access's address is one `lea` from sp and
/// a1 before the shift, not four steps after it; a1 and a3 are still written, before the
/// access.
#[test]
fn sum_access() {
    let sp = XReg::new(2);
    translate(
        "sum_access",
        &[
            Insn::Xor(r_of(11, 11, 13)),
            Insn::Andi(i_of(11, 11, 255)),
            Insn::Slli(Shift {
                rd: A1,
                rs1: A1,
                shamt: 2,
            }),
            Insn::Addi(i_of(13, 11, 1024)),
            Insn::Add(R {
                rd: A1,
                rs1: A3,
                rs2: sp,
            }),
            Insn::Lw(Load {
                rd: A1,
                rs1: A1,
                imm: -1024,
            }),
            Insn::Xor(r_of(11, 11, 14)),
        ],
    );
}

/// linked_list's shuffle: `slli`+`add` make the index's address in one `lea` (fuse.rs), which
/// the access goes through; the `addi`s before it are no part of the address, and are not
/// taken for a run (lower/addressing.rs) that would add a second `lea` for nothing.
#[test]
fn scaled_add_after_unrelated_arithmetic() {
    let (a4, a5, a6) = (XReg::new(14), XReg::new(15), XReg::new(16));
    translate(
        "scaled_add_after_unrelated_arithmetic",
        &[
            Insn::Addi(i_of(15, 15, -4)),
            Insn::Addi(i_of(12, 12, -1)),
            Insn::Slli(Shift {
                rd: a4,
                rs1: a4,
                shamt: 2,
            }),
            Insn::Add(R {
                rd: a4,
                rs1: a4,
                rs2: A0,
            }),
            Insn::Lw(Load {
                rd: a6,
                rs1: a4,
                imm: 0,
            }),
            Insn::Sw(Store {
                rs1: a5,
                rs2: a6,
                imm: 4,
            }),
        ],
    );
}

/// A scan inside one superblock, as qsort's partition but counting what it passes over: a
/// loop `lw; bge over an addi; addi; bne` back to its own first instruction, which stays in
/// the block (lower/inner_loop.rs; a loop of one basic block would be left for its own
/// unrolled superblock): the back edge checks the budget, takes the trip off r14 and jumps
/// to the loop's code; an exit after it stores what the loop wrote.
#[test]
fn inner_scan_loop() {
    let (s1, s2, a2, a3, a4, a5, a6) = (9, 18, 12, 13, 14, 15, 16);
    let x = XReg::new;
    let code = [
        Insn::Slli(Shift {
            rd: x(a5),
            rs1: x(s1),
            shamt: 2,
        }),
        Insn::Add(r_of(a5, s2, a5)),
        Insn::Addi(i_of(a6, a5, 0)),
        Insn::Addi(i_of(s1, 0, 0)),
        // The loop: back here from the bne.
        Insn::Lw(Load {
            rd: x(a3),
            rs1: x(a5),
            imm: 0,
        }),
        Insn::Bge(B {
            rs1: x(a3),
            rs2: x(a2),
            off: 8,
        }),
        Insn::Addi(i_of(s1, s1, 1)),
        Insn::Addi(i_of(a5, a5, 4)),
        Insn::Bne(B {
            rs1: x(a5),
            rs2: x(a4),
            off: -16,
        }),
        Insn::Sw(Store {
            rs1: x(a6),
            rs2: x(s1),
            imm: 0,
        }),
        Insn::Ecall(isa_a::format::Nullary {}),
    ];
    translate_for(
        "inner_scan_loop",
        &code,
        Budget::BackEdges,
        HostFeatures::ALL,
    );
}
