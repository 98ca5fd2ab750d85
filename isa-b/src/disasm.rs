//! Host disassembly for display (`-d out_asm`, the TUI, golden translation files).

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};

/// One decoded host instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInsn {
    pub addr: u64,
    pub len: usize,
    /// Intel syntax, lower case, as objdump -M intel writes it.
    pub text: String,
}

/// Decodes `code` placed at `addr`, one entry per instruction.
pub fn disassemble(code: &[u8], addr: u64) -> Vec<HostInsn> {
    let mut dec = Decoder::with_ip(64, code, addr, DecoderOptions::NONE);
    let mut fmt = IntelFormatter::new();
    fmt.options_mut().set_space_after_operand_separator(true);
    fmt.options_mut().set_hex_prefix("0x");
    fmt.options_mut().set_hex_suffix("");
    fmt.options_mut().set_uppercase_hex(false);
    let mut out = Vec::new();
    while dec.can_decode() {
        let i = dec.decode();
        let mut text = String::new();
        fmt.format(&i, &mut text);
        out.push(HostInsn {
            addr: i.ip(),
            len: i.len(),
            text,
        });
    }
    out
}
