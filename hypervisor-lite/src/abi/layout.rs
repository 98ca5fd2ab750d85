//! The declaration facility: [`layout!`] turns one declaration of a riscv64 structure into a
//! Rust struct, its field table ([`Desc`]) and the [`Field`] impl that reads, writes and
//! renders it. Bytes are little-endian, as riscv64 is.

use std::fmt::Write;

/// What a field is, as the table shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An integer of the field's size.
    Int { signed: bool },
    /// `len` elements of `elem`.
    Array { elem: &'static Kind, len: usize },
    /// A declared structure.
    Struct(&'static Desc),
    /// Bytes no field covers: alignment padding, reserved tails, a union's larger members.
    Pad,
}

/// One row of a structure's field table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FieldDesc {
    /// The C member name, as the headers spell it.
    pub name: &'static str,
    pub offset: usize,
    pub size: usize,
    pub kind: Kind,
}

/// A declared structure: its C name, size, alignment and fields in offset order.
#[derive(Debug, PartialEq, Eq)]
pub struct Desc {
    pub name: &'static str,
    pub size: usize,
    pub align: usize,
    pub fields: &'static [FieldDesc],
}

impl Desc {
    /// The fields with every byte they leave uncovered as a [`Kind::Pad`] row, in offset
    /// order: the whole structure, byte for byte.
    pub fn with_padding(&self) -> Vec<FieldDesc> {
        let mut out = Vec::new();
        let mut at = 0;
        let mut fields = self.fields.to_vec();
        fields.sort_by_key(|f| f.offset);
        for f in fields {
            if f.offset > at {
                out.push(pad(at, f.offset - at));
            }
            at = at.max(f.offset + f.size);
            out.push(f);
        }
        if self.size > at {
            out.push(pad(at, self.size - at));
        }
        out
    }
}

fn pad(offset: usize, size: usize) -> FieldDesc {
    FieldDesc {
        name: "",
        offset,
        size,
        kind: Kind::Pad,
    }
}

impl std::fmt::Display for Desc {
    /// The table: `struct timespec (16 bytes, align 8)` and one line per field.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "struct {} ({} bytes, align {})",
            self.name, self.size, self.align
        )?;
        for fd in self.with_padding() {
            let kind = match fd.kind {
                Kind::Int { signed: true } => format!("i{}", fd.size * 8),
                Kind::Int { signed: false } => format!("u{}", fd.size * 8),
                Kind::Array { len, .. } => format!("[{len}]"),
                Kind::Struct(d) => d.name.to_string(),
                Kind::Pad => "padding".into(),
            };
            writeln!(f, "  {:4} {:4} {:12} {}", fd.offset, fd.size, kind, fd.name)?;
        }
        Ok(())
    }
}

/// A value with a riscv64 layout: what can be a field of a declared structure (and every
/// declared structure is one).
pub trait Field: Sized + Copy {
    const SIZE: usize;
    const KIND: Kind;
    /// All zero bytes.
    const ZERO: Self;
    /// Reads from the first [`Self::SIZE`] bytes of `b` (which must hold that many).
    fn read(b: &[u8]) -> Self;
    /// Writes into the first [`Self::SIZE`] bytes of `b`.
    fn write(&self, b: &mut [u8]);
    /// Appends the value as `--strace` shows it.
    fn render(&self, out: &mut String);
}

