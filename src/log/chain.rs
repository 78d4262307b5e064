//! The hash chain (SPEC.md §6, §7 step 1): writing events as chained canonical lines, and
//! checking the chain of a log's bytes, fast and on several cores for a large log.

use serde_json::{Value, json};

use super::scan::{fast_line, prev_and_seq};
use super::{Entry, GENESIS, Log, leaf_hash};
use crate::error::VerifyError;
use crate::hash::sha256_leaf as line_sha256;
use crate::merkle::{Hash, TreeBuilder};
use crate::pool;

/// Writes a JSON value in the canonical form of SPEC.md §6.1.
pub fn canonical(v: &Value) -> String {
    let mut s = String::new();
    write_canonical(v, &mut s);
    s
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            // Sorted here, not by the map type, so a dependency enabling serde_json's
            // `preserve_order` cannot change a single byte of the log.
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Chains events: adds `seq` and `prev` to each and serializes it canonically.
pub fn chain(events: impl IntoIterator<Item = Value>) -> Log {
    let mut log = Log { lines: Vec::new() };
    log.append(events);
    log
}

impl Log {
    /// Appends events to the chain, continuing `seq` and `prev` from the last line.
    /// Events are taken one at a time, so a lazy sequence (e.g. a draw's events) is never held
    /// whole in memory.
    pub fn append(&mut self, events: impl IntoIterator<Item = Value>) {
        for mut e in events {
            let prev = self
                .lines
                .last()
                .map_or_else(|| GENESIS.to_string(), |l| hex::encode(leaf_hash(l)));
            if let Value::Object(m) = &mut e {
                m.insert("prev".into(), Value::String(prev));
                m.insert("seq".into(), json!(self.lines.len()));
            }
            self.lines.push(canonical(&e));
        }
    }
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

/// Bytes validated as UTF-8 at once and then checked line by line while they are in cache.
const WINDOW: usize = 1 << 16;

/// How the lines of one piece of a log fared.
enum Piece {
    /// Every line passed, and there were as many as the piece was given slots; with the roots
    /// of the complete subtrees of the log's tree inside the piece, when the head was asked for.
    Passed(Option<TreeBuilder>),
    /// A line failed; this is the first failure in the piece.
    Failed(VerifyError),
    /// The piece has more or fewer lines than slots: the line numbers it was given are wrong,
    /// so its verdict means nothing.
    Miscounted,
    /// Not checked, because an earlier piece failed.
    Skipped,
}

/// Checks the lines of `piece` (lines of a log joined by LF), the first of them 0-based line
/// `first`, given the hash of the line before them; puts each line in its slot of `out`, and
/// its leaf hash into the piece's run of the Merkle tree when `tree` is set.
///
/// UTF-8 is validated a window of lines at a time: a line inside the valid prefix is valid on
/// its own (lines are cut at an ASCII byte), and the line holding the first invalid byte is
/// invalid on its own too, so [`check_line`] reports it.
fn check_piece<'a>(
    piece: &'a [u8],
    first: usize,
    mut prev_hash: Hash,
    out: &mut [Entry<'a>],
    window: usize,
    tree: bool,
) -> Piece {
    let mut run = tree.then(|| TreeBuilder::starting_at(first as u64));
    let mut slots = out.iter_mut().enumerate();
    let mut start = 0;
    loop {
        // The window: whole lines from `start`, ending at a newline or the end of the piece.
        let end = match piece.get(start + window..) {
            Some(after) => memchr::memchr(b'\n', after).map_or(piece.len(), |e| start + window + e),
            None => piece.len(),
        };
        let bytes = &piece[start..end];
        // simdutf8's validation is several times std's on long ASCII text; its verdict is the
        // same, and the valid prefix of an invalid window is std's to find.
        let text = match simdutf8::basic::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => match std::str::from_utf8(bytes) {
                Ok(t) => t,
                // The valid prefix re-validates; should it not, every line goes to `check_line`.
                Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
            },
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
            prev_hash = line_sha256(line.as_bytes());
            *slot = Entry {
                seq: i as u64,
                line,
                leaf: prev_hash,
            };
            if let Some(run) = &mut run {
                run.push_leaf_hash(prev_hash);
            }
            at += line.len();
            if at == bytes.len() {
                break;
            }
            at += 1;
        }
        if end == piece.len() {
            return match slots.next() {
                None => Piece::Passed(run),
                Some(_) => Piece::Miscounted,
            };
        }
        start = end + 1;
    }
}

/// Checks the hash chain of a log without interpreting its events, and returns its lines, and
/// the RFC 9162 tree head over them when `tree` is set.
///
/// The log must be non-empty and end with a newline; each line must be UTF-8 and a JSON object
/// whose `prev` is the lowercase hex SHA-256 of the previous line (64 zeros on the first) and
/// whose `seq` is its 0-based number. The first failing line is reported. A large log is cut
/// at newlines into pieces that are checked on all available cores, each piece starting from
/// the hash of the last line of the piece before it; the verdict and the error are those of
/// checking line by line.
///
/// The tree head is built in the same pass: each piece keeps the roots of the complete
/// subtrees of RFC 9162 §2.1.1 that lie inside it (a tree is a left-to-right sequence of
/// complete subtrees), and the pieces' roots are joined in order, O(log n) hashes each.
///
/// # Errors
///
/// The first failing line, as a `VerifyError`: an empty log, a line that is not UTF-8 or
/// not a JSON object, a wrong `seq` or a `prev` that is not the hash of the line before.
///
/// ```
/// let log = dualdraw::log::chain(vec![serde_json::json!({"event": "a"})]);
/// assert_eq!(dualdraw::log::read(&log.to_bytes()).unwrap().len(), 1);
/// assert!(dualdraw::log::read(b"{}\n").is_err());
/// ```
pub(crate) fn check_chain(bytes: &[u8], tree: bool) -> Result<Checked<'_>, VerifyError> {
    // Below 1 MiB one piece; above it, 8 pieces a thread so that a busy core holds up little.
    if bytes.len() < 1 << 20 {
        return chain_in(bytes, 1, 1, WINDOW, tree);
    }
    let threads = pool::threads().min(16);
    chain_in(bytes, threads * 8, threads, WINDOW, tree)
}

