//! Kubernetes resource quantities ("250m", "512Mi", "8"), as far as describe needs them: sums
//! and shares of requests and limits, printed in the canonical form the API server uses.

/// A quantity in thousandths of its unit (millicores, millibytes), and whether it was written
/// with binary suffixes (Ki, Mi...), which decide how a sum is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quantity {
    pub milli: i128,
    pub binary: bool,
}

const BINARY: [(&str, u32); 6] = [
    ("Ki", 10),
    ("Mi", 20),
    ("Gi", 30),
    ("Ti", 40),
    ("Pi", 50),
    ("Ei", 60),
];
const DECIMAL: [(&str, i32); 8] = [
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
];

impl Quantity {
    /// None when it is not a quantity.
    pub fn parse(text: &str) -> Option<Quantity> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
            .unwrap_or(text.len());
        let (number, suffix) = text.split_at(split);
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        let negative = int.starts_with('-');
        let int = int.trim_start_matches(['+', '-']);
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        // The number times 10^9, exactly: n and u suffixes stay whole.
        let mut scaled: i128 = int.parse::<i128>().unwrap_or(0) * 1_000_000_000;
        let mut unit = 100_000_000;
        for d in frac.chars().take(9) {
            scaled += i128::from(d.to_digit(10)?) * unit;
            unit /= 10;
        }
        if negative {
            scaled = -scaled;
        }
        let (nano, binary) = if let Some((_, shift)) = BINARY.iter().find(|(s, _)| *s == suffix) {
            (scaled << shift, true)
        } else if suffix.is_empty() {
            (scaled, false)
        } else if let Some((_, exp)) = DECIMAL.iter().find(|(s, _)| *s == suffix) {
            (scale10(scaled, *exp), false)
        } else if let Some(exp) = suffix.strip_prefix(['e', 'E']) {
            (scale10(scaled, exp.parse().ok()?), false)
        } else {
            return None;
        };
        // Like the API server, a fraction of a milli rounds up.
        Some(Quantity {
            milli: div_ceil(nano, 1_000_000),
            binary,
        })
    }
}

impl std::ops::Add for Quantity {
    type Output = Quantity;

    fn add(self, other: Quantity) -> Quantity {
        Quantity {
            milli: self.milli + other.milli,
            // The sum prints as its first term was written (`Quantity.Add` keeps the format).
            binary: if self.milli == 0 {
                other.binary
            } else {
                self.binary
            },
        }
    }
}

impl Quantity {
    pub fn max(self, other: Quantity) -> Quantity {
        if other.milli > self.milli {
            other
        } else {
            self
        }
    }

    /// Whole units, rounded up (`Quantity.Value`).
    pub fn value(self) -> i128 {
        div_ceil(self.milli, 1000)
    }

    /// The canonical form: "1600m", "2", "5376Mi", "32Gi", "0".
    pub fn canonical(self) -> String {
        if self.milli == 0 {
            return "0".into();
        }
        if self.milli % 1000 != 0 {
            return format!("{}m", self.milli);
        }
        let units = self.milli / 1000;
        if self.binary {
            for (suffix, shift) in BINARY.iter().rev() {
                let size = 1i128 << shift;
                if units % size == 0 {
                    return format!("{}{suffix}", units / size);
                }
            }
            return units.to_string();
        }
        for (suffix, exp) in DECIMAL.iter().rev().filter(|(_, e)| *e > 0) {
            let size = 10i128.pow(*exp as u32);
            if units % size == 0 {
                return format!("{}{suffix}", units / size);
            }
        }
        units.to_string()
    }

    /// `self` as a whole percentage of `of`, truncated as kubectl prints it (0 when `of` is 0).
    pub fn percent_of(self, of: Quantity, by_milli: bool) -> i64 {
        let (a, b) = if by_milli {
            (self.milli as f64, of.milli as f64)
        } else {
            (self.value() as f64, of.value() as f64)
        };
        if b == 0.0 { 0 } else { (a / b * 100.0) as i64 }
    }
}

fn scale10(n: i128, exp: i32) -> i128 {
    if exp >= 0 {
        n * 10i128.pow(exp as u32)
    } else {
        div_ceil(n, 10i128.pow(exp.unsigned_abs()))
    }
}

fn div_ceil(a: i128, b: i128) -> i128 {
    let q = a / b;
    if a % b != 0 && (a > 0) == (b > 0) {
        q + 1
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn parses_and_prints_like_the_api_server() {
        assert_eq!(q("250m").milli, 250);
        assert_eq!(q("8").canonical(), "8");
        assert_eq!(q("7900m").canonical(), "7900m");
        assert_eq!(q("0.5").canonical(), "500m");
        assert_eq!(q("512Mi").canonical(), "512Mi");
        assert_eq!((q("1Gi") + q("512Mi")).canonical(), "1536Mi");
        assert_eq!((q("2Gi") + q("2Gi")).canonical(), "4Gi");
        assert_eq!(q("101430960Ki").canonical(), "101430960Ki");
        assert_eq!(q("1k").canonical(), "1k");
        assert_eq!(Quantity::default().canonical(), "0");
        assert_eq!((Quantity::default() + q("96Mi")).canonical(), "96Mi");
        assert!(Quantity::parse("lots").is_none());
    }

    #[test]
    fn shares_truncate_like_kubectl() {
        assert_eq!(q("500m").percent_of(q("7900m"), true), 6);
        assert_eq!(q("1Gi").percent_of(q("32Gi"), false), 3);
        assert_eq!(q("1").percent_of(Quantity::default(), true), 0);
    }
}
