//! What the emitter emits, decoded back with iced's decoder; the code buffer's W^X views.

use isa_b::*;

fn text(e: Emitter) -> Vec<String> {
    let code = e.assemble(0x1000);
    disassemble(&code.bytes, 0x1000)
        .into_iter()
        .map(|i| i.text)
        .collect()
}

#[test]
fn operands_of_every_width_decode_back() {
    let mut e = Emitter::new();
    e.mov_ri(Gpr::Rax, 0);
    e.mov_ri(Gpr::Rcx, 0xffff_ffff);
    e.mov_ri(Gpr::Rdx, -5);
    e.mov_ri(Gpr::R8, 0x1234_5678_9abc);
    e.load_sx(W::B8, Gpr::R9, Mem::indexed(Gpr::R15, Gpr::Rsi, 0));
    e.load(W::B16, Gpr::Rbx, Mem::at(Gpr::Rbp, 8));
    e.load_sx(W::B32, Gpr::R12, Mem::at(Gpr::Rbp, -8));
    e.store(W::B8, Mem::indexed(Gpr::R15, Gpr::Rsi, 3), Gpr::Rdi);
    e.alu_ri(Alu::Xor, W::B32, Gpr::R13, -1);
    e.shift_cl(Shift::Sar, W::B64, Gpr::R10);
    e.shift_ri(Shift::Ror, W::B32, Gpr::R11, 7);
    e.shift_ri(Shift::Ror, W::B64, Gpr::Rsi, 63);
    e.lock_xadd(W::B32, Mem::indexed(Gpr::R15, Gpr::Rsi, 0), Gpr::Rax);
    e.lock_cmpxchg(W::B64, Mem::indexed(Gpr::R15, Gpr::Rsi, 0), Gpr::Rcx);
    e.setcc(Cc::B, Gpr::Rsi);
    assert_eq!(
        text(e),
        [
            "xor eax, eax",
            "mov ecx, 0xffffffff",
            "mov rdx, 0xfffffffffffffffb",
            "mov r8, 0x123456789abc",
            "movsx r9, byte ptr [r15+rsi]",
            "movzx ebx, word ptr [rbp+8]",
            "movsxd r12, [rbp-8]",
            "mov [r15+rsi+3], dil",
            "xor r13d, 0xffffffff",
            "sar r10, cl",
            "ror r11d, 7",
            "ror rsi, 0x3f",
            "lock xadd [r15+rsi], eax",
            "lock cmpxchg [r15+rsi], rcx",
            "setb sil",
        ]
    );
}

#[test]
fn a_patchable_jump_is_rel32_and_can_be_repointed() {
    let mut buf = CodeBuffer::new(1 << 20).unwrap();
    // f: jmp (patchable) -> a: mov eax,1; ret   b: mov eax,2; ret
    let mut e = Emitter::new();
    let mut site = e.label();
    let (mut a, mut b) = (e.label(), e.label());
    e.patchable_jmp(&mut site);
    e.bind(&mut a);
    e.mov_ri(Gpr::Rax, 1);
    e.ret();
    e.bind(&mut b);
    e.mov_ri(Gpr::Rax, 2);
    e.ret();
    let at = buf.next_addr(64).unwrap();
    let mut code = e.assemble(at);
    let a_addr = code.label_addr(&a);
    code.set_jmp(&site, a_addr);
    let f = buf.commit(&code.bytes).unwrap();
    assert_eq!(f, at);
    // SAFETY: `f` is the entry of the committed code above, a complete `extern "C" fn() -> u64`.
    let call = |f: u64| unsafe { std::mem::transmute::<u64, extern "C" fn() -> u64>(f)() };
    assert_eq!(call(f), 1);
    let site_addr = code.label_addr(&site);
    assert_eq!(disassemble(buf.code(site_addr, 5), site_addr).len(), 1);
    buf.patch_jmp(site_addr, code.label_addr(&b));
    assert_eq!(call(f), 2);
}

/// Another thread may be running the jump while it is patched: a rel32 split across two
/// cache lines could be fetched half old, half new, so such a jump is left alone while code
/// may be running.
#[test]
fn a_jump_whose_target_straddles_a_cache_line_is_not_patched() {
    let mut buf = CodeBuffer::new(CHUNK).unwrap();
    for pad in 59usize..64 {
        let at = buf.next_addr(128 + 5).unwrap();
        let lead = ((64 - at % 64) % 64) as usize;
        let mut code = vec![0x90u8; lead + pad];
        code.extend([JMP_REL32, 0, 0, 0, 0]);
        assert_eq!(buf.commit(&code).unwrap(), at);
        let site = at + (lead + pad) as u64;
        assert_eq!(site % 64, pad as u64);
        let before = buf.code(site, 5).to_vec();
        let patched = buf.patch_jmp_live(site, at);
        assert_eq!(
            patched,
            !(60..63).contains(&pad),
            "jmp at line offset {pad}"
        );
        assert_eq!(buf.code(site, 5) == before, !patched);
    }
}

#[test]
fn no_page_of_the_buffer_is_writable_and_executable() {
    let mut buf = CodeBuffer::new(4 << 20).unwrap();
    // Commit more than a chunk so the file grows.
    let big = vec![0xc3u8; CHUNK + 100];
    buf.commit(&big).unwrap();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    for line in maps.lines().filter(|l| l.contains("mimic-code")) {
        let perms = line.split_whitespace().nth(1).unwrap();
        assert!(
            !(perms.contains('w') && perms.contains('x')),
            "W+X mapping: {line}"
        );
    }
    assert!(maps.contains("mimic-code"));
}

