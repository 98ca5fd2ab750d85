//! [`crate::assemble`] against iced's block encoder: programs of labelled branches forward
//! and back over stretches of varying length, calls, RIP-relative `lea`s of labels, jumps
//! out of the code and raw branch bytes, assembled both ways and decoded back. Each
//! instruction must decode to the same thing in both, with branch and `lea` targets compared
//! as the instruction they name; branches may be short in one and near in the other, and the
//! direct layout is never the longer.

use iced_x86::code_asm::{self as ca, CodeAssembler, CodeLabel};
use iced_x86::{
    BlockEncoderOptions, Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter,
};

/// One instruction as text, its near-branch or RIP-relative target replaced by the index of
/// the instruction at that address (or kept when outside the code).
fn shapes(bytes: &[u8], ip: u64) -> Vec<String> {
    let insns: Vec<Instruction> = Decoder::with_ip(64, bytes, ip, DecoderOptions::NONE)
        .into_iter()
        .collect();
    let index = |a: u64| {
        insns
            .iter()
            .position(|i| i.ip() == a)
            .map_or(format!("{a:#x}"), |n| format!("#{n}"))
    };
    let mut f = IntelFormatter::new();
    insns
        .iter()
        .map(|i| {
            if i.is_ip_rel_memory_operand() {
                return format!("{:?} -> {}", i.mnemonic(), index(i.ip_rel_memory_address()));
            }
            if i.op0_kind() == iced_x86::OpKind::NearBranch64 {
                return format!("{:?} -> {}", i.mnemonic(), index(i.near_branch64()));
            }
            let mut s = String::new();
            f.format(i, &mut s);
            s
        })
        .collect()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A program of `n` instructions whose branches name `labels`, each bound once.
fn program(rng: &mut Rng, n: usize, ip: u64) -> CodeAssembler {
    let mut a = CodeAssembler::new(64).unwrap();
    a.set_prefer_short_branch(true);
    let mut labels: Vec<CodeLabel> = (0..n / 4 + 1).map(|_| a.create_label()).collect();
    let mut bound = vec![false; labels.len()];
    for k in 0..n {
        let free = (0..labels.len()).find(|&l| !bound[l]);
        if let Some(l) = free.filter(|_| rng.next(4) == 0) {
            bound[l] = true;
            a.set_label(&mut labels[l]).unwrap();
        }
        let l = labels[rng.next(labels.len() as u64) as usize];
        match rng.next(12) {
            0 => a.jmp(l).unwrap(),
            1 => a.jne(l).unwrap(),
            2 => a.jbe(l).unwrap(),
            3 => a.call(l).unwrap(),
            4 => a.lea(ca::r9, ca::ptr(l)).unwrap(),
            // Out of the code: just before it (in rel8 reach of its start) or far after it.
            5 if k % 2 == 0 => a.jmp(ip - 1 - rng.next(100)).unwrap(),
            5 => a.jmp(ip + 0x100_0000 + rng.next(1 << 20)).unwrap(),
            6 => a.db(&[0xe9, 0, 0, 0, 0]).unwrap(), // a patchable jmp rel32
            // Stretches of 7 to 10 bytes, so that targets cross the rel8 reach.
            7 => a.mov(ca::rax, 0x1234_5678_9abc_i64 + k as i64).unwrap(),
            8 => a
                .mov(ca::qword_ptr(ca::r15 + ca::rsi * 8 + 0x100), 7)
                .unwrap(),
            _ => a.add(ca::ecx, ca::dword_ptr(ca::rbp - 8)).unwrap(),
        }
    }
    for (l, b) in labels.iter_mut().zip(bound) {
        if !b {
            a.set_label(l).unwrap();
            a.nop().unwrap();
        }
    }
    a.int3().unwrap();
    a
}

#[test]
fn direct_layout_decodes_as_the_block_encoders() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let ip = 0x7fff_1234_5000;
    for round in 0..400 {
        let n = 1 + rng.next(if round % 4 == 0 { 300 } else { 40 }) as usize;
        let mut a = program(&mut rng, n, ip);
        let (ours, addrs) = crate::assemble::assemble(a.instructions(), ip);
        assert_eq!(addrs.len(), a.instructions().len() + 1);
        assert_eq!(addrs[a.instructions().len()] - ip, ours.len() as u64);
        let theirs = a
            .assemble_options(ip, BlockEncoderOptions::NONE)
            .unwrap()
            .inner
            .code_buffer;
        assert_eq!(
            shapes(&ours, ip),
            shapes(&theirs, ip),
            "round {round}, {n} instructions"
        );
        assert!(
            ours.len() <= theirs.len(),
            "round {round}: {} > {} bytes",
            ours.len(),
            theirs.len()
        );
    }
}
