//! [`Plan`]: how many times the harness runs each selected test, from
//! `--repeat N` on the command line or `KTSTR_REPEAT=N` in the environment.
//!
//! libtest has no `--repeat` and libtest-mimic rejects arguments it does
//! not know, so the harness takes `--repeat N` (or `--repeat=N`) out of the
//! arguments before libtest-mimic parses the rest. Under nextest, which
//! passes no extra arguments to a test binary, set `KTSTR_REPEAT=N`
//! instead. The command line wins over the environment.

use std::ffi::OsString;

/// The environment variable that sets the repeat count.
pub const ENV_REPEAT: &str = "KTSTR_REPEAT";

/// How the harness runs each selected test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Runs per test (≥ 1). Above 1, a test passes only when every run
    /// passed, and `retries` are not applied.
    pub repeat: u32,
}

impl Default for Plan {
    fn default() -> Plan {
        Plan { repeat: 1 }
    }
}

/// A `--repeat` or `KTSTR_REPEAT` the harness cannot use: a usage error
/// (exit 2).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// `--repeat` was the last argument.
    #[error("`--repeat` needs a count: --repeat N (N ≥ 1), e.g. --repeat 5")]
    Missing,
    /// The count is not a positive integer.
    #[error("{from} {value:?} is not a repeat count: give an integer N ≥ 1, e.g. {example}")]
    NotACount {
        /// Where it came from: `--repeat` or `KTSTR_REPEAT`.
        from: &'static str,
        /// What was given.
        value: String,
        /// How to write it.
        example: &'static str,
    },
    /// The count is 0.
    #[error("{from} 0 would run nothing and pass: give N ≥ 1 (1 runs once), e.g. {example}")]
    Zero {
        /// Where it came from.
        from: &'static str,
        /// How to write it.
        example: &'static str,
    },
}

fn count(from: &'static str, value: &str) -> Result<u32, PlanError> {
    let example = if from == ENV_REPEAT {
        "KTSTR_REPEAT=5"
    } else {
        "--repeat 5"
    };
    match value.trim().parse::<u32>() {
        Ok(0) => Err(PlanError::Zero { from, example }),
        Ok(n) => Ok(n),
        Err(_) => Err(PlanError::NotACount {
            from,
            value: value.to_string(),
            example,
        }),
    }
}

impl Plan {
    /// The plan from `args` (the program name first, as `std::env::args_os`
    /// gives them) and `KTSTR_REPEAT`, and the arguments left for
    /// libtest-mimic.
    pub fn from_env_and_args(
        args: impl IntoIterator<Item = OsString>,
    ) -> Result<(Plan, Vec<OsString>), PlanError> {
        let env = std::env::var_os(ENV_REPEAT).map(|v| v.to_string_lossy().into_owned());
        Plan::parse(args, env.as_deref())
    }

    /// The count of a `--repeat N` (for other tools that take the flag,
    /// like `ktstr run --repeat N`): an integer ≥ 1.
    pub fn parse_count(value: &str) -> Result<u32, PlanError> {
        count("--repeat", value)
    }

    /// [`Plan::from_env_and_args`] with the environment's value given.
    pub fn parse(
        args: impl IntoIterator<Item = OsString>,
        env: Option<&str>,
    ) -> Result<(Plan, Vec<OsString>), PlanError> {
        let mut rest = Vec::new();
        let mut flag = None;
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            match a.to_str() {
                Some("--repeat") => {
                    let v = it.next().ok_or(PlanError::Missing)?;
                    flag = Some(count("--repeat", &v.to_string_lossy())?);
                }
                Some(s) if s.starts_with("--repeat=") => {
                    flag = Some(count("--repeat", &s["--repeat=".len()..])?);
                }
                _ => rest.push(a),
            }
        }
        let repeat = match (flag, env) {
            (Some(n), _) => n,
            (None, Some(v)) => count(ENV_REPEAT, v)?,
            (None, None) => 1,
        };
        Ok((Plan { repeat }, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: Option<&str>) -> Result<(u32, Vec<String>), PlanError> {
        let args = args.iter().map(OsString::from);
        Plan::parse(args, env).map(|(p, rest)| {
            let rest = rest.into_iter().map(|a| a.into_string().unwrap()).collect();
            (p.repeat, rest)
        })
    }

    #[test]
    fn repeat_is_taken_out_of_the_libtest_arguments() {
        assert_eq!(
            parse(&["bin", "--repeat", "5", "--exact", "t"], None),
            Ok((5, vec!["bin".into(), "--exact".into(), "t".into()]))
        );
        assert_eq!(
            parse(&["bin", "filter", "--repeat=3"], Some("9")),
            Ok((3, vec!["bin".into(), "filter".into()])),
            "the command line wins over KTSTR_REPEAT"
        );
        assert_eq!(parse(&["bin"], Some("4")), Ok((4, vec!["bin".into()])));
        assert_eq!(parse(&["bin"], None), Ok((1, vec!["bin".into()])));
    }

    #[test]
    fn bad_repeat_counts_are_usage_errors() {
        let e = parse(&["bin", "--repeat", "0"], None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--repeat 0 would run nothing and pass: give N ≥ 1 (1 runs once), e.g. --repeat 5"
        );
        assert_eq!(parse(&["bin", "--repeat"], None), Err(PlanError::Missing));
        let e = parse(&["bin"], Some("five")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "KTSTR_REPEAT \"five\" is not a repeat count: give an integer N ≥ 1, e.g. KTSTR_REPEAT=5"
        );
        for bad in ["", "-1", "2.5"] {
            assert!(parse(&["bin"], Some(bad)).is_err(), "{bad:?}");
        }
        assert!(parse(&["bin"], Some("0")).is_err());
        assert!(parse(&["bin", "--repeat=x"], None).is_err());
    }
}
