//! SHA-256 straight from its compression function (FIPS 180-4), for the hot paths that hash
//! many short messages of a known shape: tickets, Merkle nodes, log lines. The general-purpose
//! hasher's buffering costs about as much as a compression there. Every user is tested equal
//! to the plain `sha2::Sha256` definition.

/// A digest. (`merkle::Hash` is the same type; not imported, as merkle builds on this module.)
type Hash = [u8; 32];

/// SHA-256's initial hash value, FIPS 180-4 §5.3.3.
pub(crate) const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Runs the compression function over whole 64-byte blocks, from `state`.
pub(crate) fn compress(state: &mut [u32; 8], blocks: &[[u8; 64]]) {
    sha2::block_api::compress256(state, blocks);
}

/// The digest a state stands for, once every padded block has been compressed into it.
pub(crate) fn digest(state: [u32; 8]) -> Hash {
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// SHA-256 of a message already padded to whole blocks (FIPS 180-4 §5.1.1).
pub(crate) fn padded(blocks: &[[u8; 64]]) -> Hash {
    let mut state = IV;
    compress(&mut state, blocks);
    digest(state)
}

/// `SHA-256(0x00 || m)`: the RFC 9162 §2.1.1 leaf hash of `m`, with the one prefix byte put in
/// the first block here, so that a long leaf (a log line) is hashed at bulk speed.
pub(crate) fn sha256_leaf(m: &[u8]) -> Hash {
    let mut first = [0u8; 64];
    let n = m.len().min(63);
    first[1..1 + n].copy_from_slice(&m[..n]);
    if m.len() < 63 {
        // The whole message and its padding fit in the blocks `sha256_after` pads.
        let mut state = IV;
        let len = m.len() + 1;
        let mut last = [[0u8; 64]; 2];
        last[0][..len].copy_from_slice(&first[..len]);
        last[0][len] = 0x80;
        let k = if len < 56 { 1 } else { 2 };
        last[k - 1][56..].copy_from_slice(&(len as u64 * 8).to_be_bytes());
        compress(&mut state, &last[..k]);
        return digest(state);
    }
    let mut state = IV;
    compress(&mut state, &[first]);
    sha256_after(state, 64, &m[63..])
}

/// Continues SHA-256 from `state`, which has absorbed `done` bytes (a multiple of 64), over the
/// rest of the message `m`, and pads (FIPS 180-4 §5.1.1); blocks are copied eight at a time so
/// the compression function gets runs of blocks, not one call per block.
fn sha256_after(mut state: [u32; 8], done: u64, m: &[u8]) -> Hash {
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
        compress(&mut state, &blocks[..n]);
    }
    let rest = chunks.remainder();
    let mut last = [[0u8; 64]; 2];
    last[0][..rest.len()].copy_from_slice(rest);
    last[0][rest.len()] = 0x80;
    let n = if rest.len() < 56 { 1 } else { 2 };
    last[n - 1][56..].copy_from_slice(&((done + m.len() as u64) * 8).to_be_bytes());
    compress(&mut state, &last[..n]);
    digest(state)
}
