//! Cgroup name validation: a name is a `/`-separated path of plain
//! directory names below the run's parent, so it can never escape it.

use super::CgroupError;

/// Deepest nesting a name may have (`a/b/c/...`).
pub const MAX_DEPTH: usize = 8;
/// Longest component, in bytes (the kernel's `NAME_MAX`).
pub const MAX_COMPONENT_LEN: usize = 255;

/// Control-file names (v1 and v2) a cgroup directory must not shadow.
const RESERVED: [&str; 3] = ["tasks", "notify_on_release", "release_agent"];
/// Controller prefixes of control files (`cpu.weight`, `cgroup.procs`).
const PREFIXES: [&str; 11] = [
    "cgroup", "cpu", "cpuset", "cpuacct", "memory", "io", "pids", "blkio", "hugetlb", "rdma",
    "misc",
];

/// Check `name`: non-empty, at most [`MAX_DEPTH`] components separated by
/// single `/`, each made of ASCII letters, digits, `_`, `-` and `.`, not
/// starting with `.` (no hidden names, no `.` or `..`), and not shaped like
/// a control file (`tasks`, `cpu.max`).
pub(crate) fn validate_name(name: &str) -> Result<(), CgroupError> {
    let bad = |reason: String| {
        Err(CgroupError::InvalidName {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("the name is empty".into());
    }
    if name.starts_with('/') {
        return bad("it starts with '/': names are relative to the run's parent".into());
    }
    let parts: Vec<&str> = name.split('/').collect();
    if parts.len() > MAX_DEPTH {
        return bad(format!(
            "it nests {} levels deep; at most {MAX_DEPTH} are allowed",
            parts.len()
        ));
    }
    for part in parts {
        if part.is_empty() {
            return bad("it has an empty component (a trailing or doubled '/')".into());
        }
        if part == "." || part == ".." {
            return bad(format!("component {part:?} would leave the cgroup"));
        }
        if part.starts_with('.') {
            return bad(format!("component {part:?} is hidden (starts with '.')"));
        }
        if part.len() > MAX_COMPONENT_LEN {
            return bad(format!(
                "a component is {} bytes; at most {MAX_COMPONENT_LEN}",
                part.len()
            ));
        }
        if let Some(c) = part
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return bad(format!(
                "component {part:?} contains {c:?}; use ASCII letters, digits, '_', '-' and '.'"
            ));
        }
        let prefix = part.split('.').next().unwrap_or(part);
        if RESERVED.contains(&part) || (part.contains('.') && PREFIXES.contains(&prefix)) {
            return bad(format!(
                "component {part:?} is the name of a cgroup control file"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_names_that_stay_inside_are_accepted() {
        for ok in [
            "a",
            "cg_0",
            "a/b",
            "web-1/worker.2",
            "x/y/z",
            "cpuhog",
            "cpu_0",
        ] {
            validate_name(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn cgroup_names_that_escape_or_hide_are_refused() {
        for (bad, why) in [
            ("", "empty"),
            ("/a", "starts with '/'"),
            ("a/", "empty component"),
            ("a//b", "empty component"),
            ("..", "leave the cgroup"),
            ("a/../../etc", "leave the cgroup"),
            (".", "leave the cgroup"),
            (".hidden", "hidden"),
            ("a/.b", "hidden"),
            ("a b", "contains ' '"),
            ("a\nb", "contains '\\n'"),
            ("tasks", "control file"),
            ("cpu.max", "control file"),
            ("a/cgroup.procs", "control file"),
            ("a/b/c/d/e/f/g/h/i", "levels deep"),
        ] {
            let e = validate_name(bad).expect_err(bad).to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let long = "x".repeat(256);
        assert!(validate_name(&long).is_err());
    }
}
