//! Verifying a draw log: the chain, the head, the input digests, and a full re-run of the draw
//! compared line by line (SPEC.md §7).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::commit;
use crate::directory::{Digest, Officers, Targets, Warning};
use crate::draw;
use crate::error::{Result, VerifyError};
use crate::log::{self, Header, SPEC_VERSION};
use crate::merkle::Hash;
use crate::plan::Plan;

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Lines in the log.
    pub lines: u64,
    /// The log's head.
    pub head: Hash,
    /// `operator-seed` (rehearsal) or `commit-reveal`.
    pub mode: String,
    /// False for a committed draw whose reveal has not happened yet.
    pub drawn: bool,
    /// The seed the log records (or derives from the reveal).
    pub seed: String,
    /// Tasks re-run.
    pub tasks: u64,
    /// Drawn enterprises confirmed.
    pub targets: u64,
    /// Teams confirmed.
    pub teams: u64,
    /// Warnings confirmed.
    pub warnings: u64,
    /// Replacements confirmed as the next lawful officer.
    pub replacements: u64,
}

/// Splits a log into lines and checks the hash chain. Returns each line with its parsed event.
///
/// Fails on the first line that is not a JSON object with the right `seq`, or whose `prev` is
/// not the SHA-256 of the line before it (see [`chain`]).
pub fn check_chain(bytes: &[u8]) -> Result<Vec<(String, Value)>, VerifyError> {
    chain(bytes)?
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let v = serde_json::from_str(l).map_err(|e| VerifyError::Malformed {
                line: i as u64 + 1,
                reason: format!("not JSON ({e})"),
            })?;
            Ok((l.to_string(), v))
        })
        .collect()
}

/// The members of a line the chain check needs; everything else is only scanned.
#[derive(serde::Deserialize)]
struct Meta<'a> {
    #[serde(borrow, default)]
    prev: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    seq: Option<u64>,
}

