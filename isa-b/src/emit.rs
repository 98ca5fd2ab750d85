//! The emitter: the handful of x86-64 instructions the translator needs, over iced-x86's
//! `CodeAssembler`, spoken in this crate's own register and operand types so no other crate
//! sees iced.

use iced_x86::code_asm::{self as ca, AsmMemoryOperand, AsmRegister64, CodeAssembler, CodeLabel};
use std::collections::HashMap;
use std::fmt;

/// A general-purpose register, numbered as in the x86-64 encoding.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Gpr {
    Rax,
    Rcx,
    Rdx,
    Rbx,
    Rsp,
    Rbp,
    Rsi,
    Rdi,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
}

impl Gpr {
    const NAMES: [&'static str; 16] = [
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15",
    ];
}

impl fmt::Display for Gpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Gpr::NAMES[*self as usize])
    }
}

/// An operand width.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum W {
    B8,
    B16,
    B32,
    B64,
}

/// A memory operand: `[base + index*scale + disp]`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Mem {
    pub base: Gpr,
    pub index: Option<(Gpr, u32)>,
    pub disp: i32,
}

impl Mem {
    /// `[base + disp]`.
    pub const fn at(base: Gpr, disp: i32) -> Mem {
        Mem {
            base,
            index: None,
            disp,
        }
    }
    /// `[base + index + disp]`.
    pub const fn indexed(base: Gpr, index: Gpr, disp: i32) -> Mem {
        Mem {
            base,
            index: Some((index, 1)),
            disp,
        }
    }
}

/// Two-operand integer operations with the x86 flag semantics.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Alu {
    Add,
    Sub,
    And,
    Or,
    Xor,
    Cmp,
    Test,
}

/// Shifts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shift {
    Shl,
    Shr,
    Sar,
}

/// Condition codes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cc {
    E,
    Ne,
    L,
    Ge,
    Le,
    G,
    B,
    Ae,
    Be,
    A,
    /// Parity set: after `ucomisd`/`comisd`, unordered (a NaN operand).
    P,
    Np,
    /// Overflow.
    O,
}

/// An SSE register, xmm0..xmm15.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Xmm(u8);

impl Xmm {
    pub const X0: Xmm = Xmm(0);
    pub const X1: Xmm = Xmm(1);
    pub const X2: Xmm = Xmm(2);

    /// xmm`n`; `n` must be below 16.
    pub const fn new(n: u8) -> Xmm {
        assert!(n < 16, "x86-64 has 16 SSE registers");
        Xmm(n)
    }

    pub const fn num(self) -> u8 {
        self.0
    }
}

/// A floating-point source operand: a register, or memory of the operation's width.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FSrc {
    Reg(Xmm),
    Mem(Mem),
}

impl From<Xmm> for FSrc {
    fn from(x: Xmm) -> FSrc {
        FSrc::Reg(x)
    }
}

impl From<Mem> for FSrc {
    fn from(m: Mem) -> FSrc {
        FSrc::Mem(m)
    }
}

/// Evaluates `$body` with `$s` bound to the iced operand for `$src`: an xmm register, or a
/// memory operand made by `ca::$ptr` (`dword_ptr` for singles, `qword_ptr` for doubles).
macro_rules! with_src {
    ($src:expr, $ptr:ident, |$s:ident| $body:expr) => {
        match $src {
            FSrc::Reg(x) => {
                let $s = xmm(x);
                $body
            }
            FSrc::Mem(m) => {
                let $s = ca::$ptr(mem(m));
                $body
            }
        }
    };
}

/// Scalar double-precision operations (`addsd` …), rounded as MXCSR says.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Sse {
    Add,
    Sub,
    Mul,
    Div,
    Sqrt,
    /// x86's `min`/`max`: the second operand when either is a NaN or both are zeros.
    Min,
    Max,
}

/// Fused multiply-adds on doubles, `d = ±(d * a) ± b` (x86's 213 forms).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fma {
    /// `d*a + b`
    MulAdd,
    /// `d*a - b`
    MulSub,
    /// `-(d*a) + b`
    NegMulAdd,
    /// `-(d*a) - b`
    NegMulSub,
}

/// The opcode of `jmp rel32`.
pub const JMP_REL32: u8 = 0xe9;

/// The rel32 of a `len`-byte jump at `site` to `target`.
pub(crate) fn rel32(site: u64, len: u64, target: u64) -> i32 {
    let rel = target.wrapping_sub(site.wrapping_add(len)) as i64;
    i32::try_from(rel).expect("jump within the code region")
}

