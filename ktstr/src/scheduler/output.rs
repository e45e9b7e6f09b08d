//! A scheduler's output: captured in a memory file (`memfd_create`: no
//! path, nothing left behind, works in a guest without `/tmp`), read back
//! as its last lines and the start of its exit dump.
//!
//! scx schedulers built on `scx_utils` print, when the kernel drops them,
//!
//! ```text
//! DEBUG DUMP
//! ================================================================================
//!
//! scx_bpfland[123] triggered exit kind 1026:
//!   runnable task stall (kworker/0:1[42] failed to run for 5.004s)
//! ...
//! ================================================================================
//!
//! EXIT: runnable task stall (kworker/0:1[42] failed to run for 5.004s)
//! ```

use std::fs::File;

/// How many of its last output lines a failure shows.
pub const TAIL_LINES: usize = 40;
/// How many lines of its exit dump a failure shows.
pub const DUMP_LINES: usize = 30;
/// How much of the end of the output is read back (the dump is printed
/// last; older output is not needed).
const READ_BACK: u64 = 256 << 10;

/// A memory file the scheduler writes its stdout and stderr to.
#[derive(Debug)]
pub(crate) struct OutputLog {
    file: File,
}

impl OutputLog {
    /// A new, empty memory file (close-on-exec; the child gets dups).
    pub(crate) fn new() -> std::io::Result<OutputLog> {
        Ok(OutputLog {
            file: crate::sys::process::anonymous_file(c"ktstr-scheduler-output")?,
        })
    }

    /// Another handle for the child's stdout or stderr.
    pub(crate) fn handle(&self) -> std::io::Result<File> {
        self.file.try_clone()
    }

    /// The end of what was written so far. Read with `pread`: the file
    /// offset is shared with the writing child and must not move.
    pub(crate) fn read(&self) -> String {
        use std::os::unix::fs::FileExt;
        let len = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        let start = len.saturating_sub(READ_BACK);
        let mut bytes = vec![0u8; (len - start) as usize];
        let mut got = 0;
        while got < bytes.len() {
            match self.file.read_at(&mut bytes[got..], start + got as u64) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        bytes.truncate(got);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// `text` without ANSI escape sequences (schedulers colour their logs).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        // CSI: ESC [ parameters final-byte (@..~); other escapes: one char.
        if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

/// The last `n` lines of `text` (colours stripped), with a marker when
/// lines were left out.
pub fn last_lines(text: &str, n: usize) -> String {
    let text = strip_ansi(text);
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(n);
    let mut s = String::new();
    if skip > 0 {
        s.push_str(&format!("[... {skip} earlier lines]\n"));
    }
    for l in &lines[skip..] {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// The first `n` lines of the exit dump (after `DEBUG DUMP` and its rule
/// line), and the `EXIT:` line when there is one; None without a dump or
/// `EXIT:` line.
pub fn exit_dump(text: &str, n: usize) -> Option<String> {
    let text = strip_ansi(text);
    let lines: Vec<&str> = text.lines().collect();
    // scx_utils prints `EXIT: ...`, or `Error: EXIT: ...` when the exit
    // kind is an error (its main returns the error).
    let exit = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("EXIT: ") || l.starts_with("Error: EXIT: "));
    let start = lines.iter().rposition(|l| l.trim() == "DEBUG DUMP");
    let mut s = String::new();
    if let Some(start) = start {
        let body: Vec<&str> = lines[start + 1..]
            .iter()
            .copied()
            .skip_while(|l| l.trim().is_empty() || is_rule(l))
            .take_while(|l| !is_rule(l))
            .collect();
        for l in body.iter().take(n) {
            s.push_str(l);
            s.push('\n');
        }
        if body.len() > n {
            s.push_str(&format!("[... {} more dump lines]\n", body.len() - n));
        }
    }
    if let Some(e) = exit {
        s.push_str(e);
        s.push('\n');
    }
    (!s.is_empty()).then_some(s)
}

fn is_rule(l: &str) -> bool {
    let t = l.trim();
    t.len() >= 10 && t.bytes().all(|b| b == b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_keeps_the_end_and_says_how_much_was_cut() {
        let text: String = (1..=50).map(|i| format!("line {i}\n")).collect();
        let t = last_lines(&text, 40);
        assert!(t.starts_with("[... 10 earlier lines]\nline 11\n"), "{t}");
        assert!(t.ends_with("line 50\n"));
        assert_eq!(last_lines("a\nb\n", 40), "a\nb\n");
    }

    #[test]
    fn exit_dump_takes_the_dump_start_and_the_exit_line() {
        let rule = "=".repeat(80);
        let mut text = format!("starting\nstats 1\n\nDEBUG DUMP\n{rule}\n\n");
        text.push_str("scx_bpfland[123] triggered exit kind 1026:\n");
        text.push_str("  runnable task stall (kworker/0:1[42] failed to run for 5.004s)\n");
        for i in 0..40 {
            text.push_str(&format!("CPU {i}: nr_run=1\n"));
        }
        text.push_str(&format!("{rule}\n\nEXIT: runnable task stall (kworker)\n"));
        let d = exit_dump(&text, 30).unwrap();
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(lines[0], "scx_bpfland[123] triggered exit kind 1026:");
        assert_eq!(lines[29], "CPU 27: nr_run=1");
        assert_eq!(lines[30], "[... 12 more dump lines]");
        assert_eq!(lines[31], "EXIT: runnable task stall (kworker)");
        assert_eq!(exit_dump("just output\n", 30), None);
        assert_eq!(
            exit_dump("EXIT: unregistered from user space\n", 30).as_deref(),
            Some("EXIT: unregistered from user space\n")
        );
        assert_eq!(
            exit_dump("x\nError: EXIT: disabled by sysrq-S\n", 30).as_deref(),
            Some("Error: EXIT: disabled by sysrq-S\n")
        );
    }

    #[test]
    fn colours_are_stripped() {
        assert_eq!(
            strip_ansi("12:11 \x1b[0m\x1b[34m[INFO] \x1b[0mNUMA nodes: 1"),
            "12:11 [INFO] NUMA nodes: 1"
        );
        assert_eq!(last_lines("\x1b[1mbold\x1b[0m\n", 5), "bold\n");
    }

    #[test]
    fn the_log_reads_back_what_was_written_as_it_grows() {
        use std::io::Write;
        let log = OutputLog::new().unwrap();
        let mut w = log.handle().unwrap();
        writeln!(w, "hello").unwrap();
        assert_eq!(log.read(), "hello\n");
        writeln!(log.handle().unwrap(), "world").unwrap();
        assert_eq!(log.read(), "hello\nworld\n");
        writeln!(w, "again").unwrap();
        assert_eq!(log.read(), "hello\nworld\nagain\n");
    }
}
