//! [`Thresholds`]: which checks run and their limits, declared once.
//!
//! `for_each_threshold!` (in `threshold_table.rs`) is the one declaration
//! of every threshold: its name (the attribute key, the builder method and
//! the field), its type, its default, its unit, the check it turns on and
//! what it means. The struct below, [`THRESHOLD_KEYS`], [`ThresholdKey`],
//! the [`Checker`](super::Checker) setters, the `ctx.check()` builder, the
//! `TestSpec` setters, the evaluation order and the attribute's threshold
//! keys (`ktstr-macros` includes the same file) all come from it.
//!
//! A new threshold is one row there, plus its check function in
//! `evaluate.rs`; `tests/attribute_reference.rs` then asks for its row in
//! the guide's attribute reference.

use serde::{Deserialize, Serialize};

// `for_each_threshold!`: the table, in its own file so that the attribute
// (ktstr-macros/src/thresholds.rs) includes the same declaration.
include!("threshold_table.rs");
pub(crate) use for_each_threshold;

/// The field type of a threshold: a flag stays `bool`, a limit is
/// `Option<T>` (None: not checked).
macro_rules! threshold_type {
    (bool) => { bool };
    ($t:ident) => { Option<$t> };
}

/// A threshold's default value.
macro_rules! threshold_default {
    (bool, $v:tt) => {
        $v
    };
    ($t:ident, off) => {
        None
    };
    ($t:ident, $v:tt) => {
        Some($v)
    };
}

/// A threshold switched off.
macro_rules! threshold_off {
    (bool) => {
        false
    };
    ($t:ident) => {
        None
    };
}

/// A threshold set to `$v`.
macro_rules! threshold_on {
    (bool, $v:expr) => {
        $v
    };
    ($t:ident, $v:expr) => {
        Some($v)
    };
}
pub(crate) use threshold_on;

/// One threshold as documented: what [`THRESHOLD_KEYS`] lists (and the
/// guide's attribute reference shows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThresholdInfo {
    /// The attribute key, builder method and field name.
    pub name: &'static str,
    /// Its type: `bool` (a check on or off), `f64` or `u64` (a limit).
    pub ty: &'static str,
    /// Its default: the value, or `off` (not checked).
    pub default: &'static str,
    /// The unit of a limit (empty when it has none).
    pub unit: &'static str,
    /// What it means.
    pub description: &'static str,
}

macro_rules! declare {
    ($($name:ident / $key:ident: $ty:ident = $default:tt, unit $unit:literal,
       check $kind:ident => $eval:ident, $doc:literal;)*) => {
        /// Limits for the checks: one field per threshold, a flag (`bool`)
        /// or a limit (`None`: the check does not run).
        /// [`Thresholds::default`] enables the default set with limits tuned
        /// to pass on an idle 2-CPU machine and fail when a worker is
        /// starved or stalled; [`THRESHOLD_KEYS`] lists every threshold
        /// with its default, unit and meaning.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub struct Thresholds {
            $(
                #[doc = $doc]
                pub $name: threshold_type!($ty),
            )*
        }

        impl Default for Thresholds {
            fn default() -> Self {
                Thresholds { $($name: threshold_default!($ty, $default),)* }
            }
        }

        impl Thresholds {
            /// Every check off.
            pub fn none() -> Thresholds {
                Thresholds { $($name: threshold_off!($ty),)* }
            }

            /// Switch the check of `key` off.
            pub fn off(&mut self, key: ThresholdKey) {
                match key {
                    $(ThresholdKey::$key => self.$name = threshold_off!($ty),)*
                }
            }
        }

        /// Names one threshold (for switching it off:
        /// [`Checker::off`](super::Checker::off), `max_spread_pct = off`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ThresholdKey {
            $(
                #[doc = $doc]
                $key,
            )*
        }

        impl ThresholdKey {
            /// Every threshold, in evaluation order.
            pub const ALL: &'static [ThresholdKey] = &[$(ThresholdKey::$key,)*];

            /// Its attribute key, e.g. `max_spread_pct`.
            pub fn name(self) -> &'static str {
                match self { $(ThresholdKey::$key => stringify!($name),)* }
            }

            /// The check it turns on.
            pub fn kind(self) -> super::CheckKind {
                match self { $(ThresholdKey::$key => super::CheckKind::$kind,)* }
            }
        }

        /// Every threshold: name, type, default, unit and meaning.
        pub const THRESHOLD_KEYS: &[ThresholdInfo] = &[
            $(ThresholdInfo {
                name: stringify!($name),
                ty: stringify!($ty),
                default: stringify!($default),
                unit: $unit,
                description: $doc,
            },)*
        ];
    };
}
for_each_threshold!(declare);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_none() {
        let d = Thresholds::default();
        assert!(d.not_starved && d.isolation);
        assert_eq!(d.max_spread_pct, Some(25.0));
        assert_eq!(d.max_gap_ms, Some(2000));
        assert_eq!(d.max_p99_wake_latency_us, None);
        let mut t = Thresholds::default();
        for k in ThresholdKey::ALL {
            t.off(*k);
        }
        assert_eq!(t, Thresholds::none());
    }

    #[test]
    fn keys_list_every_field() {
        let names: Vec<_> = THRESHOLD_KEYS.iter().map(|k| k.name).collect();
        let keys: Vec<_> = ThresholdKey::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names, keys);
        let json = serde_json::to_value(Thresholds::default()).unwrap();
        let fields: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        let mut sorted = names.clone();
        sorted.sort();
        let mut fields_sorted = fields;
        fields_sorted.sort();
        assert_eq!(fields_sorted, sorted);
        let spread = THRESHOLD_KEYS[1];
        assert_eq!(
            (spread.name, spread.ty, spread.default, spread.unit),
            ("max_spread_pct", "f64", "25.0", "pp")
        );
        assert_eq!(THRESHOLD_KEYS[3].default, "off");
    }
}