/// The length of the patchable jump starting with `code`: a `jmp rel32` (5 bytes) or a
/// `jcc rel32` (6 bytes); its rel32 is its last four bytes.
pub fn patch_site_len(code: &[u8]) -> Option<usize> {
    match code {
        [JMP_REL32, ..] => Some(5),
        [0x0f, op, ..] if op & 0xf0 == 0x80 => Some(6),
        _ => None,
    }
}

/// Writes the rel32 of the patchable jump at the start of `code` (at address `site`).
pub fn set_rel32(code: &mut [u8], site: u64, target: u64) {
    let len = patch_site_len(code).expect("a patch site is a jmp or jcc rel32");
    let rel = rel32(site, len as u64, target);
    code[len - 4..len].copy_from_slice(&rel.to_le_bytes());
}

/// x86's condition-code nibble (as in `jcc`'s `0f 8x`).
fn cc_code(cc: Cc) -> u8 {
    match cc {
        Cc::O => 0x0,
        Cc::B => 0x2,
        Cc::Ae => 0x3,
        Cc::E => 0x4,
        Cc::Ne => 0x5,
        Cc::Be => 0x6,
        Cc::A => 0x7,
        Cc::P => 0xa,
        Cc::Np => 0xb,
        Cc::L => 0xc,
        Cc::Ge => 0xd,
        Cc::Le => 0xe,
        Cc::G => 0xf,
    }
}

/// A position in the code being emitted.
#[derive(Clone, Copy, Debug)]
pub struct Label(CodeLabel);

/// Where an emitted instruction or label ended up.
pub struct Assembled {
    pub bytes: Vec<u8>,
    ip: u64,
    /// Each bound label's address.
    labels: HashMap<CodeLabel, u64>,
}

impl Assembled {
    /// The address a bound label got.
    pub fn label_addr(&self, l: &Label) -> u64 {
        *self.labels.get(&l.0).expect("label bound")
    }
    /// Points the [`Emitter::patchable_jmp`] or [`Emitter::patchable_jcc`] at `site` to
    /// `target`.
    pub fn set_jmp(&mut self, site: &Label, target: u64) {
        let at = self.label_offset(site);
        let addr = self.label_addr(site);
        set_rel32(&mut self.bytes[at..], addr, target);
    }

    /// Its offset from the start of the code.
    pub fn label_offset(&self, l: &Label) -> usize {
        (self.label_addr(l) - self.ip) as usize
    }
}

const R64: [AsmRegister64; 16] = [
    ca::rax,
    ca::rcx,
    ca::rdx,
    ca::rbx,
    ca::rsp,
    ca::rbp,
    ca::rsi,
    ca::rdi,
    ca::r8,
    ca::r9,
    ca::r10,
    ca::r11,
    ca::r12,
    ca::r13,
    ca::r14,
    ca::r15,
];
const R32: [ca::AsmRegister32; 16] = [
    ca::eax,
    ca::ecx,
    ca::edx,
    ca::ebx,
    ca::esp,
    ca::ebp,
    ca::esi,
    ca::edi,
    ca::r8d,
    ca::r9d,
    ca::r10d,
    ca::r11d,
    ca::r12d,
    ca::r13d,
    ca::r14d,
    ca::r15d,
];
const R16: [ca::AsmRegister16; 16] = [
    ca::ax,
    ca::cx,
    ca::dx,
    ca::bx,
    ca::sp,
    ca::bp,
    ca::si,
    ca::di,
    ca::r8w,
    ca::r9w,
    ca::r10w,
    ca::r11w,
    ca::r12w,
    ca::r13w,
    ca::r14w,
    ca::r15w,
];
const R8: [ca::AsmRegister8; 16] = [
    ca::al,
    ca::cl,
    ca::dl,
    ca::bl,
    ca::spl,
    ca::bpl,
    ca::sil,
    ca::dil,
    ca::r8b,
    ca::r9b,
    ca::r10b,
    ca::r11b,
    ca::r12b,
    ca::r13b,
    ca::r14b,
    ca::r15b,
];

fn r64(r: Gpr) -> AsmRegister64 {
    R64[r as usize]
}
fn r32(r: Gpr) -> ca::AsmRegister32 {
    R32[r as usize]
}
fn r16(r: Gpr) -> ca::AsmRegister16 {
    R16[r as usize]
}
fn r8(r: Gpr) -> ca::AsmRegister8 {
    R8[r as usize]
}

