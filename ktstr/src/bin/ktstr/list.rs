//! `ktstr list`: the work-type catalogue.

use ktstr::prelude::*;

use crate::Failure;

pub(crate) fn main() -> Result<(), Failure> {
    println!("{:<16} {:>5}  WHAT IT STRESSES", "WORK TYPE", "GROUP");
    for (name, group, about, buildable) in WorkType::catalogue() {
        let note = if buildable { "" } else { " [library only]" };
        println!("{name:<16} {group:>5}  {about}{note}");
    }
    Ok(())
}
