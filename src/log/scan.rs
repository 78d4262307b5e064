//! The fast path of the chain check: a scan of the strict subset of JSON that canonical lines
//! (SPEC.md §6.1) are in, reading `prev` and `seq` without building a JSON value. Anything the
//! scan does not accept goes to the definition (serde_json) in [`super::chain`], so the scan can
//! only make the check faster, never change its verdict.

use crate::merkle::Hash;

/// Containers a value may nest before the fast scan leaves the line to serde_json (which has
/// no limit for the values it skips).
const MAX_DEPTH: usize = 64;

/// A word whose lowest set bit lies in the first byte of `w` (little-endian) that is `"`, `\\`
/// or below 0x20, and 0 if there is none. (Bits above the first such byte may be set
/// spuriously by borrows; the lowest one is exact.)
fn string_stops(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    zero(w ^ (ONES * u64::from(b'"')))
        | zero(w ^ (ONES * u64::from(b'\\')))
        | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
}

/// The index of the closing quote of the JSON string whose contents start at `i`. `None` when
/// the string does not end, holds a control character, or an escape other than the nine of
/// JSON (a `\u` escape of a surrogate is refused too, whatever serde_json would make of it).
#[inline]
fn string_end(s: &[u8], mut i: usize) -> Option<usize> {
    loop {
        // Past plain bytes, eight at a time while eight are left.
        while let Some(w) = s.get(i..).and_then(<[u8]>::first_chunk::<8>) {
            let stops = string_stops(u64::from_le_bytes(*w));
            if stops != 0 {
                i += stops.trailing_zeros() as usize / 8;
                break;
            }
            i += 8;
        }
        match *s.get(i)? {
            b'"' => return Some(i),
            b'\\' => match *s.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    let mut v = 0;
                    for &d in s.get(i + 2..i + 6)? {
                        v = v * 16 + char::from(d).to_digit(16)?;
                    }
                    if (0xd800..0xe000).contains(&v) {
                        return None;
                    }
                    i += 6;
                }
                _ => return None,
            },
            0..0x20 => return None,
            _ => i += 1,
        }
    }
}

/// The index of the closing quote of a JSON string whose contents start at `i` and hold no
/// escape; `None` at a backslash or a control character (the line is then left to serde_json,
/// as the fast scan leaves every top-level key with an escape).
#[inline]
fn plain_string_end(s: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let stops = match s.get(i..).and_then(<[u8]>::first_chunk::<8>) {
            Some(w) => string_stops(u64::from_le_bytes(*w)),
            // Fewer than eight bytes left: one at a time.
            None => {
                let at = i + s
                    .get(i..)?
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
                return (s[at] == b'"').then_some(at);
            }
        };
        if stops != 0 {
            let at = i + stops.trailing_zeros() as usize / 8;
            return (s[at] == b'"').then_some(at);
        }
        i += 8;
    }
}

/// A JSON integer below 2^64 without a sign or a leading zero, starting at `i`: its value and
/// the index after it. What follows it is the caller's to check (a digit, `.`, `e` or anything
/// else that is not `,`, `}` or `]` makes the scan give up).
fn integer(s: &[u8], i: usize) -> Option<(u64, usize)> {
    let first = *s.get(i)?;
    if !first.is_ascii_digit() {
        return None;
    }
    let mut v = u64::from(first - b'0');
    let mut j = i + 1;
    if first != b'0' {
        while let Some(&d) = s.get(j).filter(|d| d.is_ascii_digit()) {
            v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            j += 1;
        }
    }
    Some((v, j))
}

/// After an object member's key starting at `i` (a quote), the index of its value.
fn member_value(s: &[u8], i: usize) -> Option<usize> {
    if *s.get(i)? != b'"' {
        return None;
    }
    let end = string_end(s, i + 1)?;
    (*s.get(end + 1)? == b':').then_some(end + 2)
}

