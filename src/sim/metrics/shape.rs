//! Rate functions with closed-form integrals: a counter's history is the integral of its rate,
//! so 30 days of samples are computed on demand instead of stored.

use std::f64::consts::TAU;

pub const DAY: f64 = 86_400.0;
pub const WEEK: f64 = 7.0 * DAY;

/// A periodic swing around the base rate: `amp * cos(2π (t - peak) / period)`.
#[derive(Clone, Debug)]
pub struct Wave {
    pub amp: f64,
    pub period: f64,
    /// Seconds into the period (from the Unix epoch) where the swing peaks.
    pub peak: f64,
}

/// A one-off incident: the rate rises by `height * base` along a raised cosine over `dur`.
#[derive(Clone, Debug)]
pub struct Bump {
    /// Unix seconds.
    pub start: f64,
    pub dur: f64,
    pub height: f64,
}

/// `base * (1 + Σ waves + Σ bumps)` events per second. The waves' amplitudes sum below 1, so
/// the rate stays positive and counters built on it never go backwards.
#[derive(Clone, Debug)]
pub struct Shape {
    pub base: f64,
    pub waves: Vec<Wave>,
    pub bumps: Vec<Bump>,
}

impl Wave {
    /// The angle reduced to one period first: Unix seconds are large, cos of them is not exact.
    fn angle(&self, t: f64) -> f64 {
        TAU * (t - self.peak).rem_euclid(self.period) / self.period
    }
}

impl Bump {
    fn progress(&self, t: f64) -> f64 {
        (t - self.start).clamp(0.0, self.dur)
    }
    fn rate(&self, t: f64) -> f64 {
        if t <= self.start || t >= self.start + self.dur {
            return 0.0;
        }
        self.height * (1.0 - (TAU * (t - self.start) / self.dur).cos()) / 2.0
    }
    /// ∫ from the bump's start to `t` of its relative rate.
    fn area_to(&self, t: f64) -> f64 {
        let x = self.progress(t);
        self.height / 2.0 * (x - self.dur / TAU * (TAU * x / self.dur).sin())
    }
}

impl Shape {
    pub fn flat(base: f64) -> Shape {
        Shape {
            base,
            waves: vec![],
            bumps: vec![],
        }
    }

    pub fn wave(mut self, amp: f64, period: f64, peak: f64) -> Shape {
        self.waves.push(Wave { amp, period, peak });
        self
    }

    pub fn bump(mut self, start: f64, dur: f64, height: f64) -> Shape {
        self.bumps.push(Bump { start, dur, height });
        self
    }

    /// Events per second at Unix second `t`.
    pub fn rate(&self, t: f64) -> f64 {
        let waves: f64 = self.waves.iter().map(|w| w.amp * w.angle(t).cos()).sum();
        let bumps: f64 = self.bumps.iter().map(|b| b.rate(t)).sum();
        self.base * (1.0 + waves + bumps)
    }

    /// Events between Unix seconds `from` and `to`.
    pub fn integral(&self, from: f64, to: f64) -> f64 {
        let waves: f64 = self
            .waves
            .iter()
            .map(|w| w.amp * w.period / TAU * (w.angle(to).sin() - w.angle(from).sin()))
            .sum();
        let bumps: f64 = self
            .bumps
            .iter()
            .map(|b| b.area_to(to) - b.area_to(from))
            .sum();
        self.base * ((to - from) + waves + bumps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_matches_a_numeric_sum_of_the_rate() {
        let s = Shape::flat(2.0)
            .wave(0.4, DAY, 14.0 * 3600.0)
            .wave(0.1, WEEK, 2.0 * DAY)
            .bump(1_000_000.0 + 5000.0, 3600.0, 5.0);
        let (from, to) = (1_000_000.0, 1_000_000.0 + 2.0 * DAY);
        let dt = 1.0;
        let numeric: f64 = (0..((to - from) / dt) as usize)
            .map(|i| s.rate(from + (i as f64 + 0.5) * dt) * dt)
            .sum();
        let exact = s.integral(from, to);
        assert!(
            (numeric - exact).abs() / exact < 1e-6,
            "{numeric} vs {exact}"
        );
    }
}
