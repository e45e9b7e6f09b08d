//! Printing a subcommand's result to stdout without panicking when the
//! reader goes away (`ktstr compare A B | head`).

use std::io::{ErrorKind, Write};

use crate::Failure;

/// Write `text` to stdout. A closed pipe ends the output quietly, as it
/// does for `ls | head`; any other write error is a runtime failure.
pub(crate) fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Runtime(
            anyhow::Error::new(e).context("write the result to stdout"),
        )),
    }
}
