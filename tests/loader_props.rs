//! Property test: the loader never panics on a damaged program. The committed guest ELFs are
//! mutated at random (bytes of the ELF header and of the program headers, truncation) and
//! loaded into a fresh address space: the result is a program ready to run or a one-line
//! error naming the file, never a panic. Only the loader runs, so nothing can loop forever.

use hypervisor_lite::loader::{load_bytes, StartInfo};
use hypervisor_lite::memory::AddressSpace;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

const GUESTS: &[&str] = &[
    "hello",
    "hello_dyn-dyn",
    "nolibc_pie-static-pie",
    "cxx-dyn",
    "sighandler",
];

fn guest(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/guests/bin")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Where the program headers of a (valid) ELF64 are, and how long the table is; none once a
/// mutation has cut the file inside the ELF header.
fn phdrs(elf: &[u8]) -> (usize, usize) {
    if elf.len() < 64 {
        return (0, 0);
    }
    let phoff = u64::from_le_bytes(elf[32..40].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes(elf[56..58].try_into().unwrap()) as usize;
    (phoff, phnum * 56)
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Sets a byte of the ELF header.
    Header(usize, u8),
    /// Sets a byte of the program header table (index taken modulo its length).
    Phdr(usize, u8),
    /// Sets a 64-bit field of a program header to an extreme value.
    PhdrWord(usize, u64),
    /// Cuts the file (length taken modulo the file length).
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (0usize..64, any::<u8>()).prop_map(|(i, b)| Mutation::Header(i, b)),
        6 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Phdr(i, b)),
        2 => (
            any::<usize>(),
            prop_oneof![Just(0u64), Just(u64::MAX), Just(1 << 38), Just(1 << 47), any::<u64>()]
        )
            .prop_map(|(i, v)| Mutation::PhdrWord(i, v)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(elf: &mut Vec<u8>, m: &Mutation) {
    let (off, len) = phdrs(elf);
    match *m {
        Mutation::Header(i, b) => elf[i] = b,
        Mutation::Phdr(i, b) if len > 0 && off + len <= elf.len() => elf[off + i % len] = b,
        Mutation::PhdrWord(i, v) if len > 0 && off + len <= elf.len() => {
            // one of p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align of some header
            let h = off + (i % (len / 56)) * 56;
            let at = h + 8 + (i / 7 % 6) * 8;
            elf[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
        Mutation::Truncate(n) => elf.truncate(n % elf.len().max(1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_guest_elves_load_or_fail_in_one_line(
        which in 0..GUESTS.len(),
        muts in prop::collection::vec(mutation(), 1..6),
    ) {
        let mut elf = guest(GUESTS[which]);
        for m in &muts {
            apply(&mut elf, m);
        }
        let path = PathBuf::from(format!("mutated-{}", GUESTS[which]));
        let start = StartInfo {
            args: vec![b"prog".to_vec()],
            env: vec![],
            execfn: b"prog".to_vec(),
            stack_size: 1 << 20,
            // No sysroot: dynamic programs fail to find their interpreter, on every machine alike.
            sysroot: None,
        };
        let mut space = AddressSpace::new().expect("reserve guest memory");
        let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            load_bytes(&mut space, &path, elf, &start)
        }));
        prop_assert!(loaded.is_ok(), "the loader panicked on {:?}", muts);
        if let Err(e) = loaded.unwrap() {
            let text = e.to_string();
            prop_assert!(!text.contains('\n'), "multi-line error: {text:?}");
            prop_assert!(text.starts_with("mutated-"), "error does not name the file: {text:?}");
        }
    }
}

/// The unmutated programs load, so the property above exercises the loader past its checks.
#[test]
fn committed_guests_load() {
    for name in ["hello", "nolibc_pie-static-pie", "sighandler"] {
        let start = StartInfo {
            args: vec![name.as_bytes().to_vec()],
            env: vec![],
            execfn: name.as_bytes().to_vec(),
            stack_size: 1 << 20,
            sysroot: None,
        };
        let mut space = AddressSpace::new().expect("reserve guest memory");
        let r = load_bytes(&mut space, Path::new(name), guest(name), &start);
        assert!(r.is_ok(), "{name}: {}", r.err().unwrap());
    }
}
