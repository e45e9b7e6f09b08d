//! The shared libraries a dynamically linked ELF binary needs: its
//! `PT_INTERP` loader and every `DT_NEEDED` library, recursively, resolved
//! like the loader does (RPATH/RUNPATH with `$ORIGIN`, then the standard
//! directories).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};

/// Where the loader looks after RPATH/RUNPATH (Debian multiarch first).
const STANDARD_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

/// What one ELF file asks of the dynamic loader.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElfDeps {
    /// The program interpreter (`PT_INTERP`), for an executable.
    pub interp: Option<PathBuf>,
    /// `DT_NEEDED` names.
    pub needed: Vec<String>,
    /// `DT_RPATH` and `DT_RUNPATH` directories, `$ORIGIN` expanded.
    pub search: Vec<PathBuf>,
}

/// Read the dynamic dependencies of the 64-bit ELF file at `path`.
pub fn read(path: &Path) -> Result<ElfDeps, String> {
    // Read only the headers and the dynamic section, not a debug binary's
    // tens of MB.
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cache = object::ReadCache::new(file);
    let data = &cache;
    let bad = |e: object::read::Error| format!("{}: not a readable ELF file: {e}", path.display());
    let header = elf::FileHeader64::<object::Endianness>::parse(data).map_err(bad)?;
    let endian = header.endian().map_err(bad)?;
    let mut deps = ElfDeps::default();
    for ph in header.program_headers(endian, data).map_err(bad)? {
        if let Some(i) = ph.interpreter(endian, data).map_err(bad)? {
            deps.interp = Some(PathBuf::from(String::from_utf8_lossy(i).into_owned()));
        }
    }
    let sections = header.sections(endian, data).map_err(bad)?;
    let origin = path.parent().unwrap_or(Path::new("/"));
    let table = sections.dynamic_table(endian, data).map_err(bad)?;
    for d in table.iter() {
        let text = || {
            table
                .string(d)
                .map(|s| String::from_utf8_lossy(s).into_owned())
        };
        match d.tag {
            elf::DT_NEEDED => deps.needed.push(text().map_err(bad)?),
            elf::DT_RPATH | elf::DT_RUNPATH => {
                for dir in text().map_err(bad)?.split(':').filter(|s| !s.is_empty()) {
                    let dir = dir
                        .replace("${ORIGIN}", &origin.to_string_lossy())
                        .replace("$ORIGIN", &origin.to_string_lossy());
                    deps.search.push(PathBuf::from(dir));
                }
            }
            _ => {}
        }
    }
    Ok(deps)
}

/// Find library `name` in `search`, then the standard directories.
fn locate(name: &str, search: &[PathBuf]) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name)).filter(|p| p.exists());
    }
    search
        .iter()
        .cloned()
        .chain(STANDARD_DIRS.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.exists())
}

/// Every library (and loader) the binaries `roots` need, recursively, as
/// the paths the loader would find them at. A library that cannot be found
/// is an error naming it and who needs it.
pub fn closure(roots: &[PathBuf]) -> Result<BTreeSet<PathBuf>, String> {
    let mut found = BTreeSet::new();
    let mut todo: Vec<PathBuf> = roots.to_vec();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    while let Some(bin) = todo.pop() {
        if !seen.insert(bin.clone()) {
            continue;
        }
        let deps = read(&bin)?;
        if let Some(i) = deps.interp {
            if !i.exists() {
                return Err(format!(
                    "{} needs the loader {}, which this machine does not have",
                    bin.display(),
                    i.display()
                ));
            }
            found.insert(i);
        }
        for name in &deps.needed {
            let lib = locate(name, &deps.search).ok_or_else(|| {
                format!(
                    "{} needs {name}, which is in none of {} (nor its RPATH/RUNPATH)",
                    bin.display(),
                    STANDARD_DIRS.join(", ")
                )
            })?;
            if found.insert(lib.clone()) {
                todo.push(lib);
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_needs_libc_and_the_loader() {
        let exe = std::env::current_exe().unwrap();
        let deps = read(&exe).unwrap();
        assert!(
            deps.needed.iter().any(|n| n.starts_with("libc.so")),
            "{deps:?}"
        );
        let all = closure(&[exe]).unwrap();
        let names: Vec<String> = all
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().any(|n| n.starts_with("libc.so")), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with("ld-linux")), "{names:?}");
    }

    #[test]
    fn a_file_that_is_not_elf_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("script");
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        let e = read(&p).unwrap_err();
        assert!(
            e.contains("script") && e.contains("not a readable ELF"),
            "{e}"
        );
    }
}
