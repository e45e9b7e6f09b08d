//! The threshold keys, from the library's own declaration: this module
//! includes `ktstr/src/check/threshold_table.rs` (the `for_each_threshold!`
//! table the library generates its `Thresholds`, setters and checks from)
//! and turns each row into a key of the attribute. A new threshold is a
//! row there; nothing here changes.

use crate::keys::{Key, Read, ThresholdType};

include!("../../ktstr/src/check/threshold_table.rs");

/// The `ThresholdType` of a row's type.
macro_rules! ty {
    (bool) => {
        ThresholdType::Bool
    };
    (f64) => {
        ThresholdType::F64
    };
    (u64) => {
        ThresholdType::U64
    };
}

/// What a threshold key takes, with an example: its default, or a value
/// of its type when it is off by default.
macro_rules! takes {
    (bool, $name:ident, $d:tt) => {
        concat!("a bool or off, e.g. ", stringify!($name), " = false")
    };
    (f64, $name:ident, off) => {
        concat!("a number or off, e.g. ", stringify!($name), " = 0.5")
    };
    (f64, $name:ident, $d:tt) => {
        concat!(
            "a number or off, e.g. ",
            stringify!($name),
            " = ",
            stringify!($d)
        )
    };
    (u64, $name:ident, off) => {
        concat!("an integer or off, e.g. ", stringify!($name), " = 1000")
    };
    (u64, $name:ident, $d:tt) => {
        concat!(
            "an integer or off, e.g. ",
            stringify!($name),
            " = ",
            stringify!($d)
        )
    };
}

macro_rules! keys {
    ($($name:ident / $key:ident: $ty:ident = $default:tt, unit $unit:literal,
       check $kind:ident => $eval:ident, $doc:literal;)*) => {
        /// Every threshold key, in the library's order.
        pub(crate) const THRESHOLD_KEYS: &[Key] = &[
            $(Key {
                name: stringify!($name),
                takes: takes!($ty, $name, $default),
                read: Read::Threshold(ty!($ty)),
            },)*
        ];
    };
}
for_each_threshold!(keys);
