//! Simple Packed Serialization (`SimplePackedSerialization.h`).
//!
//! - `bool`, `char`, `intN_t`, `uintN_t`: `sizeof` bytes, little-endian
//!   (`bool` is one byte, 0 or 1).
//! - `SPSSequence<T>` (and `SPSString` = `SPSSequence<char>`): a `u64`
//!   element count, then the elements.
//! - `SPSTuple<Ts...>`: the elements one after another, no padding.
//! - `SPSExecutorAddr`: a `u64`.
//! - `SPSError`: `bool HasError`, then the message as `SPSString` if set.
//! - `SPSExpected<T>`: `bool HasValue`, then `T` or the message string.
//!
//! [`Reader`] checks every length against the bytes left before it
//! allocates: a sequence of N elements needs at least N bytes (no element
//! type used by the protocol is empty), so a lying count fails at once.

use crate::WireError;

/// Appends SPS values to a byte vector.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Writer::default()
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Appends one value.
    pub fn put<T: Encode + ?Sized>(&mut self, value: &T) -> &mut Self {
        value.encode(self);
        self
    }

    /// Appends raw bytes (an already encoded value).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// Appends a sequence's element count.
    pub fn count(&mut self, n: usize) -> &mut Self {
        self.raw(&(n as u64).to_le_bytes())
    }
}

/// Reads SPS values from a byte slice, bounded by its length.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// Reads one value.
    pub fn get<T: Decode>(&mut self) -> Result<T, WireError> {
        T::decode(self)
    }

    /// Takes `n` raw bytes.
    pub fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], WireError> {
        if n > self.bytes.len() as u64 {
            return Err(WireError::Truncated {
                what,
                needed: n,
                left: self.bytes.len() as u64,
            });
        }
        let (head, tail) = self.bytes.split_at(n as usize);
        self.bytes = tail;
        Ok(head)
    }

    /// Reads a sequence's element count, checked against the bytes left
    /// (each element takes at least `min_element_size` bytes).
    pub fn count(&mut self, what: &'static str, min_element_size: u64) -> Result<usize, WireError> {
        let n = self.get::<u64>()?;
        let needed = n.saturating_mul(min_element_size.max(1));
        if needed > self.bytes.len() as u64 {
            return Err(WireError::Truncated {
                what,
                needed,
                left: self.bytes.len() as u64,
            });
        }
        Ok(n as usize)
    }

    /// Fails unless every byte was read: a payload is exactly its values.
    pub fn finish(&self) -> Result<(), WireError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(WireError::Trailing(self.bytes.len()))
        }
    }
}

/// A value with an SPS encoding.
pub trait Encode {
    /// Appends the encoding.
    fn encode(&self, w: &mut Writer);
}

/// A value with an SPS decoding.
pub trait Decode: Sized {
    /// Smallest encoding, for bounding sequence counts.
    const MIN_SIZE: u64;
    /// Reads the value.
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError>;
}

macro_rules! int_codec {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self, w: &mut Writer) {
                w.raw(&self.to_le_bytes());
            }
        }
        impl Decode for $t {
            const MIN_SIZE: u64 = std::mem::size_of::<$t>() as u64;
            fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
                let b = r.take(std::mem::size_of::<$t>() as u64, stringify!($t))?;
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                Ok(<$t>::from_le_bytes(a))
            }
        }
    )*};
}
int_codec!(u8, u16, u32, u64, i8, i16, i32, i64);

impl Encode for bool {
    fn encode(&self, w: &mut Writer) {
        w.raw(&[*self as u8]);
    }
}

impl Decode for bool {
    const MIN_SIZE: u64 = 1;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        match r.take(1, "bool")?[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(WireError::InvalidBool(b)),
        }
    }
}

impl Encode for str {
    fn encode(&self, w: &mut Writer) {
        w.count(self.len()).raw(self.as_bytes());
    }
}

impl Encode for String {
    fn encode(&self, w: &mut Writer) {
        self.as_str().encode(w);
    }
}

impl Decode for String {
    const MIN_SIZE: u64 = 8;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let bytes = Bytes::decode(r)?.0;
        String::from_utf8(bytes).map_err(|_| WireError::InvalidUtf8)
    }
}

/// `SPSSequence<char>` holding arbitrary bytes (contents, argument data).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Encode for Bytes {
    fn encode(&self, w: &mut Writer) {
        w.count(self.0.len()).raw(&self.0);
    }
}

impl Decode for Bytes {
    const MIN_SIZE: u64 = 8;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let n = r.get::<u64>()?;
        Ok(Bytes(r.take(n, "byte sequence")?.to_vec()))
    }
}

impl<T: Encode> Encode for [T] {
    fn encode(&self, w: &mut Writer) {
        w.count(self.len());
        for e in self {
            e.encode(w);
        }
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, w: &mut Writer) {
        self.as_slice().encode(w);
    }
}

impl<T: Decode> Decode for Vec<T> {
    const MIN_SIZE: u64 = 8;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let n = r.count("sequence", T::MIN_SIZE)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::decode(r)?);
        }
        Ok(v)
    }
}

macro_rules! tuple_codec {
    ($($name:ident),*) => {
        impl<$($name: Encode),*> Encode for ($($name,)*) {
            #[allow(non_snake_case)]
            fn encode(&self, w: &mut Writer) {
                let ($($name,)*) = self;
                $($name.encode(w);)*
            }
        }
        impl<$($name: Decode),*> Decode for ($($name,)*) {
            const MIN_SIZE: u64 = 0 $(+ $name::MIN_SIZE)*;
            fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
                Ok(($($name::decode(r)?,)*))
            }
        }
    };
}
tuple_codec!(A, B);
tuple_codec!(A, B, C);
tuple_codec!(A, B, C, D);

/// `SPSError`: success, or a failure carrying its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpsError(pub Option<String>);

impl Encode for SpsError {
    fn encode(&self, w: &mut Writer) {
        match &self.0 {
            None => w.put(&false),
            Some(msg) => w.put(&true).put(msg.as_str()),
        };
    }
}

impl Decode for SpsError {
    const MIN_SIZE: u64 = 1;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(SpsError(if r.get::<bool>()? {
            Some(r.get()?)
        } else {
            None
        }))
    }
}

/// `SPSExpected<T>`: a value, or a failure carrying its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpsExpected<T>(pub Result<T, String>);

impl<T: Encode> Encode for SpsExpected<T> {
    fn encode(&self, w: &mut Writer) {
        match &self.0 {
            Ok(v) => w.put(&true).put(v),
            Err(msg) => w.put(&false).put(msg.as_str()),
        };
    }
}

impl<T: Decode> Decode for SpsExpected<T> {
    const MIN_SIZE: u64 = 1;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(SpsExpected(if r.get::<bool>()? {
            Ok(r.get()?)
        } else {
            Err(r.get()?)
        }))
    }
}

/// Encodes one value as a whole payload.
pub fn to_bytes<T: Encode + ?Sized>(value: &T) -> Vec<u8> {
    let mut w = Writer::new();
    w.put(value);
    w.into_bytes()
}

/// Decodes a whole payload as one value; trailing bytes are an error.
pub fn from_bytes<T: Decode>(bytes: &[u8]) -> Result<T, WireError> {
    let mut r = Reader::new(bytes);
    let v = r.get()?;
    r.finish()?;
    Ok(v)
}
