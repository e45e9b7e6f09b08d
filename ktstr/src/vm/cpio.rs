//! A writer for the "newc" cpio format the kernel unpacks as an initramfs:
//! per entry a 110-byte ASCII header, the name (NUL-terminated) padded to
//! 4 bytes, the data padded to 4 bytes; the archive ends with the entry
//! `TRAILER!!!`.

use std::io::{self, Read, Write};

/// Regular file type bits.
const S_IFREG: u32 = 0o100000;
/// Directory type bits.
const S_IFDIR: u32 = 0o040000;
/// Character device type bits.
const S_IFCHR: u32 = 0o020000;

/// Writes entries to `W`; [`CpioWriter::finish`] adds the trailer.
pub struct CpioWriter<W: Write> {
    out: W,
    ino: u32,
    written: u64,
}

impl<W: Write> CpioWriter<W> {
    /// A writer at the start of an archive.
    pub fn new(out: W) -> CpioWriter<W> {
        CpioWriter {
            out,
            ino: 1,
            written: 0,
        }
    }

    fn put(&mut self, data: &[u8]) -> io::Result<()> {
        self.out.write_all(data)?;
        self.written += data.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let n = (4 - (self.written % 4) as usize) % 4;
        self.put(&[0u8; 3][..n])
    }

    fn header(&mut self, name: &str, mode: u32, nlink: u32, size: u64) -> io::Result<()> {
        self.header_dev(name, mode, nlink, size, (0, 0))
    }

    fn header_dev(
        &mut self,
        name: &str,
        mode: u32,
        nlink: u32,
        size: u64,
        (major, minor): (u32, u32),
    ) -> io::Result<()> {
        let name = name.trim_start_matches('/');
        if size > u32::MAX as u64 {
            return Err(io::Error::other(format!(
                "{name} is too large for a cpio archive ({size} bytes)"
            )));
        }
        let ino = self.ino;
        self.ino += 1;
        let h = format!(
            "070701{ino:08X}{mode:08X}{:08X}{:08X}{nlink:08X}{:08X}{size:08X}{:08X}{:08X}{major:08X}{minor:08X}{:08X}{:08X}",
            0,
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        );
        self.put(h.as_bytes())?;
        self.put(name.as_bytes())?;
        self.put(&[0])?;
        self.pad()
    }

    /// A directory (mode 0755).
    pub fn dir(&mut self, name: &str) -> io::Result<()> {
        self.header(name, S_IFDIR | 0o755, 2, 0)
    }

    /// A regular file of `size` bytes read from `data`, with permission
    /// bits `perm`.
    pub fn file(&mut self, name: &str, perm: u32, size: u64, data: impl Read) -> io::Result<()> {
        self.header(name, S_IFREG | (perm & 0o7777), 1, size)?;
        let copied = io::copy(&mut data.take(size), &mut self.out)?;
        if copied != size {
            return Err(io::Error::other(format!(
                "{name} changed size while being archived ({copied} of {size} bytes)"
            )));
        }
        self.written += copied;
        self.pad()
    }

    /// A character device node (mode 0600), e.g. `/dev/console` (5, 1),
    /// so init starts with its stdin, stdout and stderr open.
    pub fn char_device(&mut self, name: &str, major: u32, minor: u32) -> io::Result<()> {
        self.header_dev(name, S_IFCHR | 0o600, 1, 0, (major, minor))
    }

    /// The trailer; returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.header("TRAILER!!!", 0, 1, 0)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_aligned_and_the_trailer_ends_the_archive() {
        let mut w = CpioWriter::new(Vec::new());
        w.dir("/bin").unwrap();
        w.file("/bin/x", 0o755, 5, &b"hello"[..]).unwrap();
        let a = w.finish().unwrap();
        assert_eq!(a.len() % 4, 0);
        assert_eq!(&a[..6], b"070701");
        // Second entry starts at the 4-byte boundary after "bin\0" (114).
        let second = 116;
        assert_eq!(&a[second..second + 6], b"070701");
        // Its size field (7th field) says 5, and the data follows the name.
        assert_eq!(&a[second + 6 + 6 * 8..second + 6 + 7 * 8], b"00000005");
        // Its header and "bin/x\0" end at 116 bytes, already aligned.
        let data_at = second + 116;
        assert_eq!(&a[data_at..data_at + 5], b"hello");
        let tail = String::from_utf8_lossy(&a[a.len() - 16..]);
        assert!(tail.contains("TRAILER!!!"), "{tail}");
        let mut short = CpioWriter::new(Vec::new());
        assert!(short.file("f", 0o644, 10, &b"abc"[..]).is_err());
    }
}
