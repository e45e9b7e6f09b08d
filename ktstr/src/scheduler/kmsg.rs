//! The kernel log: read `/dev/kmsg` from a position onwards without
//! blocking, and find sched_ext's "disabled" line in it.
//!
//! When sched_ext drops a scheduler it logs (`kernel/sched/ext.c`)
//!
//! ```text
//! sched_ext: BPF scheduler "simple" disabled (runnable task stall)
//! sched_ext: simple: watchdog failed to check in for 5.004s
//! ```
//!
//! the second line only when the exit carried a message.

use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The kernel log from the moment it was opened on.
#[derive(Debug)]
pub struct KmsgTail {
    file: std::fs::File,
    partial: String,
}

impl KmsgTail {
    /// Open `path` (`/dev/kmsg`, or a text file in tests) non-blocking,
    /// positioned at its end: only what is logged from now on is read.
    pub fn open(path: &Path) -> std::io::Result<KmsgTail> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        file.seek(SeekFrom::End(0))?;
        Ok(KmsgTail {
            file,
            partial: String::new(),
        })
    }

    /// The messages logged since the last call (without `/dev/kmsg`'s
    /// record prefix and continuation lines).
    pub fn read_new(&mut self) -> Vec<String> {
        // /dev/kmsg returns one record per read and EINVAL for a buffer
        // smaller than the record; records are at most ~8 KiB.
        let mut buf = vec![0u8; 16 << 10];
        loop {
            match self.file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.partial.push_str(&String::from_utf8_lossy(&buf[..n])),
                // Records were overwritten before we read them: go on.
                Err(e) if e.kind() == ErrorKind::BrokenPipe => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let Some(end) = self.partial.rfind('\n') else {
            return Vec::new();
        };
        let complete: String = self.partial.drain(..=end).collect();
        complete
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.is_empty())
            .map(|l| message(l).to_string())
            .collect()
    }
}

/// The message of a `/dev/kmsg` record (`6,344,1365718,-;text`); any other
/// line (a console line, dmesg output) as it is.
pub fn message(record: &str) -> &str {
    match record.split_once(';') {
        Some((prefix, text))
            if prefix
                .split(',')
                .next()
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) =>
        {
            text
        }
        _ => record,
    }
}

/// Why the kernel dropped a scheduler, from its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disabled {
    /// The scheduler's ops name, as the kernel printed it.
    pub name: String,
    /// The kernel's reason: `runnable task stall`, `unregistered from user
    /// space`, `scx_bpf_error`, ...
    pub reason: String,
    /// The exit message line that follows, when there is one.
    pub detail: Option<String>,
}

impl std::fmt::Display for Disabled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "BPF scheduler {:?} disabled ({})",
            self.name, self.reason
        )?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

/// `(name, reason)` of a `sched_ext: BPF scheduler "NAME" disabled
/// (REASON)` line, wherever it sits in the line (console timestamps).
pub fn parse_disabled(line: &str) -> Option<(String, String)> {
    const HEAD: &str = "sched_ext: BPF scheduler \"";
    let rest = &line[line.find(HEAD)? + HEAD.len()..];
    let (name, rest) = rest.split_once('"')?;
    let reason = rest.strip_prefix(" disabled (")?;
    let reason = reason.trim_end().strip_suffix(')')?;
    Some((name.to_string(), reason.to_string()))
}

/// The last "disabled" event in `lines`, with the exit message line
/// (`sched_ext: NAME: MSG`) that follows it.
pub fn find_disabled(lines: &[String]) -> Option<Disabled> {
    let (i, (name, reason)) = lines
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, l)| parse_disabled(l).map(|p| (i, p)))?;
    let tag = format!("sched_ext: {name}: ");
    let detail = lines[i + 1..].iter().find_map(|l| {
        l.find(&tag)
            .map(|at| l[at + tag.len()..].trim_end().to_string())
    });
    Some(Disabled {
        name,
        reason,
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_disabled_lines() {
        assert_eq!(
            parse_disabled(
                "sched_ext: BPF scheduler \"bpfland_1.1.0_x86_64_unknown_linux_gnu\" disabled (unregistered from user space)"
            ),
            Some((
                "bpfland_1.1.0_x86_64_unknown_linux_gnu".into(),
                "unregistered from user space".into()
            ))
        );
        assert_eq!(
            parse_disabled(
                "[   12.345678] sched_ext: BPF scheduler \"simple\" disabled (runnable task stall)"
            ),
            Some(("simple".into(), "runnable task stall".into()))
        );
        assert_eq!(
            parse_disabled("sched_ext: BPF scheduler \"simple\" enabled"),
            None
        );
        assert_eq!(parse_disabled("sched_ext: simple: watchdog failed"), None);
    }

    #[test]
    fn strips_the_kmsg_record_prefix_only() {
        assert_eq!(message("3,812,9876543,-;sched_ext: x"), "sched_ext: x");
        assert_eq!(message("12,345,1091062485,-;a;b"), "a;b");
        assert_eq!(message("plain; text"), "plain; text");
    }

    #[test]
    fn the_last_event_with_its_message_line() {
        let lines: Vec<String> = [
            "sched_ext: BPF scheduler \"old\" disabled (unregistered from user space)",
            "sched_ext: BPF scheduler \"simple\" enabled",
            "something else",
            "sched_ext: BPF scheduler \"simple\" disabled (runnable task stall)",
            "sched_ext: simple: kworker/0:1[42] failed to run for 5.004s",
        ]
        .map(String::from)
        .to_vec();
        let d = find_disabled(&lines).unwrap();
        assert_eq!(d.name, "simple");
        assert_eq!(d.reason, "runnable task stall");
        assert_eq!(
            d.detail.as_deref(),
            Some("kworker/0:1[42] failed to run for 5.004s")
        );
        assert_eq!(
            d.to_string(),
            "BPF scheduler \"simple\" disabled (runnable task stall): kworker/0:1[42] failed to run for 5.004s"
        );
        assert_eq!(find_disabled(&lines[1..3]), None);
    }

    #[test]
    fn reads_only_what_is_appended_after_open() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("kmsg");
        std::fs::write(&p, "6,1,1,-;before\n").unwrap();
        let mut t = KmsgTail::open(&p).unwrap();
        assert!(t.read_new().is_empty());
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        use std::io::Write;
        write!(f, "6,2,2,-;after\n SUBSYSTEM=x\nhalf").unwrap();
        assert_eq!(t.read_new(), ["after"]);
        writeln!(f, " a line").unwrap();
        assert_eq!(t.read_new(), ["half a line"]);
    }

    #[test]
    fn reads_the_real_kernel_log_when_root() {
        if !nix::unistd::geteuid().is_root() {
            return; // /dev/kmsg needs root: the file test covers the reader
        }
        let mut t = KmsgTail::open(Path::new("/dev/kmsg")).unwrap();
        let tag = format!("ktstr kmsg self-test {}", std::process::id());
        std::fs::write("/dev/kmsg", format!("{tag}\n")).unwrap();
        let got = t.read_new();
        assert!(got.iter().any(|l| l == &tag), "{got:?}");
    }
}
