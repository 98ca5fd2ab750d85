//! mimic's disassembly against capstone's (RISC-V 64 + C), on random encodings generated from
//! the instruction table: every row, `bits = (random & !mask) | match`, plus random 16-bit
//! compressed patterns, every 16-bit pattern once, and random 32-bit words (what mimic calls
//! illegal, capstone must reject). `DISASM_SEED` fixes the seed (else the clock
//! gives one, printed), `DISASM_CASES` raises the number of valid encodings compared.
//!
//! Both texts are parsed into a mnemonic and operand tokens and brought to one canonical form;
//! these are the only normalisations, each counted in the test's output:
//! - `ws`: capstone writes `, ` between operands, mimic (as objdump) `,`: `addi a0, sp, 0x10`.
//! - `int`: immediates compare as numbers: capstone `0x10`, `-0x29` = mimic `16`, `-41`.
//! - `target`: branch and jump offsets compare as numbers: capstone `j -0xc` = mimic `j -12`
//!   (mimic writes the offset in decimal when it has no pc, capstone in hex).
//! - `mem`: `imm(reg)` becomes the tokens `reg imm`: mimic `jalr ra,8(a0)` = capstone
//!   `jalr ra, a0, 8`; `(a2)` becomes `a2`.
//! - `alias`: an alias becomes its base instruction, on either side: `mv a0,a1` = `addi a0,a1,0`,
//!   `ret` = `jalr zero,0(ra)`, `frflags a0` = `csrrs a0,fflags,zero`, `fence` = `fence iorw,iorw`,
//!   `unimp` = `csrrw zero,cycle,zero`.
//!   mimic's own alias text must also expand to exactly its no-aliases text.
//! - `compressed`: capstone prints compressed forms under their own names; they become the base
//!   instruction mimic expands them to: `c.addi sp, -0x10` = `addi sp,sp,-16`,
//!   `c.sdsp ra, 8(sp)` = `sd ra,8(sp)`, `c.mv a0, a1` = `add a0,zero,a1`.
//! - `csr`: a CSR operand compares as its number: capstone `1984` = mimic `0x7c0`; capstone's
//!   name for a CSR mimic leaves unnamed (`ustatus`, from the withdrawn N extension) = mimic's
//!   hex number of the same CSR (`csr_unnamed`).
//!
//! Allowed exceptions, where capstone departs from the ISA manual (each counted):
//! - `fence_fields`: FENCE's rd, rs1 and fm (other than 0, or 8 with rw,rw) and FENCE.I's
//!   rd, rs1 and imm are "reserved for finer-grain fences; implementations shall ignore them"
//!   (manual, FENCE / Zifencei): mimic decodes them as the plain fence, capstone rejects them.
//! - `exact_cvt_rm`: `fcvt.d.s`, `fcvt.d.w`, `fcvt.d.wu` have a valid rm field like every
//!   conversion (only 5 and 6 are reserved); capstone (as objdump 2.40) accepts only rm = 0.
//! - `c_hint`: compressed HINTs, which the manual defines (RVC HINT table) and mimic expands to
//!   the base instruction without effect: capstone rejects those writing x0 (`c.li`, `c.lui`,
//!   `c.mv`, `c.add`, `c.slli` with rd = x0) and `c.slli64`/`c.srli64`/`c.srai64` (shamt 0), and
//!   prints `c.nop` with a nonzero immediate as `c.nop`, dropping the immediate.
//! - `c_lui_zero`: `c.lui rd,0` is reserved (manual: "nzimm=0 … reserved"); mimic calls it
//!   illegal, capstone prints `c.lui ra, 0`.
//! - `cs_csr_name`: capstone swaps the names of `pmpaddr13` (0x3bd) and `pmpaddr14` (0x3be),
//!   and calls 0x7b2 `dscratch`; the privileged spec and objdump say `dscratch0`.
//! - `c_unimp`: `0x0000` is defined illegal; capstone calls it `c.unimp`.
//! - `privileged`: capstone decodes the privileged instructions (`sfence.vma`, `sret`, `mret`,
//!   `wfi`, …), which are not part of the user ISA mimic implements: a user program executing
//!   one gets SIGILL, so mimic calls them illegal. (Random 32-bit words hit them rarely.)

