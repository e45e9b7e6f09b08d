//! CPU controller knob values: [`CpuMax`] and the CPU weight scale.
//!
//! One weight scale for both hierarchies: the v2 `cpu.weight` scale,
//! 1..=10000 with 100 the default. On v1 it is converted to `cpu.shares`
//! the way the kernel relates the two (`shares = weight * 1024 / 100`,
//! rounded, clamped to the kernel's 2..=262144), so weight 100 is the
//! default 1024 shares.

/// Smallest CPU weight.
pub const CPU_WEIGHT_MIN: u32 = 1;
/// Largest CPU weight.
pub const CPU_WEIGHT_MAX: u32 = 10_000;
/// The weight a new cgroup has.
pub const CPU_WEIGHT_DEFAULT: u32 = 100;

/// `cpu.shares` (v1) for a v2-scale `weight`.
pub(crate) fn weight_to_shares(weight: u32) -> u64 {
    let shares = (u64::from(weight) * 1024 + 50) / 100;
    shares.clamp(2, 262_144)
}

/// A CPU bandwidth limit: at most `quota` of CPU time per `period`
/// (v2 `cpu.max`; v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us`).
///
/// A quota above the period allows more than one CPU's worth: quota
/// 200 000 µs per 100 000 µs period is two CPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuMax {
    quota_us: Option<u64>,
    period_us: u64,
}

impl CpuMax {
    /// The kernel's default period, 100 ms.
    pub const DEFAULT_PERIOD_US: u64 = 100_000;
    /// Shortest period and smallest quota the kernel accepts (1 ms).
    pub const MIN_US: u64 = 1_000;
    /// Longest period the kernel accepts (1 s).
    pub const MAX_PERIOD_US: u64 = 1_000_000;
    /// Largest quota the kernel accepts (its `max_cfs_runtime`, ~203 days).
    pub const MAX_QUOTA_US: u64 = (1 << 44) - 1;

    /// No limit, with the default period.
    pub fn unlimited() -> CpuMax {
        CpuMax {
            quota_us: None,
            period_us: Self::DEFAULT_PERIOD_US,
        }
    }

    /// At most `quota_us` of CPU time per `period_us`.
    pub fn new(quota_us: u64, period_us: u64) -> CpuMax {
        CpuMax {
            quota_us: Some(quota_us),
            period_us,
        }
    }

    /// `cpus` CPUs' worth of time per default period (0.5 = half a CPU).
    pub fn cpus(cpus: f64) -> CpuMax {
        let quota = (cpus * Self::DEFAULT_PERIOD_US as f64).round();
        let quota = if quota.is_finite() && quota > 0.0 {
            quota as u64
        } else {
            0
        };
        CpuMax::new(quota, Self::DEFAULT_PERIOD_US)
    }

    /// The quota, None when unlimited.
    pub fn quota_us(&self) -> Option<u64> {
        self.quota_us
    }

    /// The period.
    pub fn period_us(&self) -> u64 {
        self.period_us
    }

    /// Why the kernel would refuse this value, if it would.
    pub(crate) fn check(&self) -> Result<(), String> {
        let p = self.period_us;
        if !(Self::MIN_US..=Self::MAX_PERIOD_US).contains(&p) {
            return Err(format!(
                "period {p} µs: within {}..={} µs",
                Self::MIN_US,
                Self::MAX_PERIOD_US
            ));
        }
        if let Some(q) = self.quota_us {
            if !(Self::MIN_US..=Self::MAX_QUOTA_US).contains(&q) {
                return Err(format!(
                    "quota {q} µs: within {}..={} µs",
                    Self::MIN_US,
                    Self::MAX_QUOTA_US
                ));
            }
        }
        Ok(())
    }

    /// The `cpu.max` line: `"50000 100000"` or `"max 100000"`.
    pub(crate) fn v2_value(&self) -> String {
        match self.quota_us {
            Some(q) => format!("{q} {}", self.period_us),
            None => format!("max {}", self.period_us),
        }
    }
}

impl std::fmt::Display for CpuMax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.v2_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_weight_maps_to_shares_on_one_scale() {
        assert_eq!(weight_to_shares(CPU_WEIGHT_DEFAULT), 1024);
        assert_eq!(weight_to_shares(1), 10);
        assert_eq!(weight_to_shares(200), 2048);
        assert_eq!(weight_to_shares(CPU_WEIGHT_MAX), 102_400);
    }

    #[test]
    fn cgroup_cpu_max_checks_kernel_limits() {
        assert_eq!(CpuMax::new(50_000, 100_000).v2_value(), "50000 100000");
        assert_eq!(CpuMax::unlimited().to_string(), "max 100000");
        assert_eq!(CpuMax::cpus(0.5), CpuMax::new(50_000, 100_000));
        assert!(CpuMax::new(50_000, 100_000).check().is_ok());
        assert!(CpuMax::unlimited().check().is_ok());
        assert!(CpuMax::new(999, 100_000)
            .check()
            .unwrap_err()
            .contains("quota 999"));
        assert!(CpuMax::new(5_000, 999)
            .check()
            .unwrap_err()
            .contains("period 999"));
        assert!(CpuMax::new(5_000, 2_000_000).check().is_err());
        assert!(CpuMax::new(1 << 44, 100_000).check().is_err());
        assert!(CpuMax::cpus(-1.0).check().is_err());
    }
}
