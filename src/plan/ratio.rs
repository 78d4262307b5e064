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

impl FromStr for Ratio {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (num, scale) = match s.strip_suffix('%') {
            Some(p) => (p.trim(), Decimal::ONE_HUNDRED),
            None => (s, Decimal::ONE),
        };
        // Plain decimal digits only: no exponent, sign or other syntax a float parser allows.
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(RATIO_EXPECTED);
        }
        let d = Decimal::from_str_exact(num).map_err(|_| RATIO_EXPECTED)?;
        let r = d.checked_div(scale).ok_or(RATIO_EXPECTED)?;
        if r <= Decimal::ZERO || r > Decimal::ONE {
            return Err(RATIO_EXPECTED);
        }
        Ok(Ratio(r))
    }
}

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
            "0%", "0", "101%", "1.5", "-5%", "abc", "", "%", "1e-2", "5 %%",
        ] {
            assert!(s.parse::<Ratio>().is_err(), "{s}");
        }
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