fn xmm(x: Xmm) -> ca::AsmRegisterXmm {
    [
        ca::xmm0,
        ca::xmm1,
        ca::xmm2,
        ca::xmm3,
        ca::xmm4,
        ca::xmm5,
        ca::xmm6,
        ca::xmm7,
        ca::xmm8,
        ca::xmm9,
        ca::xmm10,
        ca::xmm11,
        ca::xmm12,
        ca::xmm13,
        ca::xmm14,
        ca::xmm15,
    ][x.0 as usize]
}

fn mem(m: Mem) -> AsmMemoryOperand {
    match m.index {
        None => r64(m.base) + m.disp,
        Some((i, s)) => r64(m.base) + r64(i) * s + m.disp,
    }
}

/// Expands to the call of an iced method for each width of a register operand.
macro_rules! by_width {
    ($self:ident, $w:expr, |$r:ident| $call:expr) => {{
        let a = &mut $self.asm;
        match $w {
            W::B64 => {
                let $r = r64;
                $call(a)
            }
            W::B32 => {
                let $r = r32;
                $call(a)
            }
            W::B16 => {
                let $r = r16;
                $call(a)
            }
            W::B8 => {
                let $r = r8;
                $call(a)
            }
        }
        .expect("valid x86-64 instruction")
    }};
}

/// Same for a memory operand of the given width.
fn ptr(w: W, m: Mem) -> AsmMemoryOperand {
    let m = mem(m);
    match w {
        W::B64 => ca::qword_ptr(m),
        W::B32 => ca::dword_ptr(m),
        W::B16 => ca::word_ptr(m),
        W::B8 => ca::byte_ptr(m),
    }
}

/// Builds one function's worth of x86-64 code.
pub struct Emitter {
    asm: CodeAssembler,
    /// Each bound label and the index of the instruction it is bound to.
    bound: Vec<(CodeLabel, usize)>,
    /// How many instructions there were when the last label was bound.
    last_bind: Option<usize>,
}

impl Default for Emitter {
    fn default() -> Self {
        Emitter::new()
    }
}

type R<T = ()> = Result<T, iced_x86::IcedError>;

impl Emitter {
    pub fn new() -> Emitter {
        let mut asm = CodeAssembler::new(64).expect("64-bit assembler");
        // Short branches where they reach: the block encoder widens the others.
        asm.set_prefer_short_branch(true);
        Emitter {
            asm,
            bound: Vec::new(),
            last_bind: None,
        }
    }

