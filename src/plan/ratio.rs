//! Exact sampling ratios: "at least X%" rounds up, computed in decimal, never in floating point.

use rust_decimal::Decimal;
use std::str::FromStr;

/// A ratio in (0, 1], held as an exact decimal.
///
/// ```
/// use dualdraw::plan::Ratio;
/// let r: Ratio = "7%".parse().unwrap();
/// assert_eq!(r.of(100), 7); // 0.07 * 100 in floating point is 7.000000000000001
/// assert_eq!(r.of(101), 8); // at least 7% of 101 is 7.07, so 8
/// assert_eq!("0.5".parse::<Ratio>().unwrap().of(3), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio(Decimal);

impl Ratio {
    /// The smallest whole number of enterprises that is at least this share of `pool`.
    pub fn of(self, pool: u64) -> u64 {
        let k = (Decimal::from(pool) * self.0).ceil();
        // The ratio is at most 1, so k <= pool and the conversion cannot fail.
        u64::try_from(k).unwrap_or(pool).min(pool)
    }

    /// The ratio as a decimal fraction, e.g. `0.07`.
    pub fn fraction(self) -> Decimal {
        self.0
    }
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}%", (self.0 * Decimal::ONE_HUNDRED).normalize())
    }
}

/// What a ratio string must look like.
pub const RATIO_EXPECTED: &str =
    "a ratio above 0 and at most 100%, written as a string such as \"7%\", \"2.5%\" or \"0.07\"";

/// The most digits after the point a ratio may need (SPEC.md §4.2): what a 96-bit decimal holds.
pub const MAX_DECIMALS: usize = 28;

impl FromStr for Ratio {
    type Err = &'static str;

    /// SPEC.md §4.2: trim; an optional `%` (then trim again); digits, optionally `.` and more
    /// digits (digits on both sides of a point: not `.5`, not `5.`); exactly, with at most
    /// `MAX_DECIMALS` digits after the point once a `%` has moved it two places (trailing
    /// zeros do not count); above 0 and at most 1. Never rounded.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (num, percent) = match s.strip_suffix('%') {
            Some(p) => (p.trim(), true),
            None => (s, false),
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || (num.contains('.') && !digits(frac)) {
            let only_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
            if num.contains('.') && only_digits(int) && only_digits(frac) && num.len() > 1 {
                return Err(RATIO_POINT);
            }
            return Err(RATIO_EXPECTED);
        }
        let frac = frac.trim_end_matches('0');
        let int = int.trim_start_matches('0');
        // At most 100 (with `%`) or 1: more than three integer digits is out of range.
        if int.len() > 3 {
            return Err(RATIO_EXPECTED);
        }
        let scale = frac.len() + if percent { 2 } else { 0 };
        if scale > MAX_DECIMALS {
            return Err(RATIO_TOO_PRECISE);
        }
        // int (<= 3 digits) and frac (<= 28 digits) make at most 31 digits: fits an i128.
        let all = format!("{int}{frac}");
        let mantissa: i128 = if all.is_empty() {
            0
        } else {
            all.parse().map_err(|_| RATIO_EXPECTED)?
        };
        let r = Decimal::try_from_i128_with_scale(mantissa, scale as u32)
            .map_err(|_| RATIO_EXPECTED)?;
        if r <= Decimal::ZERO || r > Decimal::ONE {
            return Err(RATIO_EXPECTED);
        }
        Ok(Ratio(r))
    }
}

/// Why `.5` or `5.` is refused.
pub const RATIO_POINT: &str = "a ratio with digits on both sides of its point, such as \"0.5\" or \"5%\" (not \".5\" or \"5.\")";

