//! `ktstr bench`: engine benchmarks.

use crate::Failure;

/// Arguments of `ktstr bench`.
#[derive(clap::Args, Debug)]
pub(crate) struct BenchArgs {}

pub(crate) fn main(_args: BenchArgs) -> Result<(), Failure> {
    Err(Failure::Usage("not yet".into()))
}