    /// Instructions emitted so far (data bytes count as one each `db`).
    pub fn len(&self) -> usize {
        self.asm.instructions().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn label(&mut self) -> Label {
        Label(self.asm.create_label())
    }

    /// Binds `l` to the next instruction emitted. iced gives an instruction one label at
    /// most, so a second label at the same place gets a `nop` of its own.
    pub fn bind(&mut self, l: &mut Label) {
        let here = self.asm.instructions().len();
        if self.last_bind == Some(here) {
            self.asm.nop().expect("nop");
        }
        let here = self.asm.instructions().len();
        self.last_bind = Some(here);
        self.asm.set_label(&mut l.0).expect("label bound once");
        self.bound.push((l.0, here));
    }

    /// `mov d, s` at width `w` (a 32-bit move zero-extends, as x86 does).
    pub fn mov_rr(&mut self, w: W, d: Gpr, s: Gpr) {
        by_width!(self, w, |r| |a: &mut CodeAssembler| a.mov(r(d), r(s)));
    }

    /// `d = v`, in the shortest encoding.
    pub fn mov_ri(&mut self, d: Gpr, v: i64) {
        let a = &mut self.asm;
        let res: R = if v == 0 {
            a.xor(r32(d), r32(d))
        } else if (0..=u32::MAX as i64).contains(&v) {
            a.mov(r32(d), v as u32)
        } else if v == v as i32 as i64 {
            a.add_instruction(
                iced_x86::Instruction::with2(
                    iced_x86::Code::Mov_rm64_imm32,
                    iced_x86::Register::from(r64(d)),
                    v as i32,
                )
                .expect("mov r/m64, imm32"),
            )
        } else {
            a.mov(r64(d), v)
        };
        res.expect("mov imm");
    }

    /// `d = [m]` (`w` wide; 8 and 16 bits are zero-extended to 32, 32 to 64).
    pub fn load(&mut self, w: W, d: Gpr, m: Mem) {
        let a = &mut self.asm;
        match w {
            W::B64 => a.mov(r64(d), ptr(w, m)),
            W::B32 => a.mov(r32(d), ptr(w, m)),
            W::B16 | W::B8 => a.movzx(r32(d), ptr(w, m)),
        }
        .expect("load");
    }

    /// `d = sign-extended [m]`, 64 bits.
    pub fn load_sx(&mut self, w: W, d: Gpr, m: Mem) {
        let a = &mut self.asm;
        match w {
            W::B64 => a.mov(r64(d), ptr(w, m)),
            W::B32 => a.movsxd(r64(d), ptr(w, m)),
            W::B16 | W::B8 => a.movsx(r64(d), ptr(w, m)),
        }
        .expect("load_sx");
    }

    /// `[m] = s` (the low `w` bits).
    pub fn store(&mut self, w: W, m: Mem, s: Gpr) {
        let p = ptr(w, m);
        by_width!(self, w, |r| |a: &mut CodeAssembler| a.mov(p, r(s)));
    }

    /// `[m] = imm` (sign-extended to `w`).
    pub fn store_imm(&mut self, w: W, m: Mem, imm: i32) {
        let a = &mut self.asm;
        match w {
            W::B64 | W::B32 => a.mov(ptr(w, m), imm),
            W::B16 => a.mov(ptr(w, m), imm as i16 as i32),
            W::B8 => a.mov(ptr(w, m), imm as i8 as i32),
        }
        .expect("store imm");
    }

    /// `d = s` sign-extended from `w` to 64 bits.
    pub fn sx(&mut self, w: W, d: Gpr, s: Gpr) {
        let a = &mut self.asm;
        match w {
            W::B64 => a.mov(r64(d), r64(s)),
            W::B32 => a.movsxd(r64(d), r32(s)),
            W::B16 => a.movsx(r64(d), r16(s)),
            W::B8 => a.movsx(r64(d), r8(s)),
        }
        .expect("sx");
    }

    /// `d = s` zero-extended from `w` to 64 bits.
    pub fn zx(&mut self, w: W, d: Gpr, s: Gpr) {
        let a = &mut self.asm;
        match w {
            W::B64 => a.mov(r64(d), r64(s)),
            W::B32 => a.mov(r32(d), r32(s)),
            W::B16 => a.movzx(r32(d), r16(s)),
            W::B8 => a.movzx(r32(d), r8(s)),
        }
        .expect("zx");
    }

    pub fn alu_rr(&mut self, op: Alu, w: W, d: Gpr, s: Gpr) {
        by_width!(self, w, |r| |a: &mut CodeAssembler| match op {
            Alu::Add => a.add(r(d), r(s)),
            Alu::Sub => a.sub(r(d), r(s)),
            Alu::And => a.and(r(d), r(s)),
            Alu::Or => a.or(r(d), r(s)),
            Alu::Xor => a.xor(r(d), r(s)),
            Alu::Cmp => a.cmp(r(d), r(s)),
            Alu::Test => a.test(r(d), r(s)),
        });
    }

    /// `d op= imm` (imm sign-extended to `w`).
    pub fn alu_ri(&mut self, op: Alu, w: W, d: Gpr, imm: i32) {
        by_width!(self, w, |r| |a: &mut CodeAssembler| match op {
            Alu::Add => a.add(r(d), imm),
            Alu::Sub => a.sub(r(d), imm),
            Alu::And => a.and(r(d), imm),
            Alu::Or => a.or(r(d), imm),
            Alu::Xor => a.xor(r(d), imm),
            Alu::Cmp => a.cmp(r(d), imm),
            Alu::Test => a.test(r(d), imm),
        });
    }

    /// `d op= [m]`.
    pub fn alu_rm(&mut self, op: Alu, w: W, d: Gpr, m: Mem) {
        let p = ptr(w, m);
        by_width!(self, w, |r| |a: &mut CodeAssembler| match op {
            Alu::Add => a.add(r(d), p),
            Alu::Sub => a.sub(r(d), p),
            Alu::And => a.and(r(d), p),
            Alu::Or => a.or(r(d), p),
            Alu::Xor => a.xor(r(d), p),
            Alu::Cmp => a.cmp(r(d), p),
            Alu::Test => a.test(p, r(d)),
        });
    }

    /// `[m] op= imm`.
    pub fn alu_mi(&mut self, op: Alu, w: W, m: Mem, imm: i32) {
        let p = ptr(w, m);
        let a = &mut self.asm;
        match op {
            Alu::Add => a.add(p, imm),
            Alu::Sub => a.sub(p, imm),
            Alu::And => a.and(p, imm),
            Alu::Or => a.or(p, imm),
            Alu::Xor => a.xor(p, imm),
            Alu::Cmp => a.cmp(p, imm),
            Alu::Test => a.test(p, imm),
        }
        .expect("alu mem imm");
    }

    pub fn shift_ri(&mut self, op: Shift, w: W, d: Gpr, n: u8) {
        let n = n as u32;
        by_width!(self, w, |r| |a: &mut CodeAssembler| match op {
            Shift::Shl => a.shl(r(d), n),
            Shift::Shr => a.shr(r(d), n),
            Shift::Sar => a.sar(r(d), n),
        });
    }

    /// Shift by `cl` (masked by the host to the width, as RISC-V masks too).
    pub fn shift_cl(&mut self, op: Shift, w: W, d: Gpr) {
        by_width!(self, w, |r| |a: &mut CodeAssembler| match op {
            Shift::Shl => a.shl(r(d), ca::cl),
            Shift::Shr => a.shr(r(d), ca::cl),
            Shift::Sar => a.sar(r(d), ca::cl),
        });
    }

    pub fn lea(&mut self, d: Gpr, m: Mem) {
        self.asm.lea(r64(d), mem(m)).expect("lea");
    }

    /// `d = the address of label l` (rip-relative).
    pub fn lea_label(&mut self, d: Gpr, l: Label) {
        self.asm.lea(r64(d), ca::ptr(l.0)).expect("lea label");
    }

    /// 32-bit `lea`: the sum truncated and zero-extended.
    pub fn lea32(&mut self, d: Gpr, m: Mem) {
        self.asm.lea(r32(d), mem(m)).expect("lea32");
    }

    /// `d = d * s`, low half.
    pub fn imul_rr(&mut self, w: W, d: Gpr, s: Gpr) {
        let a = &mut self.asm;
        match w {
            W::B64 => a.imul_2(r64(d), r64(s)),
            W::B32 => a.imul_2(r32(d), r32(s)),
            _ => unimplemented!("imul of {w:?}"),
        }
        .expect("imul");
    }

    /// `rdx:rax = rax * s`, unsigned.
    pub fn mul(&mut self, w: W, s: Gpr) {
        by_width!(self, w, |r| |a: &mut CodeAssembler| a.mul(r(s)));
    }

    /// `rdx:rax = rax * s`, signed.
    pub fn imul1(&mut self, w: W, s: Gpr) {
        by_width!(self, w, |r| |a: &mut CodeAssembler| a.imul(r(s)));
    }

    /// Unsigned `rdx:rax / s`.
    pub fn div(&mut self, w: W, s: Gpr) {
        by_width!(self, w, |r| |a: &mut CodeAssembler| a.div(r(s)));
    }

    /// Signed `rdx:rax / s`.
    pub fn idiv(&mut self, w: W, s: Gpr) {
        by_width!(self, w, |r| |a: &mut CodeAssembler| a.idiv(r(s)));
    }

    /// Sign-extends rax (or eax) into rdx (edx).
    pub fn sign_extend_rax(&mut self, w: W) {
        match w {
            W::B64 => self.asm.cqo(),
            _ => self.asm.cdq(),
        }
        .expect("cqo");
    }

    /// `d8 = cc ? 1 : 0` (upper bits untouched).
    pub fn setcc(&mut self, cc: Cc, d: Gpr) {
        let r = r8(d);
        let a = &mut self.asm;
        match cc {
            Cc::E => a.sete(r),
            Cc::Ne => a.setne(r),
            Cc::L => a.setl(r),
            Cc::Ge => a.setge(r),
            Cc::Le => a.setle(r),
            Cc::G => a.setg(r),
            Cc::B => a.setb(r),
            Cc::Ae => a.setae(r),
            Cc::Be => a.setbe(r),
            Cc::A => a.seta(r),
            Cc::P => a.setp(r),
            Cc::Np => a.setnp(r),
            Cc::O => a.seto(r),
        }
        .expect("setcc");
    }

    /// `if cc { d = s }`, 64-bit.
    pub fn cmov(&mut self, cc: Cc, d: Gpr, s: Gpr) {
        let (d, s) = (r64(d), r64(s));
        let a = &mut self.asm;
        match cc {
            Cc::E => a.cmove(d, s),
            Cc::Ne => a.cmovne(d, s),
            Cc::L => a.cmovl(d, s),
            Cc::Ge => a.cmovge(d, s),
            Cc::Le => a.cmovle(d, s),
            Cc::G => a.cmovg(d, s),
            Cc::B => a.cmovb(d, s),
            Cc::Ae => a.cmovae(d, s),
            Cc::Be => a.cmovbe(d, s),
            Cc::A => a.cmova(d, s),
            Cc::P => a.cmovp(d, s),
            Cc::Np => a.cmovnp(d, s),
            Cc::O => a.cmovo(d, s),
        }
        .expect("cmov");
    }

    pub fn jcc(&mut self, cc: Cc, l: Label) {
        let l = l.0;
        let a = &mut self.asm;
        match cc {
            Cc::E => a.je(l),
            Cc::Ne => a.jne(l),
            Cc::L => a.jl(l),
            Cc::Ge => a.jge(l),
            Cc::Le => a.jle(l),
            Cc::G => a.jg(l),
            Cc::B => a.jb(l),
            Cc::Ae => a.jae(l),
            Cc::Be => a.jbe(l),
            Cc::A => a.ja(l),
            Cc::P => a.jp(l),
            Cc::Np => a.jnp(l),
            Cc::O => a.jo(l),
        }
        .expect("jcc");
    }

    pub fn jmp(&mut self, l: Label) {
        self.asm.jmp(l.0).expect("jmp");
    }

    /// `jmp` to an absolute address (rel32: it must be within ±2 GiB of the code).
    pub fn jmp_abs(&mut self, target: u64) {
        self.asm.jmp(target).expect("jmp abs");
    }

    pub fn jmp_reg(&mut self, r: Gpr) {
        self.asm.jmp(r64(r)).expect("jmp reg");
    }

    pub fn jmp_mem(&mut self, m: Mem) {
        self.asm.jmp(ca::qword_ptr(mem(m))).expect("jmp mem");
    }

    /// `call l`.
    pub fn call_label(&mut self, l: Label) {
        self.asm.call(l.0).expect("call label");
    }

    pub fn call_reg(&mut self, r: Gpr) {
        self.asm.call(r64(r)).expect("call reg");
    }

    pub fn ret(&mut self) {
        self.asm.ret().expect("ret");
    }

    pub fn push(&mut self, r: Gpr) {
        self.asm.push(r64(r)).expect("push");
    }

    pub fn pop(&mut self, r: Gpr) {
        self.asm.pop(r64(r)).expect("pop");
    }

    /// `lock xadd [m], s`: `s` gets the old value.
    pub fn lock_xadd(&mut self, w: W, m: Mem, s: Gpr) {
        let p = ptr(w, m);
        by_width!(self, w, |r| |a: &mut CodeAssembler| a.lock().xadd(p, r(s)));
    }

    /// `xchg [m], s` (implicitly locked).
    pub fn xchg(&mut self, w: W, m: Mem, s: Gpr) {
        let p = ptr(w, m);
        by_width!(self, w, |r| |a: &mut CodeAssembler| a.xchg(p, r(s)));
    }

    /// `lock cmpxchg [m], s`: compares with rax/eax, ZF set on success, rax = old on failure.
    pub fn lock_cmpxchg(&mut self, w: W, m: Mem, s: Gpr) {
        let p = ptr(w, m);
        by_width!(self, w, |r| |a: &mut CodeAssembler| a
            .lock()
            .cmpxchg(p, r(s)));
    }

    /// `x = [m]`, 64 bits (`movsd`).
    pub fn load_sd(&mut self, x: Xmm, m: Mem) {
        self.asm
            .movsd_2(xmm(x), ca::qword_ptr(mem(m)))
            .expect("movsd");
    }

    /// `[m] = x`, 64 bits (`movsd`).
    pub fn store_sd(&mut self, m: Mem, x: Xmm) {
        self.asm
            .movsd_2(ca::qword_ptr(mem(m)), xmm(x))
            .expect("movsd");
    }

    /// `d = s` between a general register and an SSE one, 64 bits (`movq`).
    pub fn movq_xr(&mut self, d: Xmm, s: Gpr) {
        self.asm.movq(xmm(d), r64(s)).expect("movq");
    }

    pub fn movq_rx(&mut self, d: Gpr, s: Xmm) {
        self.asm.movq(r64(d), xmm(s)).expect("movq");
    }

    /// `d = d op src` (`sqrt`: `d = sqrt(src)`), scalar double.
    pub fn sse_m(&mut self, op: Sse, d: Xmm, src: impl Into<FSrc>) {
        let d = xmm(d);
        let a = &mut self.asm;
        with_src!(src.into(), qword_ptr, |m| match op {
            Sse::Add => a.addsd(d, m),
            Sse::Sub => a.subsd(d, m),
            Sse::Mul => a.mulsd(d, m),
            Sse::Div => a.divsd(d, m),
            Sse::Sqrt => a.sqrtsd(d, m),
            Sse::Min => a.minsd(d, m),
            Sse::Max => a.maxsd(d, m),
        })
        .expect("sse");
    }

    /// `d = op(d, x, src)` as [`Fma`] says, rounded once.
    pub fn fma_m(&mut self, op: Fma, d: Xmm, x: Xmm, src: impl Into<FSrc>) {
        let (d, x) = (xmm(d), xmm(x));
        let a = &mut self.asm;
        with_src!(src.into(), qword_ptr, |m| match op {
            Fma::MulAdd => a.vfmadd213sd(d, x, m),
            Fma::MulSub => a.vfmsub213sd(d, x, m),
            Fma::NegMulAdd => a.vfnmadd213sd(d, x, m),
            Fma::NegMulSub => a.vfnmsub213sd(d, x, m),
        })
        .expect("fma");
    }

    /// Compares doubles: `ucomisd` (quiet: only a signalling NaN is invalid) or `comisd`
    /// (any NaN is invalid). ZF PF CF = 111 unordered, 100 equal, 001 less, 000 greater.
    pub fn compare_sd(&mut self, signalling: bool, x: Xmm, src: impl Into<FSrc>) {
        let x = xmm(x);
        let a = &mut self.asm;
        with_src!(src.into(), qword_ptr, |m| if signalling {
            a.comisd(x, m)
        } else {
            a.ucomisd(x, m)
        })
        .expect("comisd");
    }

    /// `ucomisd x, x`: parity set iff `x` is a NaN.
    pub fn is_nan_sd(&mut self, x: Xmm) {
        self.asm.ucomisd(xmm(x), xmm(x)).expect("ucomisd");
    }

    /// `d = s`, the whole register (`movapd`).
    pub fn mov_xx(&mut self, d: Xmm, s: Xmm) {
        self.asm.movapd(xmm(d), xmm(s)).expect("movapd");
    }

    /// `d = s` from the low 32 bits of an SSE register, zero-extended (`movd`).
    pub fn movd_rx(&mut self, d: Gpr, s: Xmm) {
        self.asm.movd(r32(d), xmm(s)).expect("movd");
    }

    /// `d = (double) s` for a signed 32- or 64-bit integer (`cvtsi2sd`).
    pub fn cvt_int_sd(&mut self, w: W, d: Xmm, s: Gpr) {
        match w {
            W::B64 => self.asm.cvtsi2sd(xmm(d), r64(s)),
            _ => self.asm.cvtsi2sd(xmm(d), r32(s)),
        }
        .expect("cvtsi2sd");
    }

    /// `d = (int) src` to 32 or 64 bits, truncating (`cvttsd2si`) or as MXCSR rounds
    /// (`cvtsd2si`); out of range or NaN gives the "integer indefinite" (the minimum).
    pub fn cvt_sd_int(&mut self, w: W, truncate: bool, d: Gpr, src: impl Into<FSrc>) {
        let a = &mut self.asm;
        with_src!(src.into(), qword_ptr, |m| match (w, truncate) {
            (W::B64, true) => a.cvttsd2si(r64(d), m),
            (W::B64, false) => a.cvtsd2si(r64(d), m),
            (_, true) => a.cvttsd2si(r32(d), m),
            (_, false) => a.cvtsd2si(r32(d), m),
        })
        .expect("cvtsd2si");
    }

    /// `x = [m]`, 32 bits (`movss`).
    pub fn load_ss(&mut self, x: Xmm, m: Mem) {
        self.asm
            .movss(xmm(x), ca::dword_ptr(mem(m)))
            .expect("movss");
    }

    /// `[m] = x`, 32 bits (`movss`).
    pub fn store_ss(&mut self, m: Mem, x: Xmm) {
        self.asm
            .movss(ca::dword_ptr(mem(m)), xmm(x))
            .expect("movss");
    }

    /// `d = d op src` (`sqrt`: `d = sqrt(src)`), scalar single.
    pub fn sse_ss_m(&mut self, op: Sse, d: Xmm, src: impl Into<FSrc>) {
        let d = xmm(d);
        let a = &mut self.asm;
        with_src!(src.into(), dword_ptr, |m| match op {
            Sse::Add => a.addss(d, m),
            Sse::Sub => a.subss(d, m),
            Sse::Mul => a.mulss(d, m),
            Sse::Div => a.divss(d, m),
            Sse::Sqrt => a.sqrtss(d, m),
            Sse::Min => a.minss(d, m),
            Sse::Max => a.maxss(d, m),
        })
        .expect("sse");
    }

    /// `d = op(d, x, src)` as [`Fma`] says on singles, rounded once.
    pub fn fma_ss_m(&mut self, op: Fma, d: Xmm, x: Xmm, src: impl Into<FSrc>) {
        let (d, x) = (xmm(d), xmm(x));
        let a = &mut self.asm;
        with_src!(src.into(), dword_ptr, |m| match op {
            Fma::MulAdd => a.vfmadd213ss(d, x, m),
            Fma::MulSub => a.vfmsub213ss(d, x, m),
            Fma::NegMulAdd => a.vfnmadd213ss(d, x, m),
            Fma::NegMulSub => a.vfnmsub213ss(d, x, m),
        })
        .expect("fma");
    }

    /// [`Emitter::compare_sd`] on singles (`ucomiss` / `comiss`).
    pub fn compare_ss(&mut self, signalling: bool, x: Xmm, src: impl Into<FSrc>) {
        let x = xmm(x);
        let a = &mut self.asm;
        with_src!(src.into(), dword_ptr, |m| if signalling {
            a.comiss(x, m)
        } else {
            a.ucomiss(x, m)
        })
        .expect("comiss");
    }

    /// `ucomiss x, x`: parity set iff `x` is a NaN.
    pub fn is_nan_ss(&mut self, x: Xmm) {
        self.asm.ucomiss(xmm(x), xmm(x)).expect("ucomiss");
    }

    /// `d = (float) s` for a signed 32- or 64-bit integer (`cvtsi2ss`), rounded as MXCSR says.
    pub fn cvt_int_ss(&mut self, w: W, d: Xmm, s: Gpr) {
        match w {
            W::B64 => self.asm.cvtsi2ss(xmm(d), r64(s)),
            _ => self.asm.cvtsi2ss(xmm(d), r32(s)),
        }
        .expect("cvtsi2ss");
    }

    /// [`Emitter::cvt_sd_int`] from a single (`cvttss2si` / `cvtss2si`).
    pub fn cvt_ss_int(&mut self, w: W, truncate: bool, d: Gpr, src: impl Into<FSrc>) {
        let a = &mut self.asm;
        with_src!(src.into(), dword_ptr, |m| match (w, truncate) {
            (W::B64, true) => a.cvttss2si(r64(d), m),
            (W::B64, false) => a.cvtss2si(r64(d), m),
            (_, true) => a.cvttss2si(r32(d), m),
            (_, false) => a.cvtss2si(r32(d), m),
        })
        .expect("cvtss2si");
    }

    /// `d = (float) src` from a double, rounded as MXCSR says (`cvtsd2ss`).
    pub fn cvt_sd_ss(&mut self, d: Xmm, src: impl Into<FSrc>) {
        let (d, a) = (xmm(d), &mut self.asm);
        with_src!(src.into(), qword_ptr, |m| a.cvtsd2ss(d, m)).expect("cvtsd2ss");
    }

    /// `d = (double) src` from a single, exactly (`cvtss2sd`).
    pub fn cvt_ss_sd(&mut self, d: Xmm, src: impl Into<FSrc>) {
        let (d, a) = (xmm(d), &mut self.asm);
        with_src!(src.into(), dword_ptr, |m| a.cvtss2sd(d, m)).expect("cvtss2sd");
    }

    pub fn ldmxcsr(&mut self, m: Mem) {
        self.asm.ldmxcsr(ca::dword_ptr(mem(m))).expect("ldmxcsr");
    }

    pub fn stmxcsr(&mut self, m: Mem) {
        self.asm.stmxcsr(ca::dword_ptr(mem(m))).expect("stmxcsr");
    }

    /// A `jmp rel32` whose target is set after assembly ([`Assembled::set_jmp`]) and may be
    /// re-pointed while the code runs ([`crate::CodeBuffer::patch_jmp`]); `site` is bound to
    /// it. Emitted as raw bytes: the block encoder would shorten a label jump to rel8.
    pub fn patchable_jmp(&mut self, site: &mut Label) {
        self.bind(site);
        self.asm.db(&[JMP_REL32, 0, 0, 0, 0]).expect("db");
    }

    /// A `jcc rel32` that can be re-pointed like [`Emitter::patchable_jmp`].
    pub fn patchable_jcc(&mut self, cc: Cc, site: &mut Label) {
        self.bind(site);
        self.asm
            .db(&[0x0f, 0x80 | cc_code(cc), 0, 0, 0, 0])
            .expect("db");
    }

    /// Encodes everything at address `ip` (see [`crate::assemble`]).
    pub fn assemble(self, ip: u64) -> Assembled {
        let (bytes, addrs) = crate::assemble::assemble(self.asm.instructions(), ip);
        Assembled {
            bytes,
            ip,
            labels: crate::assemble::labels(&self.bound, &addrs),
        }
    }
}
