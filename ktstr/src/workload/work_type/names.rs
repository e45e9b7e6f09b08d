//! Names: [`WorkType::ALL_NAMES`], lookup by name, "did you mean", and the
//! catalogue `ktstr list` prints.

use super::WorkType;
use crate::workload::types;

impl WorkType {
    /// Every work type's name, in catalogue order.
    pub const ALL_NAMES: &'static [&'static str] = &types::NAMES;

    /// The type named `name` (exact, PascalCase) with default parameters.
    /// None for unknown names and for `Sequence` and `Custom`, which need
    /// arguments; [`WorkType::suggest`] gives the "did you mean".
    pub fn from_name(name: &str) -> Option<WorkType> {
        types::CATALOGUE
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.default)
            .map(|make| make())
    }

    /// The canonical name closest to `name`, for "did you mean" messages:
    /// an exact case-insensitive match, else the name with the smallest edit
    /// distance if it is close (the rule of `crate::suggest`, shared with
    /// the attribute's "did you mean").
    pub fn suggest(name: &str) -> Option<&'static str> {
        crate::suggest::suggest(name, Self::ALL_NAMES.iter().copied())
    }

    /// The catalogue: (name, group size, what it stresses, buildable from
    /// its name alone).
    pub fn catalogue() -> impl Iterator<Item = (&'static str, &'static str, &'static str, bool)> {
        types::CATALOGUE
            .iter()
            .map(|e| (e.name, e.group, e.about, e.default.is_some()))
    }
}
