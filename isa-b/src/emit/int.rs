//! Integer instructions: moves, loads and stores, arithmetic, shifts, multiplication and
//! division, flags to values, the stack, and atomics.

use super::operand::{mem, ptr, r16, r32, r64, r8, Alu, Cc, Gpr, Mem, Shift, W};
use super::{Emitter, Label, R};
use iced_x86::code_asm::{self as ca, CodeAssembler};

/// `cmov<cc> d, s` for any source operand iced takes.
macro_rules! cmov {
    ($a:expr, $cc:expr, $d:expr, $s:expr) => {{
        let (d, s) = ($d, $s);
        match $cc {
            Cc::E => $a.cmove(d, s),
            Cc::Ne => $a.cmovne(d, s),
            Cc::L => $a.cmovl(d, s),
            Cc::Ge => $a.cmovge(d, s),
            Cc::Le => $a.cmovle(d, s),
            Cc::G => $a.cmovg(d, s),
            Cc::B => $a.cmovb(d, s),
            Cc::Ae => $a.cmovae(d, s),
            Cc::Be => $a.cmovbe(d, s),
            Cc::A => $a.cmova(d, s),
            Cc::P => $a.cmovp(d, s),
            Cc::Np => $a.cmovnp(d, s),
            Cc::O => $a.cmovo(d, s),
        }
        .expect("cmov")
    }};
}

impl Emitter {
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

    /// `[m] op= s` (a read-modify-write of memory; `Cmp` and `Test` only read it).
    pub fn alu_mr(&mut self, op: Alu, w: W, m: Mem, s: Gpr) {
        let p = ptr(w, m);
        by_width!(self, w, |r| |a: &mut CodeAssembler| match op {
            Alu::Add => a.add(p, r(s)),
            Alu::Sub => a.sub(p, r(s)),
            Alu::And => a.and(p, r(s)),
            Alu::Or => a.or(p, r(s)),
            Alu::Xor => a.xor(p, r(s)),
            Alu::Cmp => a.cmp(p, r(s)),
            Alu::Test => a.test(p, r(s)),
        });
    }

    /// `[m] = [m] op n`, shifted in place.
    pub fn shift_mi(&mut self, op: Shift, w: W, m: Mem, n: u8) {
        let p = ptr(w, m);
        let n = n as u32;
        let a = &mut self.asm;
        match op {
            Shift::Shl => a.shl(p, n),
            Shift::Shr => a.shr(p, n),
            Shift::Sar => a.sar(p, n),
            Shift::Ror => a.ror(p, n),
        }
        .expect("shift mem imm");
    }

    pub fn shift_ri(&mut self, op: Shift, w: W, d: Gpr, n: u8) {
        let n = n as u32;
        by_width!(self, w, |r| |a: &mut CodeAssembler| match op {
            Shift::Shl => a.shl(r(d), n),
            Shift::Shr => a.shr(r(d), n),
            Shift::Sar => a.sar(r(d), n),
            Shift::Ror => a.ror(r(d), n),
        });
    }

    /// Shift by `cl` (masked by the host to the width, as RISC-V masks too).
    pub fn shift_cl(&mut self, op: Shift, w: W, d: Gpr) {
        by_width!(self, w, |r| |a: &mut CodeAssembler| match op {
            Shift::Shl => a.shl(r(d), ca::cl),
            Shift::Shr => a.shr(r(d), ca::cl),
            Shift::Sar => a.sar(r(d), ca::cl),
            Shift::Ror => a.ror(r(d), ca::cl),
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
        cmov!(self.asm, cc, r64(d), r64(s));
    }

    /// `if cc { d = [m] }`, 64-bit (the load is made either way).
    pub fn cmov_rm(&mut self, cc: Cc, d: Gpr, m: Mem) {
        cmov!(self.asm, cc, r64(d), ptr(W::B64, m));
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
}