/// Checks 0-based line `i` of a log by the definition (SPEC.md §7 step 1), given the hash of the
/// line before it: UTF-8, a JSON object (parsed by `serde_json`), `prev`, `seq`, in that order.
/// This decides every line the fast scan ([`prev_and_seq`]) does not accept, so every error
/// comes from here.
fn check_line<'a>(i: usize, raw: &'a [u8], prev_hash: &Hash) -> Result<&'a str, VerifyError> {
    let line = i as u64 + 1;
    let bad = |reason: String| VerifyError::Malformed { line, reason };
    let text = match std::str::from_utf8(raw) {
        Ok(t) if t.starts_with('{') => t,
        Ok(_) => return Err(bad("not a JSON object".into())),
        Err(e) => return Err(bad(format!("not UTF-8 ({e})"))),
    };
    let meta: Meta<'_> = serde_json::from_str(text).map_err(|e| bad(format!("not JSON ({e})")))?;
    let Some(prev) = meta.prev else {
        return Err(bad("no string field `prev`".into()));
    };
    // Compare as bytes; build the hex text only to report a mismatch.
    let mut p = [0u8; 32];
    let decoded = hex::decode_to_slice(prev.as_bytes(), &mut p).is_ok()
        && !prev.bytes().any(|b| b.is_ascii_uppercase());
    if !decoded || p != *prev_hash {
        return Err(VerifyError::ChainBroken {
            line,
            expected: hex::encode(prev_hash),
            found: prev.into_owned(),
        });
    }
    if meta.seq != Some(i as u64) {
        return Err(bad(format!("`seq` is not {i}")));
    }
    Ok(text)
}

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
/// `None` means only that the line is outside the subset; [`check_line`] then decides.
fn prev_and_seq(s: &[u8]) -> Option<(&[u8], u64, usize)> {
    if *s.first()? != b'{' {
        return None;
    }
    let (mut prev, mut seq) = (None, None);
    let mut i = 1;
    loop {
        if *s.get(i)? != b'"' {
            return None;
        }
        let end = string_end(s, i + 1)?;
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
            // A second `prev` or `seq`, a `prev` that is not a string, or a key that an escape
            // could make one of them.
            b"prev" | b"seq" => return None,
            _ if key.contains(&b'\\') => return None,
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

/// SHA-256 of a line, straight from the compression function (FIPS 180-4 padding); the same
/// value as [`log::line_hash`] (tested) with less overhead per line.
fn line_sha256(m: &[u8]) -> Hash {
    const IV: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut state = IV;
    let mut blocks = [[0u8; 64]; 8];
    let mut chunks = m.chunks_exact(64);
    loop {
        let mut n = 0;
        for (block, chunk) in blocks.iter_mut().zip(chunks.by_ref()) {
            block.copy_from_slice(chunk);
            n += 1;
        }
        if n == 0 {
            break;
        }
        sha2::block_api::compress256(&mut state, &blocks[..n]);
    }
    let rest = chunks.remainder();
    let mut last = [[0u8; 64]; 2];
    last[0][..rest.len()].copy_from_slice(rest);
    last[0][rest.len()] = 0x80;
    let n = if rest.len() < 56 { 1 } else { 2 };
    last[n - 1][56..].copy_from_slice(&(m.len() as u64 * 8).to_be_bytes());
    sha2::block_api::compress256(&mut state, &last[..n]);
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// The line that starts at `at` in `bytes` (lines joined by LF), if the fast scan accepts it:
/// it lies in `text`, the valid UTF-8 prefix of `bytes`; it is exactly one object that
/// [`prev_and_seq`] reads; and its `prev` is the hex of `prev_hash` and its `seq` is `i`.
fn fast_line<'a>(
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

/// Bytes validated as UTF-8 at once and then checked line by line while they are in cache.
const WINDOW: usize = 1 << 16;

/// How the lines of one piece of a log fared.
enum Piece {
    /// Every line passed, and there were as many as the piece was given slots.
    Passed,
    /// A line failed; this is the first failure in the piece.
    Failed(VerifyError),
    /// The piece has more or fewer lines than slots: the line numbers it was given are wrong,
    /// so its verdict means nothing.
    Miscounted,
    /// Not checked, because an earlier piece failed.
    Skipped,
}

/// Checks the lines of `piece` (lines of a log joined by LF), the first of them 0-based line
/// `first`, given the hash of the line before them; puts each line in its slot of `out`.
///
/// UTF-8 is validated a window of lines at a time: a line inside the valid prefix is valid on
/// its own (lines are cut at an ASCII byte), and the line holding the first invalid byte is
/// invalid on its own too, so [`check_line`] reports it.
fn check_piece<'a>(
    piece: &'a [u8],
    first: usize,
    mut prev_hash: Hash,
    out: &mut [&'a str],
    window: usize,
) -> Piece {
    let mut slots = out.iter_mut().enumerate();
    let mut start = 0;
    loop {
        // The window: whole lines from `start`, ending at a newline or the end of the piece.
        let end = match piece.get(start + window..) {
            Some(after) => memchr::memchr(b'\n', after).map_or(piece.len(), |e| start + window + e),
            None => piece.len(),
        };
        let bytes = &piece[start..end];
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            // The valid prefix re-validates; should it not, every line goes to `check_line`.
            Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
        };
        let mut at = 0;
        loop {
            let Some((k, slot)) = slots.next() else {
                return Piece::Miscounted;
            };
            let i = first + k;
            let line = match fast_line(bytes, text, at, &prev_hash, i) {
                Some(line) => line,
                None => {
                    let len = memchr::memchr(b'\n', &bytes[at..]).unwrap_or(bytes.len() - at);
                    match check_line(i, &bytes[at..at + len], &prev_hash) {
                        Ok(line) => line,
                        Err(e) => return Piece::Failed(e),
                    }
                }
            };
            *slot = line;
            prev_hash = line_sha256(line.as_bytes());
            at += line.len();
            if at == bytes.len() {
                break;
            }
            at += 1;
        }
        if end == piece.len() {
            return match slots.next() {
                None => Piece::Passed,
                Some(_) => Piece::Miscounted,
            };
        }
        start = end + 1;
    }
}

/// Runs `f` on every job, on the calling thread and up to `threads - 1` others that take the
/// jobs in order from a shared queue; returns the results in job order.
fn par_map<J: Send, R: Send>(jobs: Vec<J>, threads: usize, f: impl Fn(J) -> R + Sync) -> Vec<R> {
    if threads <= 1 || jobs.len() <= 1 {
        return jobs.into_iter().map(f).collect();
    }
    let helpers = (threads - 1).min(jobs.len() - 1);
    let queue = std::sync::Mutex::new(jobs.into_iter().enumerate());
    let work = || {
        let mut done = Vec::new();
        loop {
            let next = queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .next();
            match next {
                Some((k, job)) => done.push((k, f(job))),
                None => return done,
            }
        }
    };
    let mut all = std::thread::scope(|sc| {
        // A helper that cannot be started leaves its share to the others.
        let handles: Vec<_> = (0..helpers)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(sc, work).ok())
            .collect();
        let mut all = work();
        for h in handles {
            all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        all
    });
    all.sort_unstable_by_key(|&(k, _)| k);
    all.into_iter().map(|(_, r)| r).collect()
}

/// Checks the hash chain of a log without interpreting its events, and returns its lines.
///
/// The log must be non-empty and end with a newline; each line must be UTF-8 and a JSON object
/// whose `prev` is the lowercase hex SHA-256 of the previous line (64 zeros on the first) and
/// whose `seq` is its 0-based number. The first failing line is reported. A large log is cut
/// at newlines into pieces that are checked on all available cores, each piece starting from
/// the hash of the last line of the piece before it; the verdict and the error are those of
/// checking line by line.
///
/// ```
/// let log = dualdraw::log::chain(vec![serde_json::json!({"event": "a"})]);
/// assert_eq!(dualdraw::verify::chain(&log.to_bytes()).unwrap().len(), 1);
/// assert!(dualdraw::verify::chain(b"{}\n").is_err());
/// ```
pub fn chain(bytes: &[u8]) -> Result<Vec<&str>, VerifyError> {
    // Below 1 MiB one piece; above it, 8 pieces a thread so that a busy core holds up little.
    if bytes.len() < 1 << 20 {
        return chain_in(bytes, 1, 1, WINDOW);
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(16);
    chain_in(bytes, threads * 8, threads, WINDOW)
}

/// [`chain`] with the log cut into about `pieces` pieces, checked on `threads` threads, each
/// validating UTF-8 `window` bytes at a time.
fn chain_in(
    bytes: &[u8],
    pieces: usize,
    threads: usize,
    window: usize,
) -> Result<Vec<&str>, VerifyError> {
    if bytes.is_empty() {
        return Err(VerifyError::Empty);
    }
    let body = bytes
        .strip_suffix(b"\n")
        .ok_or_else(|| VerifyError::Malformed {
            line: bytes.split(|&b| b == b'\n').count() as u64,
            reason: "the last line does not end with a newline".into(),
        })?;
    // Cut at the first newline at or after each multiple of len / pieces.
    let mut parts = Vec::with_capacity(pieces);
    let mut start = 0;
    for p in 1..pieces.max(1) {
        let at = (body.len() / pieces * p).max(start);
        let Some(nl) = memchr::memchr(b'\n', &body[at..]) else {
            break;
        };
        parts.push(&body[start..at + nl]);
        start = at + nl + 1;
    }
    parts.push(&body[start..]);
    // The line numbers where the pieces start are first taken from the `seq` of their first
    // lines, which a valid log gets right; every piece then confirms that it has exactly the
    // lines this gives it. Otherwise they are counted, and the pieces checked again.
    if let Some(starts) = guess_starts(&parts) {
        if let Some(verdict) = check_parts(&parts, &starts, threads, window) {
            return verdict;
        }
    }
    let counts = par_map(parts.clone(), threads, |p| {
        memchr::memchr_iter(b'\n', p).count() + 1
    });
    let starts: Vec<usize> = std::iter::once(0)
        .chain(counts.iter().scan(0, |n, c| {
            *n += c;
            Some(*n)
        }))
        .collect();
    check_parts(&parts, &starts, threads, window)
        .unwrap_or_else(|| unreachable!("a piece has the lines counted in it"))
}

/// The 0-based line number at which each piece starts, and the number of lines, as the `seq`
/// of the pieces' first lines and of the last line say, if they are plausible: increasing, and
/// no more lines in a piece than it has room for (a valid line has more than 64 bytes).
fn guess_starts(parts: &[&[u8]]) -> Option<Vec<usize>> {
    let seq = |line: &[u8]| prev_and_seq(line).and_then(|(_, s, _)| usize::try_from(s).ok());
    let mut starts = vec![0];
    for part in &parts[1..] {
        starts.push(seq(
            &part[..memchr::memchr(b'\n', part).unwrap_or(part.len())]
        )?);
    }
    let last = parts[parts.len() - 1];
    let last = &last[memchr::memrchr(b'\n', last).map_or(0, |k| k + 1)..];
    starts.push(seq(last)?.checked_add(1)?);
    let plausible = starts
        .windows(2)
        .zip(parts)
        .all(|(s, part)| s[0] < s[1] && s[1] - s[0] <= part.len() / 64 + 1);
    plausible.then_some(starts)
}

/// Checks the pieces of a log, piece `j` holding lines `starts[j]..starts[j + 1]`. `None` if a
/// piece before the first failure does not have the lines it is given.
fn check_parts<'a>(
    parts: &[&'a [u8]],
    starts: &[usize],
    threads: usize,
    window: usize,
) -> Option<Result<Vec<&'a str>, VerifyError>> {
    let mut lines = vec![""; starts[starts.len() - 1]];
    let mut jobs = Vec::with_capacity(parts.len());
    let mut slots = &mut lines[..];
    for (j, (&part, s)) in parts.iter().zip(starts.windows(2)).enumerate() {
        let (mine, rest) = std::mem::take(&mut slots).split_at_mut(s[1] - s[0]);
        // The last line of the piece before, whose hash this piece's first `prev` must be.
        let before = j
            .checked_sub(1)
            .map(|b| &parts[b][memchr::memrchr(b'\n', parts[b]).map_or(0, |k| k + 1)..]);
        jobs.push((j, part, s[0], before, mine));
        slots = rest;
    }
    // A piece after one that failed is not checked: only the first failure is reported.
    let failed = std::sync::atomic::AtomicUsize::new(usize::MAX);
    let results = par_map(jobs, threads, |(j, part, first, before, mine)| {
        use std::sync::atomic::Ordering::Relaxed;
        if failed.load(Relaxed) < j {
            return Piece::Skipped;
        }
        let start = before.map_or([0; 32], line_sha256);
        let r = check_piece(part, first, start, mine, window);
        if matches!(r, Piece::Failed(_)) {
            failed.fetch_min(j, Relaxed);
        }
        r
    });
    // In order: the pieces before a failure all passed, so their line numbers were right.
    for r in results {
        match r {
            Piece::Passed => {}
            Piece::Failed(e) => return Some(Err(e)),
            Piece::Miscounted => return None,
            Piece::Skipped => unreachable!("a piece is skipped only after a piece that failed"),
        }
    }
    Some(Ok(lines))
}

fn header_str<'a>(h: &'a Value, path: &[&str]) -> Result<&'a str, VerifyError> {
    let mut v = h;
    for p in path {
        v = v.get(p).unwrap_or(&Value::Null);
    }
    v.as_str().ok_or_else(|| VerifyError::Malformed {
        line: 1,
        reason: format!("header has no string field `{}`", path.join(".")),
    })
}

