//! Unified social credit codes (统一社会信用代码, GB 32100-2015).

/// The 31 symbols a code may contain, in value order (no I, O, S, V, Z).
pub const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1–17 for the check character (GB 32100-2015).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a string is not a unified social credit code at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeError {
    /// Not 18 characters long.
    Length(usize),
    /// A character outside [`CHARSET`] at a 1-based position.
    Character {
        /// 1-based position.
        position: usize,
        /// The offending character.
        found: char,
    },
}

impl std::fmt::Display for CodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodeError::Length(n) => write!(f, "{n} characters instead of 18"),
            CodeError::Character { position, found } => write!(
                f,
                "character {found:?} at position {position} is not one of 0-9 A-H J-N P-R T U W-Y"
            ),
        }
    }
}

/// Value of each byte in [`CHARSET`], or 255: a table, since every record's id goes through it.
const VALUES: [u8; 256] = {
    let mut t = [255u8; 256];
    let mut i = 0;
    while i < CHARSET.len() {
        t[CHARSET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

fn value(c: u8) -> Option<u32> {
    match VALUES[c as usize] {
        255 => None,
        v => Some(u32::from(v)),
    }
}

/// Checks a code's form and returns whether its check character (position 18) is right.
///
/// A wrong length or a character outside the set is an error. A wrong check character is
/// not: codes issued in early pilot areas fail the check yet are real, so the caller keeps
/// them and records a warning.
///
/// # Errors
///
/// [`CodeError::Length`] when the code is not 18 characters long; [`CodeError::Character`] for the
/// first character outside [`CHARSET`]. A wrong check character is `Ok(false)`, not an error.
///
/// ```
/// use dualdraw::directory::uscc::check;
/// assert_eq!(check("91120116MA05JKLM8C"), Ok(false)); // right form, wrong check character
/// assert!(check("9112011").is_err());
/// ```
pub fn check(code: &str) -> Result<bool, CodeError> {
    if code.len() != 18 || !code.is_ascii() {
        let n = code.chars().count();
        if n != 18 {
            return Err(CodeError::Length(n));
        }
    }
    let mut sum = 0u32;
    let bytes = code.as_bytes();
    // The common case, 18 ASCII characters, without decoding characters.
    if bytes.len() == 18 {
        let mut ok = true;
        for (i, &b) in bytes[..17].iter().enumerate() {
            match value(b) {
                Some(v) => sum += v * WEIGHTS[i],
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && value(bytes[17]).is_some() {
            return Ok(bytes[17] == expected_check(sum));
        }
        sum = 0;
    }
    for (i, c) in code.chars().enumerate() {
        let v = if c.is_ascii() { value(c as u8) } else { None };
        let Some(v) = v else {
            return Err(CodeError::Character {
                position: i + 1,
                found: c,
            });
        };
        if i < 17 {
            sum += v * WEIGHTS[i];
        }
    }
    Ok(bytes[17] == expected_check(sum))
}

fn expected_check(sum: u32) -> u8 {
    CHARSET[((31 - sum % 31) % 31) as usize]
}

/// The check character a code's first 17 characters call for, if they are all in the set.
///
/// ```
/// assert_eq!(dualdraw::directory::uscc::check_character("91120116MA05JKLM8"), Some('J'));
/// ```
pub fn check_character(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (i, b) in first17.bytes().enumerate() {
        sum += value(b)? * WEIGHTS[i];
    }
    Some(expected_check(sum) as char)
}

/// The `uscc-check` warning of SPEC.md §6.2 for `code` (18 valid characters whose check
/// character is wrong): an early pilot code, kept, and named in the log.
pub(crate) fn pilot_warning(code: &str, file: &std::path::Path, line: u64) -> super::Warning {
    let want = check_character(&code[..17]).unwrap_or('?');
    super::Warning {
        code: "uscc-check",
        source: "targets",
        id: code.to_string(),
        message: format!(
            "check character is {:?} but GB 32100-2015 gives {want:?}; kept as an early pilot code",
            &code[17..]
        ),
        file: file.to_path_buf(),
        line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_code() {
        // A widely published real code (Tencent Technology (Shenzhen)).
        assert_eq!(check("9144030071526726XG"), Ok(true));
        assert_eq!(check_character("9144030071526726X"), Some('G'));
    }

    #[test]
    fn wrong_check_is_not_an_error() {
        assert_eq!(check("9144030071526726XH"), Ok(false));
    }

    #[test]
    fn form_errors() {
        assert_eq!(check("91440300"), Err(CodeError::Length(8)));
        assert_eq!(
            check("9144030071526726XI"),
            Err(CodeError::Character {
                position: 18,
                found: 'I'
            })
        );
        assert!(matches!(
            check("9144030071526726xg"),
            Err(CodeError::Character { position: 17, .. })
        ));
        assert!(matches!(
            check("914403007152672６XG"),
            Err(CodeError::Character { position: 16, .. })
        ));
    }
}
