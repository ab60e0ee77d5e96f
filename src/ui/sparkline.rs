//! A one-line sparkline as text (Unicode blocks, or an ASCII ramp), scaled to its own maximum.

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const RAMP: [char; 8] = ['_', '.', '-', '~', '=', '+', '*', '#'];

/// The last `width` values; negative or non-finite values draw as the lowest step.
pub fn sparkline(
    values: impl DoubleEndedIterator<Item = f64>,
    width: usize,
    ascii: bool,
) -> String {
    let mut tail: Vec<f64> = values.rev().take(width).collect();
    tail.reverse();
    let clean = |v: f64| if v.is_finite() { v.max(0.0) } else { 0.0 };
    let max = tail.iter().copied().map(clean).fold(0.0, f64::max);
    let set = if ascii { RAMP } else { BLOCKS };
    tail.iter()
        .map(|&v| {
            let step = if max > 0.0 {
                (clean(v) / max * 7.0).floor() as usize
            } else {
                0
            };
            set[step.min(7)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_to_the_maximum_and_keeps_the_tail() {
        assert_eq!(sparkline([0.0, 7.0, 3.5].into_iter(), 10, false), "▁█▄");
        assert_eq!(sparkline([9.0, 0.0, 7.0].into_iter(), 2, true), "_#");
        assert_eq!(sparkline([f64::NAN, 0.0].into_iter(), 5, true), "__");
    }
}
