//! The guest's initramfs: `/init` (the test binary), extra binaries (a
//! scheduler), every shared library they need, and the mount points init
//! uses. Cached by a content hash of its inputs in
//! `<cache>/initramfs/<hash>.cpio`, written to a temporary file in the same
//! directory and renamed, so a reader never sees half an archive and a
//! failed build leaves nothing.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use twox_hash::XxHash3_128;

use super::cpio::CpioWriter;
use super::elfdeps;
use super::filehash::content_hash;

/// Bump when the archive layout changes, so old cache entries are unused.
const LAYOUT_VERSION: &str = "ktstr-initramfs-3-console";
/// Archives kept in the cache; older ones are removed.
const KEEP: usize = 8;
/// Directories every archive has.
const DIRS: &[&str] = &["/bin", "/dev", "/proc", "/sys", "/sys/fs/cgroup", "/tmp"];

/// A built (or cached) archive.
#[derive(Clone, Debug)]
pub struct Initramfs {
    /// The archive.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// It was already in the cache.
    pub cached: bool,
    /// Time to resolve, hash and (when not cached) write it.
    pub elapsed: Duration,
}

/// One file to put in the archive: where it is on the host, where it goes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Member {
    guest: String,
    host: PathBuf,
}

/// The files of an archive for `init` plus `extras` (host path, guest
/// path) and their libraries, sorted by guest path.
fn members(init: &Path, extras: &[(PathBuf, String)]) -> Result<Vec<Member>, String> {
    let mut roots = vec![init.to_path_buf()];
    roots.extend(extras.iter().map(|(h, _)| h.clone()));
    let libs = elfdeps::closure(&roots)?;
    let mut out = vec![Member {
        guest: "/init".into(),
        host: init.to_path_buf(),
    }];
    out.extend(extras.iter().map(|(h, g)| Member {
        guest: g.clone(),
        host: h.clone(),
    }));
    out.extend(libs.into_iter().map(|l| Member {
        guest: l.to_string_lossy().into_owned(),
        host: l,
    }));
    out.sort();
    out.dedup_by(|a, b| a.guest == b.guest);
    Ok(out)
}

fn hash_of(members: &[Member], dir: &Path) -> Result<String, String> {
    let mut h = XxHash3_128::new();
    h.write(LAYOUT_VERSION.as_bytes());
    // A stripped and an unstripped /init are different archives.
    h.write(&[u8::from(strip_tool().is_some())]);
    for m in members {
        h.write(m.guest.as_bytes());
        h.write(&[0]);
        h.write(content_hash(&m.host, &dir.join("hashes"))?.as_bytes());
        h.write(&[0xff]);
    }
    Ok(format!("{:032x}", h.finish_128()))
}

/// Removes the file at its path when dropped, unless disarmed.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// `strip`, when this machine has it.
fn strip_tool() -> Option<PathBuf> {
    crate::which::on_path("strip")
}

/// A copy of `bin` without debug information in `dir` (removed when the
/// returned guard drops), or None when `strip` is missing or fails: a
/// debug test binary is mostly DWARF (38 MB → 9 MB), and the guest
/// unpacks every byte of the archive under emulation.
fn stripped(bin: &Path, dir: &Path, tag: &str) -> Option<TempFile> {
    let strip = strip_tool()?;
    let out = TempFile(Some(
        dir.join(format!(".{tag}.{}.strip.tmp", std::process::id())),
    ));
    let target = out.0.clone()?;
    let ok = std::process::Command::new(strip)
        .arg("--strip-debug")
        .arg("-o")
        .arg(&target)
        .arg(bin)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(out)
}