use capstone::arch::riscv::{ArchExtraMode, ArchMode};
use capstone::prelude::*;
use isa_a::format::{csr_name, I, R, U};
use isa_a::{decode, Insn, Opcode, XReg, TABLE};
use std::collections::BTreeMap;
use std::time::Instant;

/// Privileged-ISA instructions capstone knows (supervisor, machine, debug, hypervisor).
const PRIVILEGED: &[&str] = &[
    "sfence.vma",
    "sret",
    "mret",
    "uret",
    "dret",
    "wfi",
    "hfence.vvma",
    "hfence.gvma",
    "sinval.vma",
    "sfence.w.inval",
    "sfence.inval.ir",
    "hinval.vvma",
    "hinval.gvma",
];

/// splitmix64: small, seedable, good enough to spread bits over the operand fields.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn u32(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    Some(match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).expect(name),
        None => v.parse().expect(name),
    })
}

/// An instruction as tokens: mnemonic and operands.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Canon {
    m: String,
    ops: Vec<String>,
}

#[derive(Default)]
struct Stats {
    hits: BTreeMap<&'static str, u64>,
}
impl Stats {
    fn hit(&mut self, what: &'static str) {
        *self.hits.entry(what).or_default() += 1;
    }
}

fn parse_int(t: &str) -> Option<i64> {
    let (neg, t) = match t.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, t),
    };
    let v = match t.strip_prefix("0x") {
        Some(h) => i64::from_str_radix(h, 16).ok()?,
        None if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => t.parse().ok()?,
        None => return None,
    };
    Some(if neg { -v } else { v })
}

/// Splits text into tokens, applying `ws`, `mem` and `int`.
fn tokens(text: &str, st: &mut Stats) -> Canon {
    let text = text.trim();
    let (m, rest) = text.split_once(' ').unwrap_or((text, ""));
    if rest.contains(", ") {
        st.hit("ws");
    }
    let mut ops = Vec::new();
    for op in rest.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match op.split_once('(') {
            Some((imm, reg)) => {
                st.hit("mem");
                ops.push(reg.trim_end_matches(')').to_string());
                if !imm.is_empty() {
                    ops.push(imm.to_string());
                }
            }
            None => ops.push(op.to_string()),
        }
    }
    for t in &mut ops {
        if let Some(v) = parse_int(t) {
            let canon = v.to_string();
            if *t != canon {
                st.hit("int");
                *t = canon;
            }
        }
    }
    Canon {
        m: m.to_string(),
        ops,
    }
}

fn c(m: &str, ops: &[&str]) -> Canon {
    Canon {
        m: m.to_string(),
        ops: ops.iter().map(|s| s.to_string()).collect(),
    }
}