#[test]
fn two_labels_at_one_place_both_bind() {
    let mut e = Emitter::new();
    let (mut a, mut b) = (e.label(), e.label());
    e.jmp(a);
    e.jmp(b);
    e.bind(&mut a);
    e.bind(&mut b);
    e.ret();
    let code = e.assemble(0x1000);
    let (at_a, at_b) = (code.label_addr(&a), code.label_addr(&b));
    assert_eq!(
        at_b,
        at_a + 1,
        "b lands on the nop's successor, a on the nop"
    );
    assert_eq!(
        text_of(&code.bytes),
        [
            "jmp short 0x0000000000001004",
            "jmp short 0x0000000000001005",
            "nop",
            "ret"
        ]
    );
}

fn text_of(bytes: &[u8]) -> Vec<String> {
    disassemble(bytes, 0x1000)
        .into_iter()
        .map(|i| i.text)
        .collect()
}

#[test]
fn a_patchable_conditional_jump_is_rel32_and_can_be_repointed() {
    let mut buf = CodeBuffer::new(1 << 20).unwrap();
    // f(x): cmp x, 0; je (patchable) -> a or b; mov eax, 3; ret
    let mut e = Emitter::new();
    let mut site = e.label();
    let (mut a, mut b) = (e.label(), e.label());
    e.alu_ri(Alu::Cmp, W::B64, Gpr::Rdi, 0);
    e.patchable_jcc(Cc::E, &mut site);
    e.mov_ri(Gpr::Rax, 3);
    e.ret();
    e.bind(&mut a);
    e.mov_ri(Gpr::Rax, 1);
    e.ret();
    e.bind(&mut b);
    e.mov_ri(Gpr::Rax, 2);
    e.ret();
    let at = buf.next_addr(64).unwrap();
    let mut code = e.assemble(at);
    let a_addr = code.label_addr(&a);
    code.set_jmp(&site, a_addr);
    let f = buf.commit(&code.bytes).unwrap();
    // SAFETY: `f` is the entry of the committed code above, an `extern "C" fn(u64) -> u64`.
    let call =
        |f: u64, x: u64| unsafe { std::mem::transmute::<u64, extern "C" fn(u64) -> u64>(f)(x) };
    assert_eq!((call(f, 0), call(f, 5)), (1, 3));
    let site_addr = code.label_addr(&site);
    let text = disassemble(buf.code(site_addr, 6), site_addr);
    assert_eq!(text.len(), 1);
    assert!(text[0].text.starts_with("je "), "{}", text[0].text);
    buf.patch_jmp(site_addr, code.label_addr(&b));
    assert_eq!((call(f, 0), call(f, 5)), (2, 3));
}

#[test]
fn each_fp_operation_takes_its_precision() {
    let m = Mem::at(Gpr::Rbp, 0x10);
    let (x0, x1, x2) = (Xmm::X0, Xmm::X1, Xmm::X2);
    let mut e = Emitter::new();
    for p in [Prec::S, Prec::D] {
        e.load_f(p, x1, m);
        e.store_f(p, m, x1);
        e.sse(p, Sse::Add, x0, x1);
        e.sse(p, Sse::Sqrt, x0, m);
        e.fma(p, Fma::NegMulSub, x0, x1, x2);
        e.sse3(p, Sse::Sub, x2, x1, m);
        e.fma231(p, Fma::MulAdd, x2, x0, x1);
        e.compare_f(p, true, x0, m);
        e.is_nan(p, x2);
        e.cvt_int_f(p, W::B32, x0, Gpr::Rax);
        e.cvt_f_int(p, W::B64, true, Gpr::Rcx, x1);
        e.cvt_f_int(p, W::B32, false, Gpr::Rdx, m);
    }
    assert_eq!(
        text(e),
        [
            "movss xmm1, [rbp+0x10]",
            "movss [rbp+0x10], xmm1",
            "addss xmm0, xmm1",
            "sqrtss xmm0, [rbp+0x10]",
            "vfnmsub213ss xmm0, xmm1, xmm2",
            "vsubss xmm2, xmm1, [rbp+0x10]",
            "vfmadd231ss xmm2, xmm0, xmm1",
            "comiss xmm0, [rbp+0x10]",
            "ucomiss xmm2, xmm2",
            "cvtsi2ss xmm0, eax",
            "cvttss2si rcx, xmm1",
            "cvtss2si edx, [rbp+0x10]",
            "movsd xmm1, [rbp+0x10]",
            "movsd [rbp+0x10], xmm1",
            "addsd xmm0, xmm1",
            "sqrtsd xmm0, [rbp+0x10]",
            "vfnmsub213sd xmm0, xmm1, xmm2",
            "vsubsd xmm2, xmm1, [rbp+0x10]",
            "vfmadd231sd xmm2, xmm0, xmm1",
            "comisd xmm0, [rbp+0x10]",
            "ucomisd xmm2, xmm2",
            "cvtsi2sd xmm0, eax",
            "cvttsd2si rcx, xmm1",
            "cvtsd2si edx, [rbp+0x10]",
        ]
    );
}