fn write_archive(path: &Path, members: &[Member], tag: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut w = CpioWriter::new(BufWriter::with_capacity(1 << 20, File::create(path)?));
    let mut dirs: BTreeSet<String> = DIRS.iter().map(|d| d.to_string()).collect();
    for m in members {
        let mut p = Path::new(&m.guest).parent();
        while let Some(d) = p.filter(|d| *d != Path::new("/")) {
            dirs.insert(d.to_string_lossy().into_owned());
            p = d.parent();
        }
    }
    // BTreeSet order puts a parent before its children.
    for d in &dirs {
        w.dir(d)?;
    }
    // The kernel opens /dev/console for init's fds 0-2 before devtmpfs is
    // mounted over /dev; without the node init starts with none.
    w.char_device("/dev/console", 5, 1)?;
    for m in members {
        let strip = (m.guest == "/init")
            .then(|| stripped(&m.host, dir, tag))
            .flatten();
        let source = strip
            .as_ref()
            .and_then(|t| t.0.as_deref())
            .unwrap_or(&m.host);
        let f = File::open(source)?;
        let size = f.metadata()?.len();
        w.file(&m.guest, 0o755, size, f)?;
    }
    w.finish()?
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
}

/// Drop all but the newest [`KEEP`] archives in `dir`, and temporary
/// files over ten minutes old (left by a harness killed mid-build).
fn prune(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let stale = |p: &Path| {
        p.extension().is_some_and(|x| x == "tmp")
            && p.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().unwrap_or_default() > Duration::from_secs(600))
    };
    let rd: Vec<_> = rd.flatten().collect();
    for e in &rd {
        if stale(&e.path()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let mut all: Vec<_> = rd
        .iter()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cpio"))
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    all.sort();
    let n = all.len().saturating_sub(KEEP);
    for (_, p) in all.into_iter().take(n) {
        let _ = std::fs::remove_file(p);
    }
}

/// Build the archive for `init` and `extras` (host path, guest path), or
/// take it from the cache.
pub fn build(init: &Path, extras: &[(PathBuf, String)]) -> Result<Initramfs, String> {
    build_in(&super::cache_dir().join("initramfs"), init, extras)
}

/// [`build`] with the cache in `dir`.
fn build_in(dir: &Path, init: &Path, extras: &[(PathBuf, String)]) -> Result<Initramfs, String> {
    let t = Instant::now();
    let members = members(init, extras)?;
    let hash = hash_of(&members, dir)?;
    let path = dir.join(format!("{hash}.cpio"));
    if let Ok(m) = path.metadata() {
        return Ok(Initramfs {
            path,
            bytes: m.len(),
            cached: true,
            elapsed: t.elapsed(),
        });
    }
    let fail = |e: std::io::Error| format!("cannot write the initramfs in {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let tmp = TempFile(Some(dir.join(format!(
        ".{hash}.{}.{}.tmp",
        std::process::id(),
        t.elapsed().as_nanos()
    ))));
    let tmp_path = tmp.0.clone().unwrap_or_default();
    write_archive(&tmp_path, &members, &hash).map_err(fail)?;
    std::fs::rename(&tmp_path, &path).map_err(fail)?;
    std::mem::forget(tmp);
    prune(dir);
    let bytes = path.metadata().map(|m| m.len()).unwrap_or(0);
    Ok(Initramfs {
        path,
        bytes,
        cached: false,
        elapsed: t.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_holds_init_and_its_libraries_and_is_reused() {
        let cache = tempfile::tempdir().unwrap();
        let dir = cache.path();
        let exe = std::env::current_exe().unwrap();
        let a = build_in(dir, &exe, &[]).unwrap();
        assert!(!a.cached);
        let bytes = std::fs::read(&a.path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for want in [
            "init\0",
            "dev/console\0",
            "sys/fs/cgroup\0",
            "libc.so.6\0",
            "TRAILER!!!\0",
        ] {
            assert!(text.contains(want), "archive lacks {want:?}");
        }
        let b = build_in(dir, &exe, &[]).unwrap();
        assert!(b.cached && b.path == a.path);
        let leftovers: Vec<_> = std::fs::read_dir(a.path.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        let e = build_in(dir, Path::new("/nonexistent/binary"), &[]).unwrap_err();
        assert!(e.contains("/nonexistent/binary"), "{e}");
    }
}