/// Why a ratio with too many decimals is refused.
pub const RATIO_TOO_PRECISE: &str =
    "a ratio with at most 28 digits after the point (at most 26 before a `%`); it is never rounded";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_is_exact() {
        let r: Ratio = "7%".parse().unwrap();
        assert_eq!(r.of(100), 7);
        assert_eq!(r.of(0), 0);
        assert_eq!(r.of(1), 1);
        assert_eq!("100%".parse::<Ratio>().unwrap().of(12), 12);
        assert_eq!("0.1%".parse::<Ratio>().unwrap().of(1000), 1);
        assert_eq!("0.1%".parse::<Ratio>().unwrap().of(1001), 2);
        assert_eq!("3%".parse::<Ratio>().unwrap().to_string(), "3%");
    }

    #[test]
    fn bad_ratios() {
        for s in [
            "0%",
            "0",
            "101%",
            "1.5",
            "-5%",
            "abc",
            "",
            "%",
            "1e-2",
            "5 %%",
            ".5",
            "5.",
            "5.%",
            ".5%",
            ".",
            "1.0.0",
            "+5%",
            "0x5",
            "1,5",
            "５%",
            "0000",
            "1000%",
            "100.0001%",
        ] {
            assert!(s.parse::<Ratio>().is_err(), "{s}");
        }
    }

    #[test]
    fn digits_on_both_sides_of_a_point() {
        for s in [".5", "5.", " .5 % ", "5.%", "100.%"] {
            assert_eq!(s.parse::<Ratio>(), Err(RATIO_POINT), "{s}");
        }
        assert_eq!("0.5".parse::<Ratio>().unwrap().to_string(), "50%");
        assert_eq!("05%".parse::<Ratio>().unwrap().to_string(), "5%");
        assert_eq!(" 12.50 % ".parse::<Ratio>().unwrap().to_string(), "12.5%");
        assert_eq!("000100.000%".parse::<Ratio>().unwrap().to_string(), "100%");
        assert_eq!("1.000".parse::<Ratio>().unwrap().of(7), 7);
    }

    /// A ratio needing more than 28 decimals is refused, not rounded (rust_decimal would round
    /// `0.000000000000000000000000001%` to 0 or fail with an underflow).
    #[test]
    fn precision_is_explicit() {
        let max = format!("0.{}1", "0".repeat(27)); // 28 decimals
        let r: Ratio = max.parse().unwrap();
        assert_eq!(r.fraction().scale(), 28);
        assert_eq!(r.of(u64::MAX), 1);
        let pct = format!("0.{}1%", "0".repeat(25)); // 26 decimals before %, 28 after
        assert_eq!(pct.parse::<Ratio>().unwrap(), r);
        for too_many in [
            format!("0.{}1", "0".repeat(28)),
            format!("0.{}1%", "0".repeat(26)),
            format!("0.{}", "3".repeat(29)),
            format!("99.{}%", "9".repeat(27)),
        ] {
            assert_eq!(
                too_many.parse::<Ratio>(),
                Err(RATIO_TOO_PRECISE),
                "{too_many}"
            );
        }
        // Trailing zeros are not needed digits.
        let long_zeros = format!("0.5{}", "0".repeat(40));
        assert_eq!(long_zeros.parse::<Ratio>().unwrap().to_string(), "50%");
        // Leading zeros do not overflow.
        let lead = format!("{}7%", "0".repeat(60));
        assert_eq!(lead.parse::<Ratio>().unwrap().to_string(), "7%");
        let all_nines = format!("0.{}", "9".repeat(28));
        assert_eq!(all_nines.parse::<Ratio>().unwrap().of(10), 10);
    }

    proptest! {
        /// k is the least integer with k >= pool * p / 10^s, checked in integer arithmetic.
        #[test]
        fn ceil_matches_integer_arithmetic(p in 1u64..=10_000, pool in 0u64..1_000_000_000) {
            // p is in hundredths of a percent: ratio = p / 10_000.
            let s = format!("{}.{:02}%", p / 100, p % 100);
            let r: Ratio = s.parse().unwrap();
            let want = (pool as u128 * p as u128).div_ceil(10_000) as u64;
            prop_assert_eq!(r.of(pool), want);
        }
    }
}
