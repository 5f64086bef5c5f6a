//! Weighted least squares with the minimum-norm solution, so that constant
//! or collinear predictors leave the residuals unchanged.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// Intercept (0 without one), then one coefficient per predictor.
    pub intercept: f64,
    pub coefficients: Vec<f64>,
    /// Weighted R² (centred when there is an intercept); 0 when y is constant.
    pub r2: f64,
    /// actual − fitted, one per observation.
    pub residuals: Vec<f64>,
}

/// Fits `y ~ x` with weights `w`. `x` holds the predictors row by row,
/// `k` per observation.
/// Predictors are centred (with an intercept) and scaled before solving;
/// directions whose eigenvalue is below 1e-10 of the largest are dropped,
/// which is the pseudo-inverse (minimum-norm) solution.
pub fn weighted_least_squares(x: &[f64], k: usize, y: &[f64], w: &[f64], intercept: bool) -> Fit {
    let n = y.len();
    assert_eq!(x.len(), n * k);
    assert_eq!(w.len(), n);
    let sw: f64 = w.iter().sum();
    let mean = |f: &dyn Fn(usize) -> f64| -> f64 {
        if !intercept || sw == 0.0 {
            0.0
        } else {
            (0..n).map(|i| w[i] * f(i)).sum::<f64>() / sw
        }
    };
    let my = mean(&|i| y[i]);
    let mx: Vec<f64> = (0..k).map(|j| mean(&|i| x[i * k + j])).collect();
    let scale: Vec<f64> = (0..k)
        .map(|j| {
            (0..n)
                .map(|i| w[i] * (x[i * k + j] - mx[j]).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    // Standardised predictors, computed once.
    let inv: Vec<f64> = scale
        .iter()
        .map(|&s| if s > 0.0 { 1.0 / s } else { 0.0 })
        .collect();
    let mut z = vec![0.0; n * k];
    for i in 0..n {
        for j in 0..k {
            z[i * k + j] = (x[i * k + j] - mx[j]) * inv[j];
        }
    }
    let mut a = DMatrix::<f64>::zeros(k, k);
    let mut b = DVector::<f64>::zeros(k);
    let mut acc = vec![0.0; k * k];
    let mut bacc = vec![0.0; k];
    for i in 0..n {
        let row = &z[i * k..(i + 1) * k];
        let wi = w[i];
        let yc = wi * (y[i] - my);
        for j in 0..k {
            let wz = wi * row[j];
            bacc[j] += row[j] * yc;
            for l in j..k {
                acc[j * k + l] += wz * row[l];
            }
        }
    }
    for j in 0..k {
        b[j] = bacc[j];
        for l in j..k {
            a[(j, l)] = acc[j * k + l];
            a[(l, j)] = acc[j * k + l];
        }
    }
    let mut beta_s = DVector::<f64>::zeros(k);
    if k > 0 {
        let eig = SymmetricEigen::new(a);
        let max = eig.eigenvalues.iter().cloned().fold(0.0, f64::max);
        for (idx, &lambda) in eig.eigenvalues.iter().enumerate() {
            if max > 0.0 && lambda > 1e-10 * max {
                let v = eig.eigenvectors.column(idx);
                let coef = v.dot(&b) / lambda;
                beta_s += v * coef;
            }
        }
    }
    let coefficients: Vec<f64> = (0..k)
        .map(|j| {
            if scale[j] > 0.0 {
                beta_s[j] / scale[j]
            } else {
                0.0
            }
        })
        .collect();
    let intercept_value = if intercept {
        my - (0..k).map(|j| coefficients[j] * mx[j]).sum::<f64>()
    } else {
        0.0
    };
    let mut ss_res = 0.0;
    let mut ss_tot = 0.0;
    let residuals: Vec<f64> = (0..n)
        .map(|i| {
            let fitted_c: f64 = z[i * k..(i + 1) * k]
                .iter()
                .zip(beta_s.iter())
                .map(|(a, b)| a * b)
                .sum();
            let r = (y[i] - my) - fitted_c;
            ss_res += w[i] * r * r;
            ss_tot += w[i] * (y[i] - my).powi(2);
            r
        })
        .collect();
    let r2 = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else {
        0.0
    };
    Fit {
        intercept: intercept_value,
        coefficients,
        r2,
        residuals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn hand_computed_weighted_line() {
        // x = 0,1,2,3; y = 1,3,2,5; w = 1,2,1,1.
        // x̄ = 7/5 = 1.4, ȳ = 14/5 = 2.8; Sxy = 5.4, Sxx = 5.2.
        // slope = 5.4/5.2, intercept = 2.8 − 1.4 × slope.
        let x = [0.0, 1.0, 2.0, 3.0];
        let f = weighted_least_squares(&x, 1, &[1.0, 3.0, 2.0, 5.0], &[1.0, 2.0, 1.0, 1.0], true);
        let slope = 5.4 / 5.2;
        assert!(close(f.coefficients[0], slope));
        assert!(close(f.intercept, 2.8 - 1.4 * slope));
        assert!(close(f.residuals[0], 1.0 - (2.8 - 1.4 * slope)));
        // Weighted residuals sum to zero with an intercept.
        let s: f64 = f
            .residuals
            .iter()
            .zip([1.0, 2.0, 1.0, 1.0])
            .map(|(r, w)| r * w)
            .sum();
        assert!(s.abs() < 1e-9);
        // R² = 1 − SSres/SStot, SStot = Σw(y − ȳ)² = 3.24 + 0.08 + 0.64 + 4.84.
        let ss_res: f64 = f
            .residuals
            .iter()
            .zip([1.0, 2.0, 1.0, 1.0])
            .map(|(r, w)| w * r * r)
            .sum();
        assert!(close(f.r2, 1.0 - ss_res / 8.8));
    }

    #[test]
    fn unweighted_ols_matches_textbook() {
        // y = 1.1 + 1.1 x for x = 0..3, y = 1,3,2,5.
        let x = [0.0, 1.0, 2.0, 3.0];
        let f = weighted_least_squares(&x, 1, &[1.0, 3.0, 2.0, 5.0], &[1.0; 4], true);
        assert!(close(f.coefficients[0], 1.1));
        assert!(close(f.intercept, 1.1));
    }

    #[test]
    fn collinear_and_constant_predictors_do_not_change_residuals() {
        let base = [1.0, 4.0, 2.0, 8.0, 5.0];
        let y = [2.0, 5.0, 1.0, 9.0, 4.0];
        let w = [3.0, 1.0, 2.0, 1.0, 5.0];
        let one = weighted_least_squares(&base, 1, &y, &w, true);
        let wide: Vec<f64> = base.iter().flat_map(|v| [*v, 2.0 * v, 7.0]).collect();
        let three = weighted_least_squares(&wide, 3, &y, &w, true);
        for (a, b) in one.residuals.iter().zip(&three.residuals) {
            assert!(close(*a, *b));
        }
        assert!(close(one.r2, three.r2));
    }

    #[test]
    fn exact_fit_has_zero_residuals() {
        let x: Vec<f64> = (0..6).flat_map(|i| [i as f64, (i * i) as f64]).collect();
        let y: Vec<f64> = (0..6)
            .map(|i| 3.0 + 2.0 * i as f64 - 0.5 * (i * i) as f64)
            .collect();
        let f = weighted_least_squares(&x, 2, &y, &[1.0; 6], true);
        assert!(f.residuals.iter().all(|r| r.abs() < 1e-9));
        assert!(close(f.coefficients[1], -0.5));
        assert!(close(f.r2, 1.0));
    }
}
