//! `ktstr run`: spawn an ad-hoc workload on this host.

use crate::Failure;

/// Arguments of `ktstr run`.
#[derive(clap::Args, Debug)]
pub(crate) struct RunArgs {}

pub(crate) fn main(_args: RunArgs) -> Result<(), Failure> {
    Err(Failure::Usage("not yet".into()))
}
