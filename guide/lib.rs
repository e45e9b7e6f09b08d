//! The ktstr guide as doctests: every chapter is included here so that
//! `cargo test -p ktstr-guide` compiles and runs its code samples.

#[doc = include_str!("src/introduction.md")]
pub mod introduction {}

#[doc = include_str!("src/workloads.md")]
pub mod workloads {}

#[doc = include_str!("src/writing-tests.md")]
pub mod writing_tests {}

#[doc = include_str!("src/attributes.md")]
pub mod attributes {}

#[doc = include_str!("src/repeats-and-flaky.md")]
pub mod repeats_and_flaky {}

#[doc = include_str!("src/cgroups.md")]
pub mod cgroups {}

#[doc = include_str!("src/scenarios.md")]
pub mod scenarios {}

#[doc = include_str!("src/cli.md")]
pub mod cli {}

#[doc = include_str!("src/getting-started.md")]
pub mod getting_started {}

#[doc = include_str!("src/reading-failures.md")]
pub mod reading_failures {}

#[doc = include_str!("src/comparing.md")]
pub mod comparing {}

#[doc = include_str!("src/canned-scenarios.md")]
pub mod canned_scenarios {}