/// The base instruction an alias (mimic's or capstone's) or a capstone compressed form stands for.
fn base(t: Canon, st: &mut Stats) -> Canon {
    let o: Vec<&str> = t.ops.iter().map(String::as_str).collect();
    let is_int = |s: &str| parse_int(s).is_some();
    let out = match (t.m.as_str(), o.as_slice()) {
        ("nop" | "c.nop", []) => c("addi", &["zero", "zero", "0"]),
        ("li", [rd, imm]) | ("c.li", [rd, imm]) => c("addi", &[rd, "zero", imm]),
        ("mv", [rd, rs]) => c("addi", &[rd, rs, "0"]),
        ("not", [rd, rs]) => c("xori", &[rd, rs, "-1"]),
        ("sext.w", [rd, rs]) => c("addiw", &[rd, rs, "0"]),
        ("seqz", [rd, rs]) => c("sltiu", &[rd, rs, "1"]),
        ("zext.b", [rd, rs]) => c("andi", &[rd, rs, "255"]),
        ("neg", [rd, rs]) => c("sub", &[rd, "zero", rs]),
        ("negw", [rd, rs]) => c("subw", &[rd, "zero", rs]),
        ("snez", [rd, rs]) => c("sltu", &[rd, "zero", rs]),
        ("sltz", [rd, rs]) => c("slt", &[rd, rs, "zero"]),
        ("sgtz", [rd, rs]) => c("slt", &[rd, "zero", rs]),
        ("beqz" | "c.beqz", [rs, off]) => c("beq", &[rs, "zero", off]),
        ("bnez" | "c.bnez", [rs, off]) => c("bne", &[rs, "zero", off]),
        ("bltz", [rs, off]) => c("blt", &[rs, "zero", off]),
        ("bgez", [rs, off]) => c("bge", &[rs, "zero", off]),
        ("blez", [rs, off]) => c("bge", &["zero", rs, off]),
        ("bgtz", [rs, off]) => c("blt", &["zero", rs, off]),
        ("j" | "c.j", [off]) => c("jal", &["zero", off]),
        ("jal", [off]) => c("jal", &["ra", off]),
        ("ret", []) => c("jalr", &["zero", "ra", "0"]),
        ("jr" | "c.jr", [rs]) => c("jalr", &["zero", rs, "0"]),
        ("jr", [rs, imm]) => c("jalr", &["zero", rs, imm]),
        ("jalr" | "c.jalr", [rs]) => c("jalr", &["ra", rs, "0"]),
        ("jalr", [rs, imm]) if is_int(imm) => c("jalr", &["ra", rs, imm]),
        ("jalr", [rd, rs]) => c("jalr", &[rd, rs, "0"]),
        ("fence", []) => c("fence", &["iorw", "iorw"]),
        ("c.ebreak", []) => c("ebreak", &[]),
        ("unimp", []) => c("csrrw", &["zero", "cycle", "zero"]),
        ("frflags", [rd]) => c("csrrs", &[rd, "fflags", "zero"]),
        ("frrm", [rd]) => c("csrrs", &[rd, "frm", "zero"]),
        ("frcsr", [rd]) => c("csrrs", &[rd, "fcsr", "zero"]),
        ("rdcycle", [rd]) => c("csrrs", &[rd, "cycle", "zero"]),
        ("rdtime", [rd]) => c("csrrs", &[rd, "time", "zero"]),
        ("rdinstret", [rd]) => c("csrrs", &[rd, "instret", "zero"]),
        ("rdcycleh", [rd]) => c("csrrs", &[rd, "cycleh", "zero"]),
        ("rdtimeh", [rd]) => c("csrrs", &[rd, "timeh", "zero"]),
        ("rdinstreth", [rd]) => c("csrrs", &[rd, "instreth", "zero"]),
        ("csrr", [rd, csr]) => c("csrrs", &[rd, csr, "zero"]),
        ("csrw", [csr, rs]) => c("csrrw", &["zero", csr, rs]),
        ("csrs", [csr, rs]) => c("csrrs", &["zero", csr, rs]),
        ("csrc", [csr, rs]) => c("csrrc", &["zero", csr, rs]),
        ("csrwi", [csr, imm]) => c("csrrwi", &["zero", csr, imm]),
        ("csrsi", [csr, imm]) => c("csrrsi", &["zero", csr, imm]),
        ("csrci", [csr, imm]) => c("csrrci", &["zero", csr, imm]),
        ("fscsr", [rs]) => c("csrrw", &["zero", "fcsr", rs]),
        ("fscsr", [rd, rs]) => c("csrrw", &[rd, "fcsr", rs]),
        ("fsrm", [rs]) => c("csrrw", &["zero", "frm", rs]),
        ("fsrm", [rd, rs]) => c("csrrw", &[rd, "frm", rs]),
        ("fsflags", [rs]) => c("csrrw", &["zero", "fflags", rs]),
        ("fsflags", [rd, rs]) => c("csrrw", &[rd, "fflags", rs]),
        ("fsrmi", [imm]) => c("csrrwi", &["zero", "frm", imm]),
        ("fsrmi", [rd, imm]) => c("csrrwi", &[rd, "frm", imm]),
        ("fsflagsi", [imm]) => c("csrrwi", &["zero", "fflags", imm]),
        ("fsflagsi", [rd, imm]) => c("csrrwi", &[rd, "fflags", imm]),
        ("fmv.s", [rd, rs]) => c("fsgnj.s", &[rd, rs, rs]),
        ("fneg.s", [rd, rs]) => c("fsgnjn.s", &[rd, rs, rs]),
        ("fabs.s", [rd, rs]) => c("fsgnjx.s", &[rd, rs, rs]),
        ("fmv.d", [rd, rs]) => c("fsgnj.d", &[rd, rs, rs]),
        ("fneg.d", [rd, rs]) => c("fsgnjn.d", &[rd, rs, rs]),
        ("fabs.d", [rd, rs]) => c("fsgnjx.d", &[rd, rs, rs]),
        // Compressed forms (capstone only).
        ("c.addi", [rd, imm]) => c("addi", &[rd, rd, imm]),
        ("c.addiw", [rd, imm]) => c("addiw", &[rd, rd, imm]),
        ("c.addi16sp", [sp, imm]) => c("addi", &[sp, sp, imm]),
        ("c.addi4spn", [rd, sp, imm]) => c("addi", &[rd, sp, imm]),
        ("c.lui", [rd, imm]) => c("lui", &[rd, imm]),
        ("c.mv", [rd, rs]) => c("add", &[rd, "zero", rs]),
        (
            m @ ("c.slli" | "c.srli" | "c.srai" | "c.andi" | "c.add" | "c.sub" | "c.xor" | "c.or"
            | "c.and" | "c.subw" | "c.addw"),
            [rd, x],
        ) => c(&m[2..], &[rd, rd, x]),
        (m, ops)
            if m.starts_with("c.") && (m.contains('l') || m.contains('s')) && ops.len() == 3 =>
        {
            c(m[2..].trim_end_matches("sp"), ops)
        }
        _ => return t,
    };
    st.hit(if t.m.starts_with("c.") {
        "compressed"
    } else {
        "alias"
    });
    out
}