/// The lines of a log whose chain passed, and the tree head over them if it was asked for.
pub(crate) type Checked<'a> = (Vec<Entry<'a>>, Option<Hash>);

/// [`check_chain`] with the log cut into about `pieces` pieces, checked on `threads` threads, each
/// validating UTF-8 `window` bytes at a time.
fn chain_in(
    bytes: &[u8],
    pieces: usize,
    threads: usize,
    window: usize,
    tree: bool,
) -> Result<Checked<'_>, VerifyError> {
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
    if let Some(starts) = guess_starts(&parts)
        && let Some(verdict) = check_parts(&parts, &starts, threads, window, tree)
    {
        return verdict;
    }
    let counts = pool::par_map(parts.clone(), threads, |p| {
        memchr::memchr_iter(b'\n', p).count() + 1
    });
    let starts: Vec<usize> = std::iter::once(0)
        .chain(counts.iter().scan(0, |n, c| {
            *n += c;
            Some(*n)
        }))
        .collect();
    check_parts(&parts, &starts, threads, window, tree)
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
    tree: bool,
) -> Option<Result<Checked<'a>, VerifyError>> {
    let empty = Entry {
        seq: 0,
        line: "",
        leaf: [0; 32],
    };
    let mut lines = vec![empty; starts[starts.len() - 1]];
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
    let results = pool::par_map(jobs, threads, |(j, part, first, before, mine)| {
        use std::sync::atomic::Ordering::Relaxed;
        if failed.load(Relaxed) < j {
            return Piece::Skipped;
        }
        let start = before.map_or([0; 32], line_sha256);
        let r = check_piece(part, first, start, mine, window, tree);
        if matches!(r, Piece::Failed(_)) {
            failed.fetch_min(j, Relaxed);
        }
        r
    });
    // In order: the pieces before a failure all passed, so their line numbers were right, and
    // their runs of the tree follow one another.
    let mut whole = TreeBuilder::new();
    for r in results {
        match r {
            Piece::Passed(run) => {
                if let Some(run) = run {
                    whole.append(&run);
                }
            }
            Piece::Failed(e) => return Some(Err(e)),
            Piece::Miscounted => return None,
            Piece::Skipped => unreachable!("a piece is skipped only after a piece that failed"),
        }
    }
    Some(Ok((lines, tree.then(|| whole.head()))))
}

