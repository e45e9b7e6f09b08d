//! The canned scenarios (`ktstr::scenarios`) under the kernel's default
//! scheduler on this host: one line registers them all.

ktstr::scenarios::suite!();

ktstr::main!();