/// CSR names capstone gets wrong (see `cs_csr_name` in the module doc).
const CAPSTONE_CSR_NAMES: &[(u32, &str)] = &[
    (0x3bd, "pmpaddr14"),
    (0x3be, "pmpaddr13"),
    (0x7b2, "dscratch"),
];

const CSR_OPS: &[&str] = &["csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci"];

/// Replaces the CSR operand of a base CSR instruction by its number, checking it names `csr`.
fn csr_number(t: &mut Canon, csr: u32, mimic: bool, st: &mut Stats) -> Result<(), String> {
    if !CSR_OPS.contains(&t.m.as_str()) || t.ops.len() != 3 {
        return Ok(());
    }
    let tok = &t.ops[1];
    let ours = csr_name(csr);
    match (parse_int(tok), &ours) {
        (Some(n), _) if n == csr as i64 => {
            if ours.is_some() {
                st.hit("csr");
            }
        }
        (Some(n), _) => return Err(format!("csr operand {n} is not 0x{csr:x}")),
        (None, Some(name)) if name == tok => {}
        (None, Some(_)) if !mimic && CAPSTONE_CSR_NAMES.contains(&(csr, tok.as_str())) => {
            st.hit("cs_csr_name")
        }
        (None, None) if !mimic => st.hit("csr_unnamed"),
        (None, _) => {
            return Err(format!(
                "csr operand `{tok}` does not name 0x{csr:x} as {ours:?}"
            ))
        }
    }
    t.ops[1] = csr.to_string();
    Ok(())
}