fn header_u64(h: &Value, path: &[&str]) -> Result<u64, VerifyError> {
    let mut v = h;
    for p in path {
        v = v.get(p).unwrap_or(&Value::Null);
    }
    v.as_u64().ok_or_else(|| VerifyError::Malformed {
        line: 1,
        reason: format!("header has no integer field `{}`", path.join(".")),
    })
}

fn same(what: &str, logged: String, actual: String) -> Result<(), VerifyError> {
    if logged == actual {
        Ok(())
    } else {
        Err(VerifyError::DigestMismatch {
            what: what.into(),
            logged,
            actual,
        })
    }
}

/// An error in reading an input (exit code 2), as opposed to a draw that cannot be made.
fn is_input_error(e: &crate::Error) -> bool {
    use crate::ErrorKind as K;
    matches!(
        e.kind(),
        K::Io { .. }
            | K::PlanInput { .. }
            | K::Csv { .. }
            | K::MissingColumn { .. }
            | K::DuplicateColumn { .. }
            | K::InvalidField { .. }
            | K::DuplicateId { .. }
            | K::Unsorted { .. }
            | K::PlanSyntax { .. }
    )
}

/// Compares regenerated lines with the log's, which start at 0-based line `offset`; reports the
/// first that differs.
fn compare(expected: &[String], got: &[&str], offset: usize) -> Result<(), VerifyError> {
    for (i, (exp, got)) in expected.iter().zip(got).enumerate() {
        if exp != got {
            return Err(VerifyError::Mismatch {
                line: (offset + i) as u64 + 1,
                expected: without_prev(exp),
                found: without_prev(got),
            });
        }
    }
    Ok(())
}

fn without_prev(line: &str) -> String {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(mut m)) => {
            m.remove("prev");
            log::canonical(&Value::Object(m))
        }
        _ => line.to_string(),
    }
}

/// Verifies a log against the plan and directories it claims to come from.
///
/// Checks, in order: the chain ([`check_chain`]); the head, if one is given (this is what
/// detects a log truncated after its last event); the header's spec version; the plan and
/// directory digests; and finally re-runs the draw with the recorded seed and requires every
/// line to be identical (the header's informational `crate_version` excepted). The plan's own
/// `seed` key plays no part: the seed is the log's (SPEC.md §7 step 6).
///
/// The warnings compared are those of SPEC.md §6.2 for the plan's inspection date
/// ([`Targets::warnings_on`]), whether or not `targets` was read with that date. A commitment
/// not yet drawn (one commit line) is checked against the directory digest alone; nothing is
/// drawn.
pub fn verify(
    bytes: &[u8],
    published_head: Option<&Hash>,
    plan: &Plan,
    plan_digest: &Hash,
    targets: &Targets,
    officers: &Officers,
) -> Result<Report> {
    verify_with(bytes, published_head, plan, plan_digest, officers, |seed| {
        Ok(Drawn {
            selections: match seed {
                Some(seed) => draw::select(plan, targets, seed),
                None => Ok(Vec::new()),
            },
            digest: targets.digest(),
            warnings: targets.warnings_on(plan.inspection_date),
        })
    })
}

/// The target side of a re-run: what [`verify_with`]'s callback returns.
#[derive(Debug)]
pub struct Drawn {
    /// The selections of every task, or why the target draw failed (reported only after the
    /// directory digest is checked, so that a changed directory is named as such). Ignored
    /// (and best left empty) when the callback is given no seed.
    pub selections: Result<Vec<draw::Selection>>,
    /// The target directory digest.
    pub digest: Digest,
    /// The warnings of SPEC.md §6.2 for the plan's inspection date, in (id, code) order.
    pub warnings: Vec<Warning>,
}

