//! Labels, jumps and calls, the patchable jumps blocks chain through, and assembly.

use super::operand::{mem, r64, Cc, Gpr, Mem};
use super::Emitter;
use iced_x86::code_asm::{self as ca, CodeLabel};
use std::collections::HashMap;

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
pub struct Label(pub(super) CodeLabel);

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

impl Emitter {
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