/// Why capstone may reject a valid encoding (see the module doc), or `None`.
fn capstone_rejects(insn: &Insn, w: u32, len: u8) -> Option<&'static str> {
    let op = insn.opcode();
    if len == 4 {
        return match op {
            Opcode::Fence | Opcode::FenceI => Some("fence_fields"),
            Opcode::FcvtDS | Opcode::FcvtDW | Opcode::FcvtDWu if (w >> 12) & 7 != 0 => {
                Some("exact_cvt_rm")
            }
            _ => None,
        };
    }
    let zero = XReg::ZERO;
    match *insn {
        Insn::Slli(a) | Insn::Srli(a) | Insn::Srai(a) if a.shamt == 0 || a.rd == zero => {
            Some("c_hint")
        }
        Insn::Addi(I { rd, .. }) | Insn::Add(R { rd, .. }) | Insn::Lui(U { rd, .. })
            if rd == zero =>
        {
            Some("c_hint")
        }
        _ => None,
    }
}

struct Run {
    cs: Capstone,
    st: Stats,
    compared: u64,
    failures: Vec<String>,
    per_row: Vec<u64>,
}

impl Run {
    fn capstone(&self, w: u32, len: u8) -> Option<String> {
        let insns = self
            .cs
            .disasm_count(&w.to_le_bytes()[..len as usize], 0, 1)
            .ok()?;
        let i = insns.iter().next()?;
        if i.len() != len as usize {
            return None;
        }
        Some(
            format!(
                "{} {}",
                i.mnemonic().unwrap_or(""),
                i.op_str().unwrap_or("")
            )
            .trim()
            .to_string(),
        )
    }

    fn fail(&mut self, msg: String) {
        if self.failures.len() < 10_000 {
            self.failures.push(msg);
        }
    }

    /// Compares one encoding that mimic decodes.
    fn compare(&mut self, w: u32, insn: Insn, len: u8) {
        let enc = if len == 2 {
            format!("0x{w:04x}")
        } else {
            format!("0x{w:08x}")
        };
        let ours = insn.to_string();
        let ours_base = insn.no_aliases().to_string();
        let st = &mut self.st;
        let plain = tokens(&ours_base, st);
        let via_alias = base(tokens(&ours, st), st);
        if via_alias != plain {
            return self.fail(format!(
                "{enc}: mimic alias `{ours}` does not expand to `{ours_base}`"
            ));
        }
        let Some(theirs) = self.capstone(w, len) else {
            match capstone_rejects(&insn, w, len) {
                Some(why) => self.st.hit(why),
                None => self.fail(format!(
                    "{enc}: capstone rejects what mimic decodes as `{ours_base}`"
                )),
            }
            return;
        };
        let st = &mut self.st;
        if theirs == "c.nop" && ours_base.starts_with("addi zero,zero,") {
            if ours_base != "addi zero,zero,0" {
                st.hit("c_hint");
            }
            self.compared += 1;
            return;
        }
        let mut cs = base(tokens(&theirs, st), st);
        let mut plain = plain;
        if matches!(
            insn.info().format,
            isa_a::FormatKind::B | isa_a::FormatKind::J
        ) {
            st.hit("target");
        }
        let csr = w >> 20;
        let checked =
            csr_number(&mut plain, csr, true, st).and_then(|_| csr_number(&mut cs, csr, false, st));
        if let Err(e) = checked {
            return self.fail(format!(
                "{enc}: mimic `{ours}` / `{ours_base}`, capstone `{theirs}`: {e}"
            ));
        }
        if cs != plain {
            return self.fail(format!(
                "{enc}: mimic `{ours}` / `{ours_base}`, capstone `{theirs}`"
            ));
        }
        self.compared += 1;
        self.per_row[insn.opcode() as usize] += 1;
    }