/// [`verify`] with the target side supplied by a callback, so that a directory too large for
/// memory can be streamed ([`crate::stream`]). The callback receives `Some(seed)`, the logged
/// (or revealed) seed, to draw the targets with; or `None` for a commitment not yet drawn, when
/// only the digest is needed and nothing must be drawn.
pub fn verify_with(
    bytes: &[u8],
    published_head: Option<&Hash>,
    plan: &Plan,
    plan_digest: &Hash,
    officers: &Officers,
    targets: impl FnOnce(Option<&str>) -> Result<Drawn>,
) -> Result<Report> {
    let lines = chain(bytes)?;
    let head = log::line_hash(lines[lines.len() - 1]);
    // Only the header, the reveal and replacement requests are read as events; every other
    // line is checked by comparing its bytes with the re-run's.
    let parse = |i: usize| -> Result<Value, VerifyError> {
        serde_json::from_str(lines[i]).map_err(|e| VerifyError::Malformed {
            line: i as u64 + 1,
            reason: format!("not JSON ({e})"),
        })
    };
    if let Some(p) = published_head {
        if *p != head {
            return Err(VerifyError::HeadMismatch {
                expected: hex::encode(p),
                found: hex::encode(head),
                lines: lines.len() as u64,
            }
            .into());
        }
    }
    let header_value = parse(0)?;
    let h = &header_value;
    if header_str(h, &["event"])? != "header" {
        return Err(VerifyError::Malformed {
            line: 1,
            reason: "the first event is not a header".into(),
        }
        .into());
    }
    let spec = header_str(h, &["spec"])?;
    if spec != SPEC_VERSION {
        return Err(VerifyError::UnsupportedSpec {
            found: spec.into(),
            supported: SPEC_VERSION.into(),
        }
        .into());
    }
    same(
        "plan digest",
        header_str(h, &["plan", "digest"])?.into(),
        hex::encode(plan_digest),
    )?;
    let od = officers.digest();
    same(
        "officer directory head",
        header_str(h, &["directories", "officers", "head"])?.into(),
        hex::encode(od.head),
    )?;
    same(
        "officer directory count",
        header_u64(h, &["directories", "officers", "count"])?.to_string(),
        od.count.to_string(),
    )?;
    let crate_version = header_str(h, &["crate_version"])?;
    let mode = header_str(h, &["mode"])?;
    // The seed, and for a committed draw the reveal (secret, entropy).
    let (seed, reveal) = match mode {
        "operator-seed" => (header_str(h, &["seed"])?.to_string(), None),
        "commit-reveal" => match lines.get(1).map(|_| parse(1)).transpose()? {
            None => ("(committed, not yet drawn)".to_string(), None),
            Some(r) => {
                let bad = |reason: &str| VerifyError::Malformed {
                    line: 2,
                    reason: reason.into(),
                };
                if r.get("event").and_then(Value::as_str) != Some("reveal") {
                    return Err(
                        bad("the second event of a committed draw must be its reveal").into(),
                    );
                }
                let secret = r
                    .get("secret")
                    .and_then(Value::as_str)
                    .and_then(|x| commit::parse_secret(x).ok())
                    .ok_or_else(|| bad("the reveal has no 64-hex-character `secret`"))?;
                let entropy = r
                    .get("entropy")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("the reveal has no string `entropy`"))?;
                let committed = header_str(h, &["commitment"])?;
                let opened = hex::encode(commit::commitment(&secret));
                if opened != committed {
                    return Err(VerifyError::Commitment {
                        committed: committed.into(),
                        opened,
                    }
                    .into());
                }
                // The entropy as `dualdraw draw` accepts it (SPEC.md §9.2).
                commit::check_entropy(entropy).map_err(|e| bad(&e.to_string()))?;
                let seed = commit::derive_seed(&secret, entropy, &log::line_hash(lines[0]));
                (seed, Some((secret, entropy.to_string())))
            }
        },
        other => {
            return Err(VerifyError::Malformed {
                line: 1,
                reason: format!("unknown mode {other:?} (expected operator-seed or commit-reveal)"),
            }
            .into());
        }
    };
    let rerun = |e: crate::Error| VerifyError::Mismatch {
        line: 1,
        expected: format!("(re-running the draw fails: {e})"),
        found: "a log of a successful draw".into(),
    };
    let drew = mode == "operator-seed" || reveal.is_some();
    let drawn = targets(drew.then_some(seed.as_str())).map_err(|e| {
        if e.is_verification() || is_input_error(&e) {
            e
        } else {
            rerun(e).into()
        }
    })?;
    let td = drawn.digest;
    same(
        "target directory head",
        header_str(h, &["directories", "targets", "head"])?.into(),
        hex::encode(td.head),
    )?;
    same(
        "target directory count",
        header_u64(h, &["directories", "targets", "count"])?.to_string(),
        td.count.to_string(),
    )?;

    let mut expected = match mode {
        "operator-seed" => log::chain(vec![log::header_event(&Header {
            plan,
            plan_digest: *plan_digest,
            targets: td,
            officers: od,
            seed: &seed,
            crate_version,
        })]),
        _ => {
            // A kind outside the set, or an unusable description, cannot come from a commit.
            let entropy = commit::EntropySource::new(
                header_str(h, &["entropy_source", "kind"])?,
                header_str(h, &["entropy_source", "description"])?,
            )
            .map_err(|e| VerifyError::Malformed {
                line: 1,
                reason: format!("the commit header's `entropy_source`: {e}"),
            })?;
            let mut commitment = [0u8; 32];
            hex::decode_to_slice(header_str(h, &["commitment"])?, &mut commitment).map_err(
                |_| VerifyError::Malformed {
                    line: 1,
                    reason: "`commitment` is not 64 hexadecimal characters".into(),
                },
            )?;
            log::chain(vec![log::commit_event(&log::CommitHeader {
                plan,
                plan_digest: *plan_digest,
                targets: td,
                officers: od,
                entropy: &entropy,
                commitment,
                crate_version,
            })])
        }
    };
    let mut outcome = None;
    let mut replacements = 0;
    // What the log records after the footer: replacement requests, each with its line.
    let mut requests = Vec::new();
    let mut records = BTreeMap::new();
    if drew {
        if let Some((secret, entropy)) = &reveal {
            expected.append(vec![log::reveal_event(secret, entropy, &seed)]);
        }
        let selections = drawn.selections.map_err(rerun)?;
        records = selections
            .iter()
            .flat_map(|s| s.drawn.iter().map(|(_, e)| (e.id.clone(), e.clone())))
            .collect();
        // Rotation pairs and recusals as the log records them (SPEC.md §11.2, §11.4).
        // A committed draw cannot use history (its pairs would not be bound by the commit), so
        // only a rehearsal's log may bring rotation pairs.
        let apart = if mode == "operator-seed" {
            draw::apart_from_log(plan, lines.iter().copied())
        } else {
            crate::team::Apart::from_plan(plan)
        };
        let o = draw::staff_with(plan, selections, officers, &apart).map_err(rerun)?;
        expected.append(log::draw_events(plan, &drawn.warnings, &o));
        outcome = Some(o);
    }
    // The regenerated lines up to the footer first, so that an earlier difference is reported
    // before anything that follows it.
    let fixed = expected.lines.len();
    compare(&expected.lines, &lines, 0)?;
    if lines.len() < fixed {
        return Err(VerifyError::LineCount {
            expected: fixed as u64,
            found: lines.len() as u64,
        }
        .into());
    }
    if let Some(o) = &outcome {
        // Replacements are requests (who, why) whose outcome (who instead) is recomputed, in
        // log order; the first line that is not a request ends them.
        let mut stop = None;
        for (i, line) in lines.iter().enumerate().skip(fixed) {
            let v = parse(i)?;
            if v.get("event").and_then(Value::as_str) != Some("replacement") {
                stop = Some((i, *line));
                break;
            }
            let f = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            requests.push(draw::ReplacementRequest {
                task: f("task"),
                enterprise: f("enterprise"),
                out: f("out"),
                reason: f("reason"),
            });
        }
        let apply = |n: usize| {
            let mut current = o.clone();
            draw::apply_replacements(plan, &mut current, &records, officers, &requests[..n])
        };
        // The longest prefix of the requests that the draw allows, and why the next is refused.
        let (done, refused) = match apply(requests.len()) {
            Ok(done) => (done, None),
            Err(e) => {
                // Refusal is monotone in the prefix: find the first refused request.
                let (mut ok, mut bad, mut why) = (0, requests.len(), e);
                while bad - ok > 1 {
                    let mid = ok + (bad - ok) / 2;
                    match apply(mid) {
                        Ok(_) => ok = mid,
                        Err(e) => (bad, why) = (mid, e),
                    }
                }
                let done = apply(ok).map_err(rerun)?;
                (done, Some((bad - 1, why)))
            }
        };
        replacements = done.len() as u64;
        expected.append(done.iter().map(log::replacement_event));
        compare(&expected.lines[fixed..], &lines[fixed..], fixed)?;
        if let Some((k, e)) = refused {
            return Err(VerifyError::Mismatch {
                line: (fixed + k) as u64 + 1,
                expected: format!("(a replacement the draw allows; {e})"),
                found: without_prev(lines[fixed + k]),
            }
            .into());
        }
        if let Some((i, line)) = stop {
            return Err(VerifyError::Mismatch {
                line: i as u64 + 1,
                expected: "(a replacement request, the only event after the footer, SPEC.md §9.3)"
                    .into(),
                found: without_prev(line),
            }
            .into());
        }
    }
    if expected.lines.len() != lines.len() {
        return Err(VerifyError::LineCount {
            expected: expected.lines.len() as u64,
            found: lines.len() as u64,
        }
        .into());
    }
    let count = |f: fn(&draw::TaskOutcome) -> usize| {
        outcome
            .as_ref()
            .map_or(0, |o| o.tasks.iter().map(|t| f(t) as u64).sum())
    };
    Ok(Report {
        lines: lines.len() as u64,
        head,
        mode: mode.into(),
        drawn: drew,
        seed,
        tasks: plan.tasks.len() as u64,
        targets: count(|t| t.drawn.len()),
        teams: count(|t| t.teams.len()),
        warnings: if drew { drawn.warnings.len() as u64 } else { 0 },
        replacements,
    })
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    use super::*;
    use crate::draw::ReplacementRequest;
    use crate::{ErrorKind, commands, io};
    use std::path::{Path, PathBuf};

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
    }

    /// The demo draw with `n` replacements in the first team, as events without `seq`/`prev`.
    fn demo(n: usize) -> (io::Inputs, Vec<Value>, usize) {
        let inputs = io::load_inputs(&fixture("fixtures/tianjin-2020/plan.toml")).unwrap();
        let (outcome, log) = commands::draw_inputs(&inputs, "verify-unit-test").unwrap();
        let footer = log.lines.len();
        let mut current = outcome.clone();
        let records: BTreeMap<String, crate::directory::Enterprise> = inputs
            .targets
            .records
            .iter()
            .filter(|e| {
                outcome
                    .tasks
                    .iter()
                    .any(|t| t.drawn.iter().any(|d| d.id == e.id))
            })
            .map(|e| (e.id.clone(), e.clone()))
            .collect();
        let team = &outcome.tasks[0].teams[0];
        let mut requests = Vec::new();
        let mut out = team.officers[0].clone();
        for i in 0..n {
            requests.push(ReplacementRequest {
                task: outcome.tasks[0].task.clone(),
                enterprise: team.enterprise.clone(),
                out: out.clone(),
                reason: format!("reason {i}"),
            });
            // Each replaces the officer the previous one brought in.
            let mut probe = outcome.clone();
            let done = draw::apply_replacements(
                &inputs.plan,
                &mut probe,
                &records,
                &inputs.officers,
                &requests,
            )
            .unwrap();
            out = done.last().unwrap().incoming.clone();
        }
        let done = draw::apply_replacements(
            &inputs.plan,
            &mut current,
            &records,
            &inputs.officers,
            &requests,
        )
        .unwrap();
        let mut events: Vec<Value> = log
            .lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        events.extend(done.iter().map(log::replacement_event));
        for e in &mut events {
            let m = e.as_object_mut().unwrap();
            m.remove("prev");
            m.remove("seq");
        }
        (inputs, events, footer)
    }

    fn run(inputs: &io::Inputs, events: Vec<Value>) -> Result<Report> {
        let bytes = log::chain(events).to_bytes();
        verify(
            &bytes,
            None,
            &inputs.plan,
            &inputs.plan_digest,
            &inputs.targets,
            &inputs.officers,
        )
    }

    /// The 1-based line a verification failure names.
    fn failing_line(r: Result<Report>) -> u64 {
        match r.unwrap_err().into_kind() {
            ErrorKind::Verify(VerifyError::Mismatch { line, .. }) => line,
            other => panic!("expected a line mismatch, got {other:?}"),
        }
    }

    #[test]
    fn genuine_replacements_verify() {
        let (inputs, events, _) = demo(3);
        assert_eq!(run(&inputs, events).unwrap().replacements, 3);
    }

    /// A request that cannot be recomputed is reported at its own line, not at the first line
    /// after the footer.
    #[test]
    fn refused_replacement_names_its_own_line() {
        let (inputs, mut events, footer) = demo(3);
        // The third request names an officer who is not on the team.
        events[footer + 2]["out"] = "NOBODY".into();
        assert_eq!(failing_line(run(&inputs, events)), footer as u64 + 3);
    }

    /// An earlier differing line is reported before a later refused request: a replacement's
    /// line whose `in` was changed ...
    #[test]
    fn earlier_replacement_difference_comes_first() {
        let (inputs, mut events, footer) = demo(3);
        events[footer + 1]["in"] = "SOMEONE-ELSE".into();
        events[footer + 2]["out"] = "NOBODY".into();
        assert_eq!(failing_line(run(&inputs, events)), footer as u64 + 2);
    }

    /// ... and a line of the draw itself (here a team, before the footer).
    #[test]
    fn earlier_draw_difference_comes_first() {
        let (inputs, mut events, footer) = demo(2);
        let team = events.iter().position(|e| e["event"] == "team").unwrap();
        events[team]["eligible_officers"] = 999.into();
        events[footer + 1]["out"] = "NOBODY".into();
        assert_eq!(failing_line(run(&inputs, events)), team as u64 + 1);
    }

    /// Something other than a replacement after the footer is reported at its line, after the
    /// requests before it were compared.
    #[test]
    fn non_request_after_footer_names_its_line() {
        let (inputs, mut events, footer) = demo(2);
        events.insert(footer + 1, serde_json::json!({"event": "note"}));
        assert_eq!(
            failing_line(run(&inputs, events.clone())),
            footer as u64 + 2
        );
        events[footer]["in"] = "SOMEONE-ELSE".into();
        assert_eq!(failing_line(run(&inputs, events)), footer as u64 + 1);
    }

    /// A commitment not yet drawn: the callback is asked for the digest only (no seed), and a
    /// plan whose draw would fail (a count above the pool) still verifies as a commitment.
    #[test]
    fn commitment_alone_draws_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let base = fixture("fixtures/tianjin-2020");
        std::fs::copy(base.join("officers.csv"), dir.path().join("officers.csv")).unwrap();
        // Sorted by id, so that it can be streamed too.
        std::fs::write(
            dir.path().join("targets.csv"),
            "id,name,region,domains,status\n\
             91120116MA05JKLM8C,甲,120116,无线电,active\n\
             91120116MA05JKLM8J,乙,120116,无线电,active\n",
        )
        .unwrap();
        let plan = std::fs::read_to_string(fixture("fixtures/tianjin-2020/plan.toml"))
            .unwrap()
            .replace("sample = { count = 4 }", "sample = { count = 5 }");
        std::fs::write(dir.path().join("plan.toml"), plan).unwrap();
        let plan_path = dir.path().join("plan.toml");
        let commit_dir = dir.path().join("commit");
        let entropy = crate::commit::EntropySource::new("dice", "dice thrown in public").unwrap();
        commands::commit(
            &plan_path,
            &commands::CommitOptions {
                out: commit_dir.clone(),
                entropy,
            },
        )
        .unwrap();
        let bytes = std::fs::read(commit_dir.join("draw.log")).unwrap();
        let inputs = io::load_inputs(&plan_path).unwrap();
        let mut asked = Vec::new();
        let report = verify_with(
            &bytes,
            None,
            &inputs.plan,
            &inputs.plan_digest,
            &inputs.officers,
            |seed| {
                asked.push(seed.map(str::to_string));
                Ok(Drawn {
                    selections: Ok(Vec::new()),
                    digest: inputs.targets.digest(),
                    warnings: Vec::new(),
                })
            },
        )
        .unwrap();
        assert_eq!(asked, [None]);
        assert!(!report.drawn);
        // In memory and streamed, through the command.
        for source in [
            commands::TargetSource::Plan,
            commands::TargetSource::PlanStreamed,
        ] {
            let (report, _) = commands::verify(
                &commit_dir.join("draw.log"),
                &plan_path,
                None,
                &source,
                &mut |_| {},
            )
            .unwrap_or_else(|e| panic!("{source:?}: {e}"));
            assert!(!report.drawn);
            assert_eq!(report.lines, 1);
        }
        // The draw itself is refused: 5 requested, 2 eligible.
        assert!(crate::draw::select(&inputs.plan, &inputs.targets, "s").is_err());
    }
}

