//! A log (or proof) converted on its way to the reader: every line ending in CRLF (a Windows
//! download, git's `autocrlf`, a text editor) or a byte-order mark in front. Its hashes no
//! longer match, but nobody forged it; it is reported as converted (an input error) so that a
//! citizen is not told the bureau tampered with its log. The bytes are never repaired silently:
//! the hash check stays as strict as SPEC.md says.

/// How the bytes were converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversion {
    /// Every line ends in CR LF.
    pub crlf: bool,
    /// The bytes begin with a UTF-8 byte-order mark.
    pub bom: bool,
}

impl Conversion {
    /// What was done, in words: `CRLF line ends`, `a byte-order mark`, or both.
    pub fn describe(&self) -> &'static str {
        match (self.crlf, self.bom) {
            (true, true) => "CRLF line ends and a byte-order mark",
            (true, false) => "CRLF line ends",
            _ => "a byte-order mark",
        }
    }
}

const BOM: &[u8] = b"\xef\xbb\xbf";

/// The conversion `bytes` went through, if any: a BOM at the start, or CR LF at the end of
/// every line (at least one line, each LF preceded by CR). A log with a stray CR in one line
/// is not "converted": that is an edit, which the hash check reports.
pub fn detect(bytes: &[u8]) -> Option<Conversion> {
    let bom = bytes.starts_with(BOM);
    let lfs = memchr::memchr_iter(b'\n', bytes);
    let mut lines = 0usize;
    let mut crlf = true;
    for at in lfs {
        lines += 1;
        if at == 0 || bytes[at - 1] != b'\r' {
            crlf = false;
            break;
        }
    }
    let crlf = crlf && lines > 0;
    (bom || crlf).then_some(Conversion { crlf, bom })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_are_told_apart_from_edits() {
        let c = |crlf, bom| Some(Conversion { crlf, bom });
        assert_eq!(detect(b"{\"a\":1}\r\n{\"b\":2}\r\n"), c(true, false));
        assert_eq!(detect(b"\xef\xbb\xbf{\"a\":1}\n"), c(false, true));
        assert_eq!(detect(b"\xef\xbb\xbf{\"a\":1}\r\n"), c(true, true));
        // One CR only, or none: not a conversion.
        assert_eq!(detect(b"{\"a\":1}\r\n{\"b\":2}\n"), None);
        assert_eq!(detect(b"{\"a\":1}\n"), None);
        assert_eq!(detect(b""), None);
        assert_eq!(detect(b"\r\n"), c(true, false));
    }
}
