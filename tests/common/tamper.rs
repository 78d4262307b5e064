//! Tampering with a log: its lines, rejoined; one byte flipped; a line deleted, swapped or
//! duplicated; a member rewritten and the chain recomputed (as a forger who controls the log
//! would); and what verification says of the result.

use dualdraw::io::Inputs;
use dualdraw::merkle::Hash;
use dualdraw::{ErrorKind, VerifyError};
use serde_json::Value;

/// The lines of a log, without their newlines.
pub fn lines(log: &[u8]) -> Vec<&[u8]> {
    let body = log.strip_suffix(b"\n").expect("log ends with a newline");
    body.split(|&b| b == b'\n').collect()
}

/// [`lines`], owned, for editing in place.
pub fn owned_lines(log: &[u8]) -> Vec<Vec<u8>> {
    lines(log).into_iter().map(<[u8]>::to_vec).collect()
}

/// The lines, each ended by a newline.
pub fn join<L: AsRef<[u8]>>(lines: &[L]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.as_ref());
        out.push(b'\n');
    }
    out
}

/// The 1-based line of byte `pos` (a line's newline belongs to it).
pub fn line_of(bytes: &[u8], pos: usize) -> u64 {
    1 + bytes[..pos].iter().filter(|&&b| b == b'\n').count() as u64
}

/// Flips the low bit of byte `at` (modulo the length).
pub fn flip(bytes: &mut [u8], at: usize) {
    let n = bytes.len();
    bytes[at % n] ^= 0x01;
}

/// The log without line `i` (0-based).
pub fn deleted<L: AsRef<[u8]> + Clone>(lines: &[L], i: usize) -> Vec<u8> {
    let mut m = lines.to_vec();
    m.remove(i);
    join(&m)
}

/// The log with lines `i` and `i + 1` swapped.
pub fn swapped<L: AsRef<[u8]> + Clone>(lines: &[L], i: usize) -> Vec<u8> {
    let mut m = lines.to_vec();
    m.swap(i, i + 1);
    join(&m)
}

/// The log with a copy of line `i` inserted at `at` (`lines.len()`: at the end).
pub fn duplicated<L: AsRef<[u8]> + Clone>(lines: &[L], i: usize, at: usize) -> Vec<u8> {
    let mut m = lines.to_vec();
    m.insert(at, lines[i].clone());
    join(&m)
}

/// Replaces the value after `"key":` up to the next `,` or `}` (an integer or a quoted hex).
pub fn set_member(line: &mut Vec<u8>, key: &str, value: &str) {
    let pat = format!("\"{key}\":");
    let text = String::from_utf8(line.clone()).expect("utf-8 line");
    let start = text.find(&pat).expect("member present") + pat.len();
    let end = start + text[start..].find([',', '}']).expect("member ends");
    *line = format!("{}{value}{}", &text[..start], &text[end..]).into_bytes();
}

/// Rewrites every `seq` and `prev`, byte by byte, so that the chain is intact again.
pub fn rechain(lines: &mut [Vec<u8>]) {
    let mut prev = "0".repeat(64);
    for (i, line) in lines.iter_mut().enumerate() {
        set_member(line, "seq", &i.to_string());
        set_member(line, "prev", &format!("\"{prev}\""));
        prev = hex::encode(dualdraw::merkle::leaf_hash(&line[..]));
    }
}

/// Edits event `line` (0-based) and recomputes the whole chain through the library.
pub fn forge(
    bytes: &[u8],
    line: usize,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut events: Vec<Value> = text
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            let m = v.as_object_mut().unwrap();
            m.remove("prev");
            m.remove("seq");
            v
        })
        .collect();
    edit(events[line].as_object_mut().unwrap());
    dualdraw::log::chain(events).to_bytes()
}

/// The verification error's variant name and the 1-based line it names, if any. Panics on an
/// error that is not a verification failure (it would exit 2, not 1).
pub fn classify(e: &dualdraw::Error, what: &str) -> (&'static str, Option<u64>) {
    assert!(
        e.is_verification(),
        "{what}: not a verification failure: {e}"
    );
    assert!(e.is_verification(), "{what}: {e}");
    let ErrorKind::Verify(v) = e.kind() else {
        unreachable!("is_verification() but not ErrorKind::Verify: {e}")
    };
    match v {
        VerifyError::Empty => ("Empty", None),
        VerifyError::Malformed { line, .. } => ("Malformed", Some(*line)),
        VerifyError::ChainBroken { line, .. } => ("ChainBroken", Some(*line)),
        VerifyError::HeadMismatch { .. } => ("HeadMismatch", None),
        VerifyError::DigestMismatch { .. } => ("DigestMismatch", None),
        VerifyError::Mismatch { line, .. } => ("Mismatch", Some(*line)),
        VerifyError::LineCount { .. } => ("LineCount", None),
        VerifyError::UnsupportedSpec { .. } => ("UnsupportedSpec", None),
        _ => ("other", None),
    }
}

/// Asserts `bytes` fails verification against `inputs` and returns the variant name and line.
pub fn rejected(
    inputs: &Inputs,
    bytes: &[u8],
    head: Option<&Hash>,
    what: &str,
) -> (&'static str, Option<u64>) {
    match super::verify(inputs, bytes, head) {
        Ok(r) => panic!(
            "{what}: tampered log verified ({} lines, head {})",
            r.lines,
            hex::encode(r.head)
        ),
        Err(e) => classify(&e, what),
    }
}
