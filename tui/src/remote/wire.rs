//! Marshalling: every value on the wire is written field by field, little-endian, by a
//! [`Wire`] impl written for its type — nothing is serialised because it happens to be a
//! Rust struct. Integers are fixed-width little-endian; `bool` is one byte (0 or 1); strings
//! and lists are a `u32` count then their bytes or elements; `Option` is a byte (0 none, 1
//! some) then the value. Decoding checks every count against the bytes left before it
//! allocates, so a hostile count cannot make the reader allocate more than the frame holds.

use super::Error;

/// Bytes being read: a frame's body, consumed from the front.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    /// The next `n` bytes, or a truncation error naming `what` was being read.
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
        if self.bytes.len() < n {
            return Err(Error::truncated(format!(
                "{what}: needs {n} bytes, {} left",
                self.bytes.len()
            )));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Error> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    pub fn left(&self) -> usize {
        self.bytes.len()
    }

    /// Fails unless every byte was read: trailing bytes mean the peer meant something else.
    pub fn finish(&self, what: &str) -> Result<(), Error> {
        match self.bytes.len() {
            0 => Ok(()),
            n => Err(Error::malformed(format!("{what}: {n} bytes after its end"))),
        }
    }

    /// A list's count, checked against the bytes left (each element takes at least one).
    fn count(&mut self, what: &str) -> Result<usize, Error> {
        let n = u32::get(self)? as usize;
        if n > self.left() {
            return Err(Error::truncated(format!(
                "{what}: {n} elements, {} bytes left",
                self.left()
            )));
        }
        Ok(n)
    }
}

/// A value with a declared wire form.
pub trait Wire: Sized {
    fn put(&self, w: &mut Vec<u8>);
    fn get(r: &mut Reader) -> Result<Self, Error>;
}

macro_rules! int {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn put(&self, w: &mut Vec<u8>) {
                w.extend_from_slice(&self.to_le_bytes());
            }
            fn get(r: &mut Reader) -> Result<Self, Error> {
                Ok(<$t>::from_le_bytes(r.array(stringify!($t))?))
            }
        }
    )*};
}
int!(u8, u16, u32, u64, i32, i64);

/// A count or size as a u64, whatever the host's pointer width.
impl Wire for usize {
    fn put(&self, w: &mut Vec<u8>) {
        (*self as u64).put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        let n = u64::get(r)?;
        usize::try_from(n).map_err(|_| Error::malformed(format!("size {n} does not fit")))
    }
}

impl Wire for bool {
    fn put(&self, w: &mut Vec<u8>) {
        w.push(*self as u8);
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        match u8::get(r)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Error::malformed(format!(
                "bool: byte {b} is neither 0 nor 1"
            ))),
        }
    }
}

impl Wire for () {
    fn put(&self, _: &mut Vec<u8>) {}
    fn get(_: &mut Reader) -> Result<Self, Error> {
        Ok(())
    }
}

/// An f64 as its IEEE bits, so every value (NaNs included) comes back bit for bit.
impl Wire for f64 {
    fn put(&self, w: &mut Vec<u8>) {
        self.to_bits().put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        Ok(f64::from_bits(u64::get(r)?))
    }
}

impl Wire for String {
    fn put(&self, w: &mut Vec<u8>) {
        (self.len() as u32).put(w);
        w.extend_from_slice(self.as_bytes());
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        let n = u32::get(r)? as usize;
        let bytes = r.take(n, "string")?;
        String::from_utf8(bytes.to_vec())
            .map_err(|e| Error::malformed(format!("string: not UTF-8: {e}")))
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, w: &mut Vec<u8>) {
        (self.len() as u32).put(w);
        for x in self {
            x.put(w);
        }
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        let n = r.count("list")?;
        (0..n).map(|_| T::get(r)).collect()
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            None => w.push(0),
            Some(x) => {
                w.push(1);
                x.put(w);
            }
        }
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        match u8::get(r)? {
            0 => Ok(None),
            1 => Ok(Some(T::get(r)?)),
            b => Err(Error::malformed(format!(
                "option: tag {b} is neither 0 nor 1"
            ))),
        }
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, w: &mut Vec<u8>) {
        self.0.put(w);
        self.1.put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        Ok((A::get(r)?, B::get(r)?))
    }
}

impl<A: Wire, B: Wire, C: Wire> Wire for (A, B, C) {
    fn put(&self, w: &mut Vec<u8>) {
        self.0.put(w);
        self.1.put(w);
        self.2.put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        Ok((A::get(r)?, B::get(r)?, C::get(r)?))
    }
}

impl<const N: usize> Wire for [u64; N] {
    fn put(&self, w: &mut Vec<u8>) {
        for x in self {
            x.put(w);
        }
    }
    fn get(r: &mut Reader) -> Result<Self, Error> {
        let mut a = [0; N];
        for x in &mut a {
            *x = u64::get(r)?;
        }
        Ok(a)
    }
}

/// A struct's wire form: its fields in the order listed. The destructuring names every
/// field, so a field added to the struct fails to compile here until its wire form is chosen.
macro_rules! wire_struct {
    ($t:ident { $($f:ident),* $(,)? }) => {
        impl $crate::remote::wire::Wire for $t {
            fn put(&self, w: &mut Vec<u8>) {
                let $t { $($f),* } = self;
                $( $crate::remote::wire::Wire::put($f, w); )*
            }
            fn get(r: &mut $crate::remote::wire::Reader) -> Result<Self, $crate::remote::Error> {
                $( let $f = $crate::remote::wire::Wire::get(r)?; )*
                Ok($t { $($f),* })
            }
        }
    };
}
pub(crate) use wire_struct;

/// Encodes one value into a fresh buffer.
pub fn to_bytes<T: Wire>(x: &T) -> Vec<u8> {
    let mut w = Vec::new();
    x.put(&mut w);
    w
}

/// Decodes one value that must take all of `bytes`.
pub fn from_bytes<T: Wire>(bytes: &[u8]) -> Result<T, Error> {
    let mut r = Reader::new(bytes);
    let x = T::get(&mut r)?;
    r.finish("value")?;
    Ok(x)
}
