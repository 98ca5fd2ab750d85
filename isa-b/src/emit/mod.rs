//! The emitter: the handful of x86-64 instructions the translator needs, over iced-x86's
//! `CodeAssembler`, spoken in this crate's own register and operand types so no other crate
//! sees iced.
//!
//! Split by what it emits: operand.rs (registers, operands and their iced forms), int.rs
//! (integer instructions), bmi.rs (the BMI1/BMI2 three-operand integer forms), sse.rs
//! (scalar floating point, one function per operation with a precision), flow.rs (labels,
//! jumps, calls, patchable jumps and assembly).

pub(crate) use flow::rel32;
pub use flow::{patch_site_len, Assembled, Label, JMP_REL32};
pub use operand::{Alu, Cc, FSrc, Fma, Gpr, Mem, Prec, Shift, Sse, Xmm, W};

use iced_x86::code_asm::{CodeAssembler, CodeLabel};

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

// After the macros: the modules use them.
mod bmi;
mod flow;
mod int;
mod operand;
mod sse;

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

    /// Whether the flags as they were after the first `mark` instructions ([`Emitter::len`]
    /// then) still hold at the next one: everything emitted since is a move that leaves
    /// them alone, and no label is bound after the mark (nothing jumps in between).
    pub fn flags_kept(&self, mark: usize) -> bool {
        use iced_x86::Mnemonic as M;
        let insns = self.asm.instructions();
        mark <= insns.len()
            && self.bound.last().is_none_or(|&(_, at)| at < mark)
            && insns[mark..].iter().all(|i| {
                matches!(
                    i.mnemonic(),
                    M::Mov | M::Movsxd | M::Movsx | M::Movzx | M::Lea
                )
            })
    }

    /// A label at the next instruction emitted: the one already bound there, if any (no
    /// `nop` then), else a new one.
    pub fn label_here(&mut self) -> Label {
        let here = self.asm.instructions().len();
        match self.bound.last() {
            Some(&(l, at)) if at == here => Label(l),
            _ => {
                let mut l = self.label();
                self.bind(&mut l);
                l
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_kept_across_moves_only() {
        let mut e = Emitter::new();
        e.alu_ri(Alu::And, W::B64, Gpr::R10, 1);
        let mark = e.len();
        assert!(e.flags_kept(mark));
        e.mov_rr(W::B64, Gpr::Rax, Gpr::R10);
        e.sx(W::B32, Gpr::Rax, Gpr::Rax);
        e.lea(Gpr::Rcx, Mem::at(Gpr::Rax, 8));
        assert!(e.flags_kept(mark));
        // `mov r, 0` is `xor r32, r32`.
        e.mov_ri(Gpr::Rdx, 0);
        assert!(!e.flags_kept(mark));
    }

    #[test]
    fn flags_not_kept_across_labels() {
        let mut e = Emitter::new();
        e.alu_ri(Alu::Or, W::B64, Gpr::R10, 1);
        let mark = e.len();
        let mut l = e.label();
        e.bind(&mut l);
        assert!(!e.flags_kept(mark));
        e.mov_rr(W::B64, Gpr::Rax, Gpr::R10);
        assert!(!e.flags_kept(mark));
    }
}