/// The fast chain check against the definition: the chain check as it was before the fast
/// path (sequential, one serde_json parse per line), kept here as the reference.
#[cfg(test)]
mod chain_tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::{Digest as _, Sha256};

    #[derive(serde::Deserialize)]
    struct RefMeta<'a> {
        #[serde(borrow, default)]
        prev: Option<std::borrow::Cow<'a, str>>,
        #[serde(default)]
        seq: Option<u64>,
    }

    /// The reference: SPEC.md §7 step 1 line by line, the code of the chain check before the
    /// fast path, without its two threads.
    fn reference(bytes: &[u8]) -> Result<Vec<&str>, VerifyError> {
        if bytes.is_empty() {
            return Err(VerifyError::Empty);
        }
        let body = bytes
            .strip_suffix(b"\n")
            .ok_or_else(|| VerifyError::Malformed {
                line: bytes.split(|&b| b == b'\n').count() as u64,
                reason: "the last line does not end with a newline".into(),
            })?;
        let mut out = Vec::new();
        let mut prev_hash: Hash = [0; 32];
        for (i, raw) in body.split(|&b| b == b'\n').enumerate() {
            let line = i as u64 + 1;
            let bad = |reason: String| Err(VerifyError::Malformed { line, reason });
            let text = match std::str::from_utf8(raw) {
                Ok(t) if t.starts_with('{') => t,
                Ok(_) => return bad("not a JSON object".into()),
                Err(e) => return bad(format!("not UTF-8 ({e})")),
            };
            let meta: RefMeta<'_> = match serde_json::from_str(text) {
                Ok(m) => m,
                Err(e) => return bad(format!("not JSON ({e})")),
            };
            let Some(prev) = meta.prev else {
                return bad("no string field `prev`".into());
            };
            let mut p = [0u8; 32];
            let decoded = hex::decode_to_slice(prev.as_bytes(), &mut p).is_ok()
                && !prev.bytes().any(|b| b.is_ascii_uppercase());
            if !decoded || p != prev_hash {
                return Err(VerifyError::ChainBroken {
                    line,
                    expected: hex::encode(prev_hash),
                    found: prev.into_owned(),
                });
            }
            if meta.seq != Some(i as u64) {
                return bad(format!("`seq` is not {i}"));
            }
            prev_hash = Sha256::digest(text.as_bytes()).into();
            out.push(text);
        }
        Ok(out)
    }

    /// Every way of cutting and scheduling the check agrees with the reference, error included.
    fn agrees(bytes: &[u8], what: &str) {
        let expected = reference(bytes);
        for (pieces, threads, window) in [
            (1, 1, WINDOW),
            (1, 1, 1),
            (3, 2, 1),
            (5, 1, 40),
            (7, 2, 300),
            (16, 3, 7),
        ] {
            assert_eq!(
                chain_in(bytes, pieces, threads, window),
                expected,
                "{what}: {pieces} pieces, {threads} threads, window {window}\n{}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert_eq!(chain(bytes), expected, "{what}");
    }

    /// splitmix64.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn one_in(&mut self, n: usize) -> bool {
            self.below(n) == 0
        }
        fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
            &xs[self.below(xs.len())]
        }
    }

    /// Pieces of text that stress a scan: quotes, escapes, look-alikes of `prev` and `seq`,
    /// controls, non-ASCII text, U+2028, U+007F.
    const WORDS: &[&str] = &[
        "a",
        "prev",
        "seq",
        "\"prev\":\"",
        "\\\"seq\\\":1",
        "\"",
        "\\",
        "/",
        "\u{1}",
        "\n",
        "\t",
        "\u{1b}",
        "\u{7f}",
        "检查对象",
        "😀",
        "\u{2028}",
        "}",
        "{",
        "[",
        ",",
        ":",
        "0",
        "event",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ];

    /// A random JSON value of the kind a log holds, and more.
    fn value(r: &mut Rng, depth: usize) -> Value {
        match r.below(if depth == 0 { 4 } else { 7 }) {
            0 => Value::Null,
            1 => Value::Bool(r.one_in(2)),
            2 => Value::from(match r.below(3) {
                0 => r.below(10) as u64,
                1 => r.next(),
                _ => r.next() >> r.below(64),
            }),
            3 => Value::String((0..r.below(5)).map(|_| *r.pick(WORDS)).collect()),
            4 => Value::Array((0..r.below(4)).map(|_| value(r, depth - 1)).collect()),
            _ => Value::Object(
                (0..r.below(4))
                    .map(|_| (r.pick(WORDS).to_string(), value(r, depth - 1)))
                    .collect(),
            ),
        }
    }

    /// JSON text of `v` as serde_json reads it but not canonical: white space, keys in any
    /// order, escapes where none are needed, integers as floats (except where `exact`).
    fn loose(v: &Value, r: &mut Rng, out: &mut String, exact: bool) {
        let ws = |r: &mut Rng, out: &mut String| {
            while r.one_in(3) {
                out.push(*r.pick(&[' ', '\t', '\r']));
            }
        };
        ws(r, out);
        match v {
            Value::Object(m) => {
                let mut members: Vec<_> = m.iter().collect();
                for k in (1..members.len()).rev() {
                    members.swap(k, r.below(k + 1));
                }
                out.push('{');
                for (k, (key, x)) in members.into_iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    loose(&Value::String(key.clone()), r, out, true);
                    out.push(':');
                    loose(x, r, out, exact && key == "seq");
                }
                ws(r, out);
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (k, x) in a.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    loose(x, r, out, false);
                }
                ws(r, out);
                out.push(']');
            }
            Value::String(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '/' if r.one_in(2) => out.push_str("\\/"),
                        c if (c as u32) < 0x20 || r.one_in(4) => {
                            let mut units = [0u16; 2];
                            for u in c.encode_utf16(&mut units) {
                                if r.one_in(2) {
                                    out.push_str(&format!("\\u{u:04X}"));
                                } else {
                                    out.push_str(&format!("\\u{u:04x}"));
                                }
                            }
                        }
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            Value::Number(n) if !exact && r.one_in(4) => out.push_str(&format!("{n}.0")),
            other => out.push_str(&other.to_string()),
        }
        ws(r, out);
    }

    /// A valid log of random events, some lines not canonical, some nested deeper than
    /// serde_json reads (those fail).
    fn random_log(r: &mut Rng) -> Vec<Vec<u8>> {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for i in 0..1 + r.below(12) {
            let mut event = match value(r, 3) {
                Value::Object(m) => m,
                other => [("event".to_string(), other)].into_iter().collect(),
            };
            if r.one_in(12) {
                let mut deep = Value::Null;
                for _ in 0..50 + r.below(100) {
                    deep = Value::Array(vec![deep]);
                }
                event.insert("deep".into(), deep);
            }
            let prev = lines
                .last()
                .map_or(log::GENESIS.to_string(), |l| hex::encode(Sha256::digest(l)));
            event.insert("prev".into(), prev.into());
            event.insert("seq".into(), i.into());
            let event = Value::Object(event);
            let text = if r.one_in(4) {
                let mut s = String::new();
                loose(&event, r, &mut s, true);
                // A line starts with `{`.
                s.trim_start().to_string()
            } else {
                log::canonical(&event)
            };
            lines.push(text.into_bytes());
        }
        lines
    }

    fn join(lines: &[Vec<u8>]) -> Vec<u8> {
        lines
            .iter()
            .flat_map(|l| l.iter().copied().chain([b'\n']))
            .collect()
    }

    /// Bytes that matter to a scan, and some that break UTF-8.
    const BYTES: &[u8] =
        b"\n \t\r\"\\{}[],:0159aAfFeE.-+uUtn\x00\x1f\x7f\x80\xbf\xc0\xc3\xe4\xed\xf0\xf5\xff";

    /// A random change to a log: a byte, a line, a `seq`, a `prev`, a cut.
    fn mutate(lines: &mut Vec<Vec<u8>>, r: &mut Rng) -> Option<Vec<u8>> {
        let n = lines.len();
        let k = r.below(n);
        match r.below(12) {
            0 => {}
            1 => {
                let l = &mut lines[k];
                if !l.is_empty() {
                    let at = r.below(l.len());
                    l[at] = *r.pick(BYTES);
                }
            }
            2 => {
                let l = &mut lines[k];
                let at = r.below(l.len() + 1);
                l.insert(at, *r.pick(BYTES));
            }
            3 => {
                let l = &mut lines[k];
                if !l.is_empty() {
                    l.remove(r.below(l.len()));
                }
            }
            4 => {
                let mut b = join(lines);
                b.truncate(r.below(b.len() + 1));
                return Some(b);
            }
            5 => {
                lines.remove(k);
            }
            6 => {
                let l = lines[k].clone();
                lines.insert(k, l);
            }
            7 if n > 1 => lines.swap(k, (k + 1) % n),
            8 => {
                // Another `seq` text where the line has `"seq":`.
                let text = String::from_utf8_lossy(&lines[k]).into_owned();
                let forms = [
                    format!("{k}.0"),
                    format!("0{k}"),
                    format!("-{k}"),
                    format!("\"{k}\""),
                    "null".into(),
                    (k + 1).to_string(),
                    format!("{k}e0"),
                    "184467440737095516160".into(),
                    format!("{k} "),
                ];
                lines[k] = text
                    .replacen(
                        &format!("\"seq\":{k}"),
                        &format!("\"seq\":{}", r.pick(&forms)),
                        1,
                    )
                    .into_bytes();
            }
            9 => {
                // Upper-case or another `prev`; a second `prev` or `seq`.
                let text = String::from_utf8_lossy(&lines[k]).into_owned();
                let text = match r.below(4) {
                    0 => text
                        .replacen("\"prev\":\"", "\"prev\":\"A", 1)
                        .replacen("A0", "A", 1),
                    1 => text.to_uppercase(),
                    2 => text.replacen('{', "{\"seq\":0,", 1),
                    _ => text.replacen('{', &format!("{{\"prev\":\"{}\",", log::GENESIS), 1),
                };
                lines[k] = text.into_bytes();
            }
            10 => {
                // An escaped top-level key that reads as `prev` or `seq`, instead of the key
                // or besides it.
                let text = String::from_utf8_lossy(&lines[k]).into_owned();
                let (from, to) = *r.pick(&[
                    ("\"prev\":", "\"pr\\u0065v\":"),
                    ("\"seq\":", "\"s\\u0065q\":"),
                    ("\"prev\":", "\"prev \":"),
                    ("{", "{\"pr\\u0065v\":\"x\","),
                    ("{", "{\"s\\u0065q\":0,"),
                    ("{", "{\"\\u0070rev\":null,"),
                ]);
                lines[k] = text.replacen(from, to, 1).into_bytes();
            }
            _ => {
                // CRLF, or an empty line.
                if r.one_in(2) {
                    lines[k].push(b'\r');
                } else {
                    lines.insert(k, Vec::new());
                }
            }
        }
        Some(join(lines))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        /// Random valid logs, and each with one random change, give the reference's verdict,
        /// lines and error, however the check is cut.
        #[test]
        fn fast_chain_agrees_with_reference(seed in any::<u64>()) {
            let mut r = Rng(seed);
            let mut lines = random_log(&mut r);
            agrees(&join(&lines), &format!("seed {seed}, unchanged"));
            if let Some(bytes) = mutate(&mut lines, &mut r) {
                agrees(&bytes, &format!("seed {seed}"));
            }
        }
    }

    /// A log of many valid lines, canonical or not.
    fn valid_log(r: &mut Rng, n: usize) -> Vec<Vec<u8>> {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        while lines.len() < n {
            let mut extra = random_log(r);
            // Re-chained onto the lines so far: only canonical lines can be re-numbered here.
            for l in &mut extra {
                let mut v: Value = match serde_json::from_slice(l) {
                    Ok(v) => v,
                    Err(_) => continue,
                };
                v["seq"] = lines.len().into();
                v["prev"] = lines
                    .last()
                    .map_or(log::GENESIS.to_string(), |p| hex::encode(Sha256::digest(p)))
                    .into();
                lines.push(log::canonical(&v).into_bytes());
            }
        }
        lines
    }

    /// Every single-byte change of a small log, to each of the scan's bytes.
    #[test]
    fn every_byte_change_agrees() {
        let mut r = Rng(7);
        let lines = valid_log(&mut r, 6);
        let bytes = join(&lines);
        agrees(&bytes, "valid");
        for at in 0..bytes.len() {
            for &b in BYTES {
                let mut m = bytes.clone();
                m[at] = b;
                let expected = reference(&m);
                for (pieces, window) in [(1, WINDOW), (4, 64)] {
                    let found = chain_in(&m, pieces, 1, window);
                    assert_eq!(found, expected, "byte {at} to {b:#x}, {pieces} pieces");
                }
            }
        }
        assert!(bytes.len() > 500, "{}", bytes.len());
    }

    /// Lines the fast scan must leave to serde_json, each as line 2 of an otherwise valid log.
    #[test]
    fn targeted_lines_agree() {
        let first = format!(
            "{{\"event\":\"a\",\"prev\":\"{}\",\"seq\":0}}",
            log::GENESIS
        );
        let h = hex::encode(Sha256::digest(first.as_bytes()));
        let cases = [
            format!("{{\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"a\":{{\"prev\":\"x\",\"seq\":9}},\"prev\":\"{h}\",\"seq\":1}}"),
            format!(
                "{{\"a\":\"\\\"prev\\\":\\\"x\\\",\\\"seq\\\":9\",\"prev\":\"{h}\",\"seq\":1}}"
            ),
            format!("{{\"prev\":\"{h}\",\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":1,\"seq\":1}}"),
            format!("{{\"pr\\u0065v\":\"{h}\",\"seq\":1}}"),
            format!(
                "{{\"pr\\u0065v\":\"{}\",\"prev\":\"{h}\",\"seq\":1}}",
                log::GENESIS
            ),
            format!("{{\"prev\":\"{h}\",\"s\\u0065q\":7,\"seq\":1}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":1,\"s\\u0065q\":1}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":1,\"\\u0070rev\":\"{h}\"}}"),
            format!("{{\"prev\":\"{}\",\"seq\":1}}", h.to_uppercase()),
            format!("{{\"prev\":\"{h}\",\"seq\":1.0}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":01}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":1e0}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":-1}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":\"1\"}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":null}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":18446744073709551617}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":1}} "),
            format!(" {{\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{ \"prev\" : \"{h}\" , \"seq\" : 1 }}"),
            format!("{{\"prev\":\"{h}\",\"seq\":1}}\r"),
            format!("{{\"prev\":\"{h}\",\"seq\":1}}{{}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":1,}}"),
            format!("{{\"prev\":\"{h}\",\"seq\":1"),
            format!("{{\"prev\":\"{h}\"}}"),
            "{\"seq\":1}".to_string(),
            "{\"prev\":null,\"seq\":1}".to_string(),
            format!("{{\"prev\":\"{h}0\",\"seq\":1}}"),
            format!("{{\"prev\":\"{}\",\"seq\":1}}", &h[1..]),
            format!("{{\"x\":\"\\ud800\",\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":\"\\udc00\\ud800\",\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":\"\\ud83d\\ude00\",\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":\"\\u00e9\\u001B\\/\\b\\f\\n\\r\\t\",\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":\"\\x\",\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":\"\\u12\",\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":\"\u{1}\",\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":\"\t\",\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":[1,2,],\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":[1 2],\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":{{\"a\"}},\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":truee,\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":tru,\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":-0.5e-3,\"prev\":\"{h}\",\"seq\":1}}"),
            format!("{{\"x\":1{},\"prev\":\"{h}\",\"seq\":1}}", "0".repeat(400)),
            format!(
                "{{\"x\":{}{},\"prev\":\"{h}\",\"seq\":1}}",
                "[".repeat(63),
                "]".repeat(63)
            ),
            format!(
                "{{\"x\":{}{},\"prev\":\"{h}\",\"seq\":1}}",
                "[".repeat(64),
                "]".repeat(64)
            ),
            format!(
                "{{\"x\":{}{},\"prev\":\"{h}\",\"seq\":1}}",
                "[".repeat(127),
                "]".repeat(127)
            ),
            format!(
                "{{\"x\":{}{},\"prev\":\"{h}\",\"seq\":1}}",
                "[".repeat(128),
                "]".repeat(128)
            ),
            format!(
                "{{\"x\":{}1{},\"prev\":\"{h}\",\"seq\":1}}",
                "{\"a\":".repeat(130),
                "}".repeat(130)
            ),
            format!("{{\"prev\":\"{h}\",\"seq\":1,\"x\":\"检查 😀 \u{2028}\"}}"),
            "[1]".into(),
            "".into(),
            "{}".into(),
        ];
        for case in cases {
            let bytes = [first.as_bytes(), b"\n", case.as_bytes(), b"\n"].concat();
            agrees(&bytes, &case);
        }
        // Bytes that are not UTF-8 (overlong, surrogate, out of range, cut short), before,
        // inside and after the object.
        for bad in [
            &b"\xc0\x80"[..],
            b"\xed\xa0\x80",
            b"\xf5\x80\x80\x80",
            b"\xe4\xb8",
            b"\xff",
        ] {
            for at in [0, 10, 30, 95, 96] {
                let mut line = format!("{{\"x\":\"ab\",\"prev\":\"{h}\",\"seq\":1}}").into_bytes();
                let at = at.min(line.len());
                line.splice(at..at, bad.iter().copied());
                let bytes = [first.as_bytes(), b"\n", &line, b"\n"].concat();
                agrees(&bytes, &format!("{bad:?} at {at}"));
            }
        }
        // Not ending with a newline, empty, only newlines.
        for bytes in [&b""[..], b"\n", b"\n\n", first.as_bytes()] {
            agrees(bytes, "short");
        }
    }

    /// The fast scan reads every line of real logs (the demo draw, with Chinese text), so the
    /// agreement above is not won by always leaving the work to serde_json.
    #[test]
    #[cfg(feature = "fs")]
    fn fast_scan_reads_canonical_lines() {
        let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/tianjin-2020/plan.toml");
        let inputs = crate::io::load_inputs(&plan).unwrap();
        let (_, demo) = crate::commands::draw_inputs(&inputs, "fast scan").unwrap();
        let mut r = Rng(3);
        let random = valid_log(&mut r, 300);
        let lines = demo
            .lines
            .iter()
            .map(|l| l.as_bytes())
            .chain(random.iter().map(Vec::as_slice));
        let mut prev = log::GENESIS.as_bytes().to_vec();
        let mut read = 0;
        for (i, line) in lines.enumerate() {
            let seq = if i < demo.lines.len() {
                i
            } else {
                i - demo.lines.len()
            };
            // A top-level key with an escape (it could be `prev`) and deep nesting are left
            // to serde_json.
            let v: Value = serde_json::from_slice(line).unwrap();
            let v = v.as_object().unwrap();
            fn integers(v: &Value) -> bool {
                match v {
                    Value::Number(n) => n.is_u64(),
                    Value::Array(a) => a.iter().all(integers),
                    Value::Object(m) => m.values().all(integers),
                    _ => true,
                }
            }
            let plain_keys = !v.contains_key("deep")
                && v.values().all(integers)
                && v.keys()
                    .all(|k| !log::canonical(&k.as_str().into()).contains('\\'));
            match prev_and_seq(line) {
                Some(found) => assert_eq!(found, (&prev[..], seq as u64, line.len())),
                None => assert!(!plain_keys, "not read: {}", String::from_utf8_lossy(line)),
            }
            read += usize::from(plain_keys);
            prev = hex::encode(Sha256::digest(line)).into_bytes();
            if i + 1 == demo.lines.len() {
                prev = log::GENESIS.as_bytes().to_vec();
            }
        }
        assert!(read > demo.lines.len() + 200, "{read}");
    }

    /// Logs above 1 MiB, checked on several threads by [`chain`] itself, with changes at
    /// random lines and at the lines where pieces start.
    #[test]
    fn large_logs_agree() {
        let mut r = Rng(11);
        let lines = valid_log(&mut r, 12_000);
        let bytes = join(&lines);
        assert!(bytes.len() > 1 << 20, "{} bytes", bytes.len());
        assert_eq!(chain(&bytes), reference(&bytes));
        for _ in 0..6 {
            let mut m = lines.clone();
            let bytes = mutate(&mut m, &mut r).unwrap();
            assert_eq!(chain(&bytes), reference(&bytes));
        }
        // The first line of a piece with another `seq` (its guessed start), the line before.
        let body = &bytes[..bytes.len() - 1];
        let cut = memchr::memchr(b'\n', &body[body.len() / 8..]).unwrap() + body.len() / 8 + 1;
        for (at, to) in [(cut, "\"seq\":1,"), (cut - 2, "1"), (cut, "\"seq\":99999,")] {
            let mut m = bytes.clone();
            if at == cut {
                m.splice(at + 1..at + 1, to.bytes());
            } else {
                m.splice(at..at, to.bytes());
            }
            assert_eq!(chain(&m), reference(&m), "at {at}: {to}");
        }
    }

    #[test]
    fn line_sha256_is_sha256() {
        let mut r = Rng(5);
        let data: Vec<u8> = (0..5000).map(|_| r.next() as u8).collect();
        for len in (0..=300).chain([511, 512, 513, 1000, 4096, 5000]) {
            assert_eq!(
                line_sha256(&data[..len]),
                <Hash>::from(Sha256::digest(&data[..len]))
            );
        }
    }
}
