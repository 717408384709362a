//! Kubernetes resource quantities (`500m`, `1Gi`, `1.5`, `2e3`) for the CEL `quantity` library.
//!
//! Owns parsing a quantity into an exact number of nano-units and comparing and adding them. Knows
//! nothing about CEL values.

/// A quantity as an exact count of 10⁻⁹ units (the smallest step Kubernetes keeps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    /// The value times 10⁹, rounded up as Kubernetes rounds sub-nano fractions.
    pub nanos: i128,
}

const NANO: i128 = 1_000_000_000;

impl Quantity {
    /// Parses the canonical and the accepted forms of a Kubernetes quantity; `None` when it is not
    /// one (or is out of range).
    pub fn parse(s: &str) -> Option<Quantity> {
        let (negative, rest) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_end);
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
            return None;
        }
        // (multiplier numerator, power of ten) for the suffix.
        let (binary, exp10): (i128, i32) = match suffix {
            "" => (1, 0),
            "n" => (1, -9),
            "u" => (1, -6),
            "m" => (1, -3),
            "k" => (1, 3),
            "M" => (1, 6),
            "G" => (1, 9),
            "T" => (1, 12),
            "P" => (1, 15),
            "E" => (1, 18),
            "Ki" => (1 << 10, 0),
            "Mi" => (1 << 20, 0),
            "Gi" => (1 << 30, 0),
            "Ti" => (1 << 40, 0),
            "Pi" => (1 << 50, 0),
            "Ei" => (1 << 60, 0),
            e if e.starts_with(['e', 'E']) => (1, e[1..].parse::<i32>().ok()?),
            _ => return None,
        };
        if !(-40..=40).contains(&exp10) {
            return None;
        }
        // digits as an integer, and the power of ten that scales it to nano-units.
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 30 {
            return None;
        }
        let mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        let scale = exp10 + 9 - frac_part.len() as i32;
        let value = mantissa.checked_mul(binary)?;
        let nanos = if scale >= 0 {
            value.checked_mul(10i128.checked_pow(scale as u32)?)?
        } else {
            let div = 10i128.checked_pow((-scale) as u32)?;
            // Sub-nano fractions round up (away from zero), as Kubernetes does.
            value / div + i128::from(value % div != 0)
        };
        if nanos > i128::from(i64::MAX) * NANO {
            return None;
        }
        Some(Quantity {
            nanos: if negative { -nanos } else { nanos },
        })
    }

    /// Whether it is a whole number.
    pub fn is_integer(self) -> bool {
        self.nanos % NANO == 0
    }

    /// The whole number, when it is one and fits an i64.
    pub fn as_integer(self) -> Option<i64> {
        if self.is_integer() {
            i64::try_from(self.nanos / NANO).ok()
        } else {
            None
        }
    }

    /// The nearest float.
    pub fn as_float(self) -> f64 {
        self.nanos as f64 / NANO as f64
    }

    /// The sum; `None` on overflow.
    pub fn add(self, other: Quantity) -> Option<Quantity> {
        self.nanos
            .checked_add(other.nanos)
            .map(|nanos| Quantity { nanos })
    }

    /// A whole number as a quantity.
    pub fn from_int(i: i64) -> Quantity {
        Quantity {
            nanos: i128::from(i) * NANO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kubernetes_forms() {
        let q = |s: &str| Quantity::parse(s).map(|q| q.nanos);
        assert_eq!(q("1"), Some(NANO));
        assert_eq!(q("500m"), Some(NANO / 2));
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("1Gi"), q("1024Mi"));
        assert_eq!(q("1.5"), Some(1_500_000_000));
        assert_eq!(q("2e3"), q("2k"));
        assert_eq!(q("-1k"), Some(-1000 * NANO));
        assert_eq!(q(".5"), Some(NANO / 2));
        assert_eq!(q("1n"), Some(1));
        assert!(Quantity::parse("1.5Gi").is_some());
        for bad in [
            "", "Gi", "1.2.3", "1 Gi", "1gi", "abc", "1e", "--1", "1e999",
        ] {
            assert_eq!(q(bad), None, "{bad}");
        }
        assert!(Quantity::parse("2").unwrap() > Quantity::parse("1500m").unwrap());
        assert_eq!(Quantity::parse("3").unwrap().as_integer(), Some(3));
        assert_eq!(Quantity::parse("1500m").unwrap().as_integer(), None);
    }
}
