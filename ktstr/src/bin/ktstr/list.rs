//! `ktstr list`: the work-type catalogue.

use ktstr::prelude::*;

use crate::Failure;

pub(crate) fn main() -> Result<(), Failure> {
    let mut text = format!("{:<16} {:>5}  WHAT IT STRESSES\n", "WORK TYPE", "GROUP");
    for (name, group, about, buildable) in WorkType::catalogue() {
        let note = if buildable { "" } else { " [library only]" };
        text += &format!("{name:<16} {group:>5}  {about}{note}\n");
    }
    crate::out::emit(&text)
}