/// The fast chain check against the definition: the chain check as it was before the fast
/// path (sequential, one serde_json parse per line), kept here as the reference.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::log;
    use proptest::prelude::*;
    use sha2::{Digest as _, Sha256};

    #[derive(serde::Deserialize)]
    struct RefMeta<'a> {
        #[serde(borrow, default)]
        prev: Option<std::borrow::Cow<'a, str>>,
        #[serde(default)]
        seq: Option<u64>,
    }

    /// The check as the library runs it, with the tree head.
    fn chain(bytes: &[u8]) -> Result<Checked<'_>, VerifyError> {
        check_chain(bytes, true)
    }

    /// The reference's lines as entries, and the tree head over their leaf hashes by
    /// [`crate::merkle::head_of_leaf_hashes`] (tested against RFC 9162's definition there).
    fn reference(bytes: &[u8]) -> Result<Checked<'_>, VerifyError> {
        let lines = reference_lines(bytes)?;
        let leaves: Vec<Hash> = lines.iter().map(|&(_, h)| h).collect();
        let entries = (0..)
            .zip(lines)
            .map(|(seq, (line, leaf))| Entry { seq, line, leaf })
            .collect();
        Ok((entries, Some(crate::merkle::head_of_leaf_hashes(&leaves))))
    }

    /// `expected` as the check gives it without the tree head.
    fn headless<'a>(
        expected: &Result<Checked<'a>, VerifyError>,
    ) -> Result<Checked<'a>, VerifyError> {
        expected.clone().map(|(entries, _)| (entries, None))
    }

    /// The reference: SPEC.md §7 step 1 line by line, the code of the chain check before the
    /// fast path, without its two threads.
    fn reference_lines(bytes: &[u8]) -> Result<Vec<(&str, Hash)>, VerifyError> {
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
            prev_hash = leaf(text.as_bytes());
            out.push((text, prev_hash));
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
                chain_in(bytes, pieces, threads, window, true),
                expected,
                "{what}: {pieces} pieces, {threads} threads, window {window}\n{}",
                String::from_utf8_lossy(bytes)
            );
            assert_eq!(
                chain_in(bytes, pieces, threads, window, false),
                headless(&expected),
                "{what}: {pieces} pieces, {threads} threads, window {window}, no head"
            );
        }
        assert_eq!(chain(bytes), expected, "{what}");
        assert_eq!(check_chain(bytes, false), headless(&expected), "{what}");
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
                .map_or(log::GENESIS.to_string(), |l| hex::encode(leaf(l)));
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
                    .map_or(log::GENESIS.to_string(), |p| hex::encode(leaf(p)))
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
                    let found = chain_in(&m, pieces, 1, window, true);
                    assert_eq!(found, expected, "byte {at} to {b:#x}, {pieces} pieces");
                }
            }
        }
        assert!(bytes.len() > 500, "{}", bytes.len());
    }

    /// The tree head built with the chain check is `head_of_leaf_hashes` of the lines' leaf
    /// hashes for logs of 1 to 70 lines and around powers of two, however they are cut into
    /// pieces (cuts falling at every line, inside and between complete subtrees).
    #[test]
    fn fused_head_is_the_head_of_the_leaves() {
        let mut r = Rng(13);
        let all = valid_log(&mut r, 260);
        for n in (1..=70).chain([127, 128, 129, 255, 256, 257]) {
            let bytes = join(&all[..n]);
            let leaves: Vec<Hash> = all[..n].iter().map(|l| leaf(l)).collect();
            let want = Some(crate::merkle::head_of_leaf_hashes(&leaves));
            for pieces in (1..=9).chain([16, 31, n, n + 3]) {
                for threads in [1, 2] {
                    let (entries, head) = chain_in(&bytes, pieces, threads, 97, true).unwrap();
                    assert_eq!(entries.len(), n);
                    assert_eq!(head, want, "{n} lines, {pieces} pieces, {threads} threads");
                }
            }
        }
    }

    /// Lines the fast scan must leave to serde_json, each as line 2 of an otherwise valid log.
    #[test]
    fn targeted_lines_agree() {
        let first = format!(
            "{{\"event\":\"a\",\"prev\":\"{}\",\"seq\":0}}",
            log::GENESIS
        );
        let h = hex::encode(leaf(first.as_bytes()));
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
            prev = hex::encode(leaf(line)).into_bytes();
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

    /// The RFC 9162 §2.1.1 leaf hash by its definition: SHA-256(0x00 || line).
    fn leaf(line: &[u8]) -> Hash {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(line);
        h.finalize().into()
    }

    #[test]
    fn line_hash_is_the_leaf_hash() {
        let mut r = Rng(5);
        let data: Vec<u8> = (0..5000).map(|_| r.next() as u8).collect();
        for len in (0..=300).chain([511, 512, 513, 1000, 4096, 5000]) {
            assert_eq!(line_sha256(&data[..len]), leaf(&data[..len]), "len {len}");
        }
    }
}
