//! Lays out and encodes an [`crate::Emitter`]'s instructions at their final address, in
//! place of iced's block encoder, which boxes an object per instruction and re-encodes every
//! instruction on each of its passes: translating a block spent most of its time there.
//!
//! Here every instruction whose bytes do not depend on where it lands is encoded once, into
//! one buffer; only branches and RIP-relative operands wait for the layout. Branches start
//! short (rel8) where they have a short form and become near (rel32) when their target is out
//! of reach, a pass at a time, until no branch grows: growing only ever moves targets
//! further away, so the passes end, and every branch left short reaches its target.
//!
//! ```text
//!   instructions ──encode position-free ones once──▶ spans in one buffer
//!        │ branches, rip-relative                         │
//!        └──▶ sizes: short, grown to near until stable ──▶ addresses ──▶ bytes
//! ```

use iced_x86::code_asm::CodeLabel;
use iced_x86::{Code, Encoder, Instruction, OpKind};
use std::collections::HashMap;

/// Where a branch or RIP-relative operand points: an instruction of the code (a label's) or
/// an absolute address outside it.
#[derive(Copy, Clone)]
enum Target {
    Insn(usize),
    Abs(u64),
}

enum Piece {
    /// Bytes `start..end` of the position-free buffer.
    Fixed(usize, usize),
    /// A near branch; `short` while its rel8 form is in use.
    Branch {
        target: Target,
        short: bool,
        short_len: u8,
        near_len: u8,
    },
    /// An instruction with a RIP-relative memory operand (its displacement the target).
    RipRel { target: Target, len: u8 },
}

/// The code of `instrs` at `ip`, and the address of each instruction (one past the end
/// last). iced stores a label's id as the labelled instruction's ip and as the target of
/// branches and operands that name it; ids count from 1, so they never collide with the
/// absolute addresses of code outside (the code buffer's, far above).
pub(crate) fn assemble(instrs: &[Instruction], ip: u64) -> (Vec<u8>, Vec<u64>) {
    let ids: HashMap<u64, usize> = instrs
        .iter()
        .enumerate()
        .filter(|(_, i)| i.ip() != 0)
        .map(|(n, i)| (i.ip(), n))
        .collect();
    let target = |v: u64| ids.get(&v).map_or(Target::Abs(v), |&n| Target::Insn(n));
    // `enc` collects the position-free bytes; `one` encodes single instructions.
    let (mut enc, mut one) = (Encoder::new(64), Encoder::new(64));
    let mut fixed = 0;
    let mut pieces = Vec::with_capacity(instrs.len());
    for i in instrs {
        let piece = if i.op0_kind() == OpKind::NearBranch64 {
            let (short, near) = (i.code().as_short_branch(), i.code().as_near_branch());
            let near_len = size(&mut one, i, near);
            let has_short = short != near;
            Piece::Branch {
                target: target(i.near_branch64()),
                short: has_short,
                short_len: if has_short {
                    size(&mut one, i, short)
                } else {
                    near_len
                },
                near_len,
            }
        } else if i.is_ip_rel_memory_operand() {
            let mut probe = *i;
            probe.set_memory_displacement64(0);
            Piece::RipRel {
                target: target(i.memory_displacement64()),
                len: size(&mut one, &probe, i.code()),
            }
        } else {
            let len = enc.encode(i, 0).expect("encodable instruction");
            fixed += len;
            Piece::Fixed(fixed - len, fixed)
        };
        pieces.push(piece);
    }
    let bytes = enc.take_buffer();
    let addrs = layout(&mut pieces, ip);
    let at = |t: Target| match t {
        Target::Insn(n) => addrs[n],
        Target::Abs(a) => a,
    };
    let mut out = Vec::with_capacity((addrs[pieces.len()] - ip) as usize);
    for (n, (piece, i)) in pieces.iter().zip(instrs).enumerate() {
        let addr = addrs[n];
        match *piece {
            Piece::Fixed(start, end) => out.extend_from_slice(&bytes[start..end]),
            Piece::Branch { target, short, .. } => {
                let mut b = *i;
                let c = i.code();
                b.set_code(if short {
                    c.as_short_branch()
                } else {
                    c.as_near_branch()
                });
                b.set_near_branch64(at(target));
                one.encode(&b, addr).expect("branch in reach");
                out.extend_from_slice(&one.take_buffer());
            }
            Piece::RipRel { target, .. } => {
                let mut b = *i;
                b.set_memory_displacement64(at(target));
                one.encode(&b, addr).expect("rip-relative operand in reach");
                out.extend_from_slice(&one.take_buffer());
            }
        }
        assert_eq!(ip + out.len() as u64, addrs[n + 1], "encoded as laid out");
    }
    (out, addrs)
}

/// The length of `i` encoded as `code`, with a target that any form reaches.
fn size(enc: &mut Encoder, i: &Instruction, code: Code) -> u8 {
    // The branches the emitter makes, without prefixes: known without encoding them.
    match code {
        Code::Jmp_rel8_64 => return 2,
        Code::Jmp_rel32_64 | Code::Call_rel32_64 => return 5,
        _ if code.as_near_branch() == code && code.as_short_branch() != code => return 6, // jcc
        _ if code.as_short_branch() == code && code.as_near_branch() != code => return 2,
        _ => {}
    }
    let mut probe = *i;
    probe.set_code(code);
    if probe.op0_kind() == OpKind::NearBranch64 {
        probe.set_near_branch64(0);
    }
    let len = enc.encode(&probe, 0).expect("encodable instruction");
    let _ = enc.take_buffer();
    len as u8
}

/// Each piece's address from `ip` (one more: the end), growing short branches that do not
/// reach until none is left.
fn layout(pieces: &mut [Piece], ip: u64) -> Vec<u64> {
    let mut addrs = vec![0u64; pieces.len() + 1];
    loop {
        let mut a = ip;
        for (p, slot) in pieces.iter().zip(addrs.iter_mut()) {
            *slot = a;
            a += match *p {
                Piece::Fixed(s, e) => (e - s) as u64,
                Piece::Branch {
                    short,
                    short_len,
                    near_len,
                    ..
                } => (if short { short_len } else { near_len }) as u64,
                Piece::RipRel { len, .. } => len as u64,
            };
        }
        addrs[pieces.len()] = a;
        let mut grew = false;
        for (n, p) in pieces.iter_mut().enumerate() {
            if let Piece::Branch {
                target,
                short,
                short_len,
                ..
            } = p
            {
                let to = match *target {
                    Target::Insn(t) => addrs[t],
                    Target::Abs(v) => v,
                };
                let rel = to.wrapping_sub(addrs[n] + *short_len as u64) as i64;
                if *short && i8::try_from(rel).is_err() {
                    *short = false;
                    grew = true;
                }
            }
        }
        if !grew {
            return addrs;
        }
    }
}

/// The address of each bound label, from the index of the instruction it was bound to.
pub(crate) fn labels(bound: &[(CodeLabel, usize)], addrs: &[u64]) -> HashMap<CodeLabel, u64> {
    bound.iter().map(|&(l, n)| (l, addrs[n])).collect()
}
