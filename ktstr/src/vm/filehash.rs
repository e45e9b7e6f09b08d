//! Content hashes of files, remembered by their identity and change
//! times. Hashing a debug test binary (tens of MB) costs ~0.2 s in a debug
//! build, on every VM test; the memo (`<dir>/<hash of path>`: device,
//! inode, size, mtime, ctime and the content hash) makes it a `stat`.
//! Any write to the file changes its ctime, so a stale memo is never used.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use twox_hash::XxHash3_128;

/// The identity and change times of `m`, as the memo stores them.
fn stamp(m: &std::fs::Metadata) -> String {
    format!(
        "{} {} {} {}.{} {}.{}",
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec()
    )
}

/// Hash the bytes of `path`.
fn hash_file(path: &Path) -> std::io::Result<u128> {
    let mut f = File::open(path)?;
    let mut h = XxHash3_128::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finish_128());
        }
        h.write(&buf[..n]);
    }
}

/// The content hash of `path` (hex), from the memo in `memo_dir` when the
/// file has not changed since, else computed and remembered.
pub(crate) fn content_hash(path: &Path, memo_dir: &Path) -> Result<String, String> {
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let meta = path.metadata().map_err(err)?;
    let stamp = stamp(&meta);
    let mut key = XxHash3_128::new();
    key.write(path.as_os_str().as_encoded_bytes());
    let memo = memo_dir.join(format!("{:032x}", key.finish_128()));
    if let Ok(text) = std::fs::read_to_string(&memo) {
        if let Some((s, h)) = text.trim_end().rsplit_once(' ') {
            if s == stamp {
                return Ok(h.to_string());
            }
        }
    }
    let hash = format!("{:032x}", hash_file(path).map_err(err)?);
    // The memo is an optimisation: failing to write it changes nothing.
    if std::fs::create_dir_all(memo_dir).is_ok() {
        let tmp = memo.with_extension(format!("{}.tmp", std::process::id()));
        if std::fs::write(&tmp, format!("{stamp} {hash}\n")).is_ok()
            && std::fs::rename(&tmp, &memo).is_err()
        {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_file_gets_a_new_hash_and_an_unchanged_one_the_memo() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bin");
        let memo = dir.path().join("memo");
        std::fs::write(&f, "one").unwrap();
        let a = content_hash(&f, &memo).unwrap();
        assert_eq!(content_hash(&f, &memo).unwrap(), a);
        assert_eq!(std::fs::read_dir(&memo).unwrap().count(), 1);
        std::fs::write(&f, "two").unwrap();
        let b = content_hash(&f, &memo).unwrap();
        assert_ne!(a, b);
        // A forged memo with a stale stamp is not believed.
        let entry = std::fs::read_dir(&memo)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::write(&entry, "0 0 0 0.0 0.0 deadbeef\n").unwrap();
        assert_eq!(content_hash(&f, &memo).unwrap(), b);
        assert!(content_hash(&dir.path().join("absent"), &memo).is_err());
    }
}