/// The index after the JSON value starting at `i`, if that value is in the scan's subset of
/// JSON: no white space, integers as [`integer`] reads them, strings as [`string_end`] reads
/// them, at most [`MAX_DEPTH`] nested containers.
fn value_end(s: &[u8], mut i: usize) -> Option<usize> {
    // The open containers, innermost last: true for an object.
    let mut open = [false; MAX_DEPTH];
    let mut depth = 0;
    loop {
        match *s.get(i)? {
            b'"' => i = string_end(s, i + 1)? + 1,
            b'0'..=b'9' => i = integer(s, i)?.1,
            b't' if s.get(i..i + 4)? == b"true" => i += 4,
            b'f' if s.get(i..i + 5)? == b"false" => i += 5,
            b'n' if s.get(i..i + 4)? == b"null" => i += 4,
            c @ (b'{' | b'[') => {
                let object = c == b'{';
                if *s.get(i + 1)? == if object { b'}' } else { b']' } {
                    i += 2;
                } else {
                    if depth == MAX_DEPTH {
                        return None;
                    }
                    open[depth] = object;
                    depth += 1;
                    i = if object {
                        member_value(s, i + 1)?
                    } else {
                        i + 1
                    };
                    continue;
                }
            }
            _ => return None,
        }
        // After a value: close containers until a separator or the end of the outer value.
        loop {
            if depth == 0 {
                return Some(i);
            }
            match (*s.get(i)?, open[depth - 1]) {
                (b',', true) => {
                    i = member_value(s, i + 1)?;
                    break;
                }
                (b',', false) => {
                    i += 1;
                    break;
                }
                (b'}', true) | (b']', false) => {
                    depth -= 1;
                    i += 1;
                }
                _ => return None,
            }
        }
    }
}

/// The fast path of the chain check: the raw `prev`, the `seq` and the length of the JSON
/// object at the start of `s`, read by a scan of a strict subset of JSON (no white space,
/// integers as [`integer`] reads them, strings as [`string_end`] reads them, no escape in a
/// top-level key, one top-level `prev` and one `seq`) that canonical lines (SPEC.md §6.1) are
/// in. `prev` is read only when it is 64 bytes between quotes, and those bytes are not checked:
/// when they are 64 hex digits, serde_json reads the same `prev` and `seq` from the object.
/// `None` means only that the line is outside the subset; `check_line` then decides.
pub(super) fn prev_and_seq(s: &[u8]) -> Option<(&[u8], u64, usize)> {
    if *s.first()? != b'{' {
        return None;
    }
    let (mut prev, mut seq) = (None, None);
    let mut i = 1;
    loop {
        if *s.get(i)? != b'"' {
            return None;
        }
        // A key with an escape could read as `prev` or `seq`: left to serde_json.
        let end = plain_string_end(s, i + 1)?;
        let key = &s[i + 1..end];
        if *s.get(end + 1)? != b':' {
            return None;
        }
        i = end + 2;
        match key {
            // The hex of a hash takes no escapes; any other string is left to `check_line`.
            b"prev"
                if prev.is_none() && s.get(i) == Some(&b'"') && s.get(i + 65) == Some(&b'"') =>
            {
                prev = Some(&s[i + 1..i + 65]);
                i += 66;
            }
            b"seq" if seq.is_none() => {
                let (v, end) = integer(s, i)?;
                seq = Some(v);
                i = end;
            }
            // A second `prev` or `seq`, or a `prev` that is not a string.
            b"prev" | b"seq" => return None,
            _ => i = value_end(s, i)?,
        }
        match *s.get(i)? {
            b',' => i += 1,
            b'}' => return Some((prev?, seq?, i + 1)),
            _ => return None,
        }
    }
}

/// Lowercase hex of a hash.
fn hex_of(h: &Hash) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(h) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
    out
}

/// The line that starts at `at` in `bytes` (lines joined by LF), if the fast scan accepts it:
/// it lies in `text`, the valid UTF-8 prefix of `bytes`; it is exactly one object that
/// [`prev_and_seq`] reads; and its `prev` is the hex of `prev_hash` and its `seq` is `i`.
pub(super) fn fast_line<'a>(
    bytes: &[u8],
    text: &'a str,
    at: usize,
    prev_hash: &Hash,
    i: usize,
) -> Option<&'a str> {
    let (prev, seq, len) = prev_and_seq(text.as_bytes().get(at..)?)?;
    let end = at + len;
    let whole = bytes.get(end).is_none_or(|&b| b == b'\n');
    (whole && seq == i as u64 && prev == hex_of(prev_hash)).then(|| text.get(at..end))?
}