macro_rules! int_field {
    ($($t:ty: $signed:literal),*) => {$(
        impl Field for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            const KIND: Kind = Kind::Int { signed: $signed };
            const ZERO: Self = 0;
            fn read(b: &[u8]) -> Self {
                <$t>::from_le_bytes(b[..Self::SIZE].try_into().expect("field size"))
            }
            fn write(&self, b: &mut [u8]) {
                b[..Self::SIZE].copy_from_slice(&self.to_le_bytes());
            }
            fn render(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
int_field!(u8: false, u16: false, u32: false, u64: false, i8: true, i16: true, i32: true, i64: true);

impl<T: Field, const N: usize> Field for [T; N] {
    const SIZE: usize = T::SIZE * N;
    const KIND: Kind = Kind::Array {
        elem: &T::KIND,
        len: N,
    };
    const ZERO: Self = [T::ZERO; N];
    fn read(b: &[u8]) -> Self {
        std::array::from_fn(|i| T::read(&b[i * T::SIZE..]))
    }
    fn write(&self, b: &mut [u8]) {
        for (i, v) in self.iter().enumerate() {
            v.write(&mut b[i * T::SIZE..]);
        }
    }
    fn render(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            v.render(out);
        }
        out.push(']');
    }
}

/// A C `char` array holding a NUL-terminated string (utsname's fields, sun_path): laid out
/// as `[u8; N]`, rendered as a quoted string.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Chars<const N: usize>(pub [u8; N]);

impl<const N: usize> Chars<N> {
    /// The bytes before the first NUL.
    pub fn bytes(&self) -> &[u8] {
        let end = self.0.iter().position(|&c| c == 0).unwrap_or(N);
        &self.0[..end]
    }
}

impl<const N: usize> Field for Chars<N> {
    const SIZE: usize = N;
    const KIND: Kind = <[u8; N]>::KIND;
    const ZERO: Self = Chars([0; N]);
    fn read(b: &[u8]) -> Self {
        Chars(<[u8; N]>::read(b))
    }
    fn write(&self, b: &mut [u8]) {
        self.0.write(b)
    }
    fn render(&self, out: &mut String) {
        let _ = write!(
            out,
            "\"{}\"",
            String::from_utf8_lossy(self.bytes()).escape_debug()
        );
    }
}

/// A declared structure: its table, and whole-structure conversions to and from bytes.
pub trait Layout: Field {
    const DESC: Desc;

    /// The structure's bytes, every byte no field covers zero.
    fn to_bytes(&self) -> Vec<u8> {
        let mut b = vec![0; Self::SIZE];
        self.write(&mut b);
        b
    }

    /// The structure read from `b`; None when `b` is shorter than the structure.
    fn from_bytes(b: &[u8]) -> Option<Self> {
        (b.len() >= Self::SIZE).then(|| Self::read(b))
    }

    /// `{tv_sec = 1,tv_nsec = 500}`: qemu's strace notation.
    fn strace(&self) -> String {
        let mut s = String::new();
        self.render(&mut s);
        s
    }
}

/// Declares riscv64 structures. Each field is `offset rust_name ["c_name"]: Type`; the C
/// name defaults to the Rust one. The declaration yields the struct (all fields `pub`), its
/// [`Desc`] (as [`Layout::DESC`]) and its [`Field`] impl, and checks at compile time that
/// every field lies inside the declared size and that the size is a multiple of the
/// alignment. Bytes between fields are padding: zero when written, ignored when read.
macro_rules! layout {
    ($(
        $(#[$m:meta])*
        pub struct $name:ident = $cname:literal, size $size:literal, align $align:literal {
            $($off:literal $field:ident $($fc:literal)?: $ty:ty,)*
        }
    )*) => {$(
        $(#[$m])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $(pub $field: $ty,)*
        }

        const _: () = {
            $(assert!($off + <$ty as $crate::abi::layout::Field>::SIZE <= $size,
                concat!(stringify!($name), ".", stringify!($field), " ends past the size"));)*
            assert!(
                ($size as usize).is_multiple_of($align),
                concat!(stringify!($name), ": size not aligned")
            );
        };

        impl $crate::abi::layout::Layout for $name {
            const DESC: $crate::abi::layout::Desc = $crate::abi::layout::Desc {
                name: $cname,
                size: $size,
                align: $align,
                fields: &[$($crate::abi::layout::FieldDesc {
                    name: $crate::abi::layout::layout!(@cname $field $($fc)?),
                    offset: $off,
                    size: <$ty as $crate::abi::layout::Field>::SIZE,
                    kind: <$ty as $crate::abi::layout::Field>::KIND,
                }),*],
            };
        }

        impl $crate::abi::layout::Field for $name {
            const SIZE: usize = $size;
            const KIND: $crate::abi::layout::Kind =
                $crate::abi::layout::Kind::Struct(&<$name as $crate::abi::layout::Layout>::DESC);
            const ZERO: Self = $name {
                $($field: <$ty as $crate::abi::layout::Field>::ZERO,)*
            };
            #[allow(unused_variables)]
            fn read(b: &[u8]) -> Self {
                let b = &b[..$size];
                $name {
                    $($field: <$ty as $crate::abi::layout::Field>::read(&b[$off..]),)*
                }
            }
            #[allow(unused_variables)]
            fn write(&self, b: &mut [u8]) {
                let b = &mut b[..$size];
                $($crate::abi::layout::Field::write(&self.$field, &mut b[$off..]);)*
            }
            #[allow(unused_assignments)]
            fn render(&self, out: &mut String) {
                out.push('{');
                let mut sep = "";
                $(
                    out.push_str(sep);
                    sep = ",";
                    out.push_str(concat!($crate::abi::layout::layout!(@cname $field $($fc)?), " = "));
                    $crate::abi::layout::Field::render(&self.$field, out);
                )*
                out.push('}');
            }
        }
    )*};
    (@cname $field:ident) => { stringify!($field) };
    (@cname $field:ident $fc:literal) => { $fc };
}
pub(crate) use layout;

#[cfg(test)]
mod tests {
    use super::*;

    layout! {
        pub struct Demo = "demo", size 16, align 8 {
            0 a: u8,
            2 b "b_c": i16,
            8 c: [u32; 2],
        }
    }

    #[test]
    fn reads_writes_and_renders_from_one_declaration() {
        let d = Demo {
            a: 7,
            b: -2,
            c: [1, 0xdead_beef],
        };
        let bytes = d.to_bytes();
        assert_eq!(
            bytes,
            [7, 0, 0xfe, 0xff, 0, 0, 0, 0, 1, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde]
        );
        assert_eq!(Demo::from_bytes(&bytes), Some(d));
        assert_eq!(Demo::from_bytes(&bytes[..15]), None);
        assert_eq!(d.strace(), "{a = 7,b_c = -2,c = [1,3735928559]}");
        assert_eq!(Demo::ZERO.to_bytes(), [0; 16]);
    }

    #[test]
    fn table_lists_fields_and_the_padding_between_them() {
        let rows: Vec<(&str, usize, usize)> = Demo::DESC
            .with_padding()
            .iter()
            .map(|f| (f.name, f.offset, f.size))
            .collect();
        assert_eq!(
            rows,
            [
                ("a", 0, 1),
                ("", 1, 1),
                ("b_c", 2, 2),
                ("", 4, 4),
                ("c", 8, 8)
            ]
        );
        assert_eq!(
            Demo::DESC.fields[2].kind,
            Kind::Array {
                elem: &Kind::Int { signed: false },
                len: 2
            }
        );
        assert!(Demo::DESC
            .to_string()
            .contains("   2    2 i16          b_c"));
    }
}
