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

#[doc = include_str!("src/plots.md")]
pub mod plots {}

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

#[doc = include_str!("src/concepts.md")]
pub mod concepts {}

#[doc = include_str!("src/schedulers-and-vms.md")]
pub mod schedulers_and_vms {}

#[cfg(test)]
mod tests {
    /// Every chapter SUMMARY.md lists is included above, so its samples
    /// run as doctests; a chapter left out would build into the book
    /// without its samples ever being compiled.
    #[test]
    fn every_chapter_of_the_book_is_a_doctest_module() {
        let summary = include_str!("src/SUMMARY.md");
        let lib = include_str!("lib.rs");
        let chapters: Vec<&str> = summary
            .lines()
            .filter_map(|l| l.split_once("](")?.1.strip_suffix(')'))
            .collect();
        assert!(chapters.len() >= 13, "{chapters:?}");
        for c in chapters {
            let include = format!("include_str!(\"src/{c}\")");
            assert!(lib.contains(&include), "guide/lib.rs does not include {c}");
        }
    }
}
