/// Percentile ranks (0..100) of `values` among themselves: 100 × (count
/// below + ½ × ties other than itself) / (count − 1). Only exactly equal
/// values tie. A single value gets no rank.
pub fn percentile_ranks(values: &[f64]) -> Vec<Option<f64>> {
    let n = values.len();
    if n < 2 {
        return vec![None; n];
    }
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let denom = (n - 1) as f64;
    values
        .iter()
        .map(|&v| {
            let below = sorted.partition_point(|x| *x < v);
            let at_or_below = sorted.partition_point(|x| *x <= v);
            let ties_other = (at_or_below - below).saturating_sub(1);
            Some(100.0 * (below as f64 + 0.5 * ties_other as f64) / denom)
        })
        .collect()
}

/// Values on a grid of `quantum`: residuals that differ by floating-point
/// noise (1e-25 when every school of a cell is alike) tie instead of
/// spreading ranks from 0 to 100. A quantum of 0 keeps values as they are.
pub fn snapped(values: &[f64], quantum: f64) -> Vec<f64> {
    if quantum > 0.0 {
        values
            .iter()
            .map(|v| (v / quantum).round() * quantum)
            .collect()
    } else {
        values.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_ties() {
        let noise = [1e-25, -3e-24, 0.0, 2e-20];
        assert_eq!(
            percentile_ranks(&snapped(&noise, 1e-9)),
            vec![Some(50.0); 4]
        );
        assert_eq!(snapped(&[1.5, 2.0], 0.0), vec![1.5, 2.0]);
    }

    #[test]
    fn ranks_with_ties() {
        // 2 and 2 tie: one below, one tie other than itself → (1 + 0.5) / 3.
        let r = percentile_ranks(&[3.0, 2.0, 1.0, 2.0]);
        assert_eq!(r, vec![Some(100.0), Some(50.0), Some(0.0), Some(50.0)]);
    }

    #[test]
    fn all_tied_and_single() {
        assert_eq!(percentile_ranks(&[5.0, 5.0, 5.0]), vec![Some(50.0); 3]);
        assert_eq!(percentile_ranks(&[5.0]), vec![None]);
        assert_eq!(percentile_ranks(&[1.0, 2.0]), vec![Some(0.0), Some(100.0)]);
    }

    #[test]
    fn five_distinct() {
        let r = percentile_ranks(&[10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(
            r,
            vec![Some(0.0), Some(25.0), Some(50.0), Some(75.0), Some(100.0)]
        );
    }
}
