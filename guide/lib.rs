//! The ktstr guide as doctests: every chapter is included here so that
//! `cargo test -p ktstr-guide` compiles and runs its code samples.

#[doc = include_str!("src/introduction.md")]
pub mod introduction {}

#[doc = include_str!("src/workloads.md")]
pub mod workloads {}

#[doc = include_str!("src/writing-tests.md")]
pub mod writing_tests {}

#[doc = include_str!("src/cgroups.md")]
pub mod cgroups {}

#[doc = include_str!("src/scenarios.md")]
pub mod scenarios {}

#[doc = include_str!("src/cli.md")]
pub mod cli {}