    /// A word mimic calls illegal: capstone must reject it too.
    fn illegal(&mut self, w: u32, len: u8, what: &'static str) {
        self.st.hit(what);
        if let Some(theirs) = self.capstone(w, len) {
            if len == 2 && w == 0 {
                return self.st.hit("c_unimp");
            }
            if theirs.starts_with("c.lui") && theirs.ends_with(", 0") {
                return self.st.hit("c_lui_zero");
            }
            let mnemonic = theirs.split(' ').next().unwrap_or("");
            if PRIVILEGED.contains(&mnemonic) {
                return self.st.hit("privileged");
            }
            let enc = if len == 2 {
                format!("0x{w:04x}")
            } else {
                format!("0x{w:08x}")
            };
            self.fail(format!(
                "{enc}: mimic calls it illegal, capstone `{theirs}`"
            ));
        }
    }
}

#[test]
fn disassembly_matches_capstone() {
    let start = Instant::now();
    let seed = env_u64("DISASM_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
    });
    let cases = env_u64("DISASM_CASES").unwrap_or(100_000).max(100_000);
    println!("DISASM_SEED={seed} DISASM_CASES={cases}");
    let mut rng = Rng(seed);
    let cs = Capstone::new()
        .riscv()
        .mode(ArchMode::RiscV64)
        .extra_mode([ArchExtraMode::RiscVC].into_iter())
        .build()
        .expect("capstone");
    let mut run = Run {
        cs,
        st: Stats::default(),
        compared: 0,
        failures: Vec::new(),
        per_row: vec![0; TABLE.len()],
    };

    // Every table row in turn, 7 of 8 cases; a random compressed pattern the 8th.
    let (mut row, mut rerolls, mut attempts) = (0, 0u64, 0u64);
    while run.compared < cases {
        attempts += 1;
        assert!(attempts < cases * 4, "too many rejected encodings");
        if attempts % 8 == 0 {
            let h = rng.u32() & 0xffff;
            if h & 3 == 3 {
                continue;
            }
            match decode(h) {
                Ok(d) => run.compare(h, d.insn, 2),
                Err(_) => run.illegal(h, 2, "illegal16"),
            }
            continue;
        }
        let info = &TABLE[row];
        // Sparser operand bits half the time, so zero registers and fields (the alias patterns,
        // FENCE's zero reserved fields) come up often.
        let mut r = rng.u32();
        for _ in 0..rng.next() % 8 {
            r &= rng.u32();
        }
        let w = (r & !info.mask) | info.bits;
        match decode(w) {
            Ok(d) => {
                assert_eq!(
                    d.insn.opcode(),
                    info.opcode,
                    "0x{w:08x} from row {} decodes as another row",
                    info.mnemonic
                );
                run.compare(w, d.insn, 4);
                row = (row + 1) % TABLE.len();
            }
            Err(_) => rerolls += 1, // a reserved operand (rm 5 or 6): roll the same row again
        }
    }
    // Every 16-bit pattern once: the compressed space is small enough to sweep whole.
    for h in (0..=0xffffu32).filter(|h| h & 3 != 3) {
        match decode(h) {
            Ok(d) => run.compare(h, d.insn, 2),
            Err(_) => run.illegal(h, 2, "illegal16"),
        }
    }
    // Random 32-bit words: whatever mimic decodes is compared, the rest capstone must reject.
    for _ in 0..cases / 5 {
        let w = rng.u32() | 3;
        match decode(w) {
            Ok(d) => run.compare(w, d.insn, 4),
            Err(_) => run.illegal(w, 4, "illegal32"),
        }
    }

    println!(
        "compared {} encodings with capstone in {:.2?} ({rerolls} rerolls of reserved operands)",
        run.compared,
        start.elapsed()
    );
    for (what, n) in &run.st.hits {
        println!("  {what:>12}: {n}");
    }
    let missing: Vec<_> = TABLE
        .iter()
        .filter(|r| run.per_row[r.opcode as usize] == 0)
        .map(|r| r.mnemonic)
        .collect();
    assert!(missing.is_empty(), "rows never compared: {missing:?}");
    if !run.failures.is_empty() {
        for f in run.failures.iter().take(40) {
            println!("{f}");
        }
        panic!(
            "{} disagreements with capstone (seed {seed})",
            run.failures.len()
        );
    }
}
